// The dashboard's entry point, bundled by bin/dashboard-bundle.js with uPlot and the stylesheets.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { boot } from './app';

boot();
