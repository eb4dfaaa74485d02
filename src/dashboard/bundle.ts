import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { projectRoot } from '../lib/package-info.js';

/** One file of the bundle, held in memory with its gzip. */
export interface DashboardAsset {
  name: string;
  contentType: string;
  body: Buffer;
  gzip: Buffer;
}

export interface DashboardBundle {
  js: DashboardAsset;
  css: DashboardAsset;
}

interface Manifest {
  files: Record<'js' | 'css', { name: string; bytes: number; gzipBytes: number }>;
}

type BundleLocator = (root: string) => Promise<{ dir: string; manifest: Manifest } | undefined>;

/**
 * The dashboard's bundle for this install (bin/dashboard-bundle.js: built into the cache once per set of
 * client sources when esbuild is there, else dist/dashboard-assets from `npm run build`), read into memory;
 * undefined when there is none (an install without dev dependencies and without `npm run build`).
 */
export async function loadDashboardBundle(root: string = projectRoot): Promise<DashboardBundle | undefined> {
  const { dashboardBundle } = (await import(
    pathToFileURL(path.join(root, 'bin', 'dashboard-bundle.js')).href
  )) as {
    dashboardBundle: BundleLocator;
  };
  const found = await dashboardBundle(root);
  if (!found) return undefined;
  const asset = (kind: 'js' | 'css'): DashboardAsset => {
    const name = found.manifest.files[kind].name;
    const body = readFileSync(path.join(found.dir, name));
    return {
      name,
      contentType: kind === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      body,
      gzip: gzipSync(body, { level: 9 }),
    };
  };
  return { js: asset('js'), css: asset('css') };
}
