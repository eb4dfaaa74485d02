/**
 * Charts with uPlot (served by us, no CDN), each followed by its table alternative (a <details> with
 * the exact figures). Numbers are drawn from the decimal strings with Number(): for pixels only, never
 * for a figure shown.
 */
import uPlot from 'uplot';
import { h } from './dom';

function cssColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

export interface LineSeries {
  label: string;
  values: (number | null)[];
  /** Points drawn dashed and hollow (estimated). */
  estimated?: boolean[];
}

const charts = new Set<uPlot>();
let resizeTimer = 0;
window.addEventListener('resize', () => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    for (const chart of charts) {
      if (!chart.root.isConnected) {
        chart.destroy();
        charts.delete(chart);
        continue;
      }
      const host = chart.root.parentElement;
      if (host) chart.setSize({ width: host.clientWidth, height: chart.height });
    }
  }, 150);
});

function axes(money: boolean): uPlot.Axis[] {
  const stroke = cssColor('--muted', '#555');
  const grid = { stroke: cssColor('--grid', '#ddd'), width: 1 };
  return [
    { stroke, grid, ticks: grid },
    {
      stroke,
      grid,
      ticks: grid,
      size: 70,
      values: (_u, splits) =>
        splits.map((v) =>
          money ? new Intl.NumberFormat(undefined, { notation: 'compact' }).format(v) : String(v),
        ),
    },
  ];
}

/** A time series chart (x = days as epoch seconds); estimated points are drawn dashed and hollow. */
export function lineChart(host: HTMLElement, title: string, x: number[], series: LineSeries[]): void {
  host.textContent = '';
  const palette = [
    cssColor('--accent', '#1f5fbf'),
    cssColor('--positive', '#137333'),
    cssColor('--negative', '#b3261e'),
  ];
  const data: uPlot.AlignedData = [x];
  const specs: uPlot.Series[] = [{}];
  series.forEach((s, i) => {
    const color = palette[i % palette.length]!;
    const estimated = s.estimated;
    if (estimated?.some(Boolean)) {
      // Measured points as one series, estimated ones (with their neighbours, to join) as another.
      const measured = s.values.map((v, j) => (estimated[j] ? null : v));
      const guessed = s.values.map((v, j) =>
        estimated[j] || estimated[j - 1] || estimated[j + 1] ? v : null,
      );
      data.push(measured, guessed);
      specs.push(
        { label: s.label, stroke: color, width: 2, points: { show: false } },
        {
          label: `${s.label} (estimated)`,
          stroke: color,
          width: 2,
          dash: [6, 5],
          points: { show: true, fill: cssColor('--surface', '#fff'), stroke: color },
        },
      );
    } else {
      data.push(s.values);
      specs.push({ label: s.label, stroke: color, width: 2, points: { show: false } });
    }
  });
  const width = Math.max(280, host.clientWidth || 600);
  const chart = new uPlot(
    {
      title,
      width,
      height: 260,
      series: specs,
      axes: axes(true),
      scales: { x: { time: true } },
      legend: { live: false },
    },
    data,
    host,
  );
  chart.root.setAttribute('aria-hidden', 'true');
  charts.add(chart);
}

/** Grouped bars per period (x = period starts as epoch seconds), with an optional line (net). */
export function barChart(
  host: HTMLElement,
  title: string,
  x: number[],
  bars: { label: string; values: number[]; color: string }[],
  line?: { label: string; values: number[] },
): void {
  host.textContent = '';
  const count = bars.length;
  const specs: uPlot.Series[] = [{}];
  const data: uPlot.AlignedData = [x];
  bars.forEach((bar, i) => {
    data.push(bar.values);
    specs.push({
      label: bar.label,
      stroke: bar.color,
      fill: bar.color,
      width: 0,
      // Side by side: the first bar left of its period's tick, the second right of it.
      paths: uPlot.paths.bars!({ size: [0.35, 48], align: count === 1 ? 0 : i === 0 ? -1 : 1, gap: 1 }),
      points: { show: false },
    });
  });
  if (line) {
    data.push(line.values);
    specs.push({
      label: line.label,
      stroke: cssColor('--text', '#111'),
      width: 2,
      dash: [4, 3],
      points: { show: true, size: 5 },
    });
  }
  const width = Math.max(280, host.clientWidth || 600);
  const chart = new uPlot(
    {
      title,
      width,
      height: 260,
      series: specs,
      axes: axes(true),
      scales: { x: { time: true, range: (_u, min, max) => [min - 16 * 86400, max + 16 * 86400] } },
      legend: { live: false },
    },
    data,
    host,
  );
  chart.root.setAttribute('aria-hidden', 'true');
  charts.add(chart);
}

/** Resolves after the browser has painted what is on the page: figures show before charts are drawn. */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** The table alternative of a chart, folded under the chart. */
export function tableAlternative(
  table: HTMLTableElement,
  label = 'Show the figures as a table',
): HTMLDetailsElement {
  return h('details', { class: 'table-alternative' }, h('summary', {}, label), table);
}
