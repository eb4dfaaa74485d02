// The dashboard's browser bundle (src/dashboard/client/, uPlot and its CSS) built by esbuild into
// hashed files: <name>-<hash>.js and .css plus manifest.json (their names, raw and gzipped sizes).
//
// Where it is kept: with esbuild at hand (a development install), in
// node_modules/.cache/finance-api/dashboard/<hash of the client sources, uPlot's and esbuild's versions>/,
// built once per set of sources (aside, then renamed into place, like launch.js's build) — `npm start`
// starts it in the background and the service awaits it on the first /app request; without esbuild (the
// Docker image, an install without dev dependencies), dist/dashboard-assets/ as `npm run build` wrote it
// (`node bin/dashboard-bundle.js dist/dashboard-assets`).
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const defaultRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function filesUnder(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(path.join(dir, entry.name), relative));
    else if (entry.isFile()) out.push(relative);
  }
  return out.sort();
}

async function importEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    return undefined;
  }
}

function uplotVersion(root) {
  return JSON.parse(readFileSync(path.join(root, 'node_modules', 'uplot', 'package.json'), 'utf8')).version;
}

/** Bundles the client into `outDir` (which must exist and be empty) and writes its manifest. */
async function buildInto(esbuild, root, outDir) {
  const client = path.join(root, 'src', 'dashboard', 'client');
  const result = await esbuild.build({
    entryPoints: { dashboard: path.join(client, 'main.ts') },
    bundle: true,
    outdir: outDir,
    entryNames: '[name]-[hash]',
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: root,
  });
  const files = {};
  for (const output of Object.keys(result.metafile.outputs)) {
    const name = path.basename(output);
    const kind = name.endsWith('.css') ? 'css' : name.endsWith('.js') ? 'js' : undefined;
    if (!kind) continue;
    const bytes = readFileSync(path.join(outDir, name));
    files[kind] = { name, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  }
  if (!files.js || !files.css) throw new Error('the dashboard bundle has no JavaScript or no CSS output');
  const manifest = { builtAt: new Date().toISOString(), uplot: uplotVersion(root), files };
  writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function readManifest(dir) {
  const file = path.join(dir, 'manifest.json');
  return existsSync(file) ? { dir, manifest: JSON.parse(readFileSync(file, 'utf8')) } : undefined;
}

/**
 * The dashboard bundle for this install: `{ dir, manifest }`, built first when the cache has none for
 * the current sources; undefined when there are neither sources with esbuild nor a dist/dashboard-assets build.
 */
export function dashboardBundle(root = defaultRoot) {
  // One look (and at most one build) per process: the launcher starts it, the first /app request awaits it.
  let found = pending.get(root);
  if (!found) {
    found = locate(root);
    pending.set(root, found);
    found.catch(() => pending.delete(root));
  }
  return found;
}
const pending = new Map();

async function locate(root) {
  const client = path.join(root, 'src', 'dashboard', 'client');
  const esbuild = existsSync(client) ? await importEsbuild() : undefined;
  if (!esbuild) return readManifest(path.join(root, 'dist', 'dashboard-assets'));

  const hash = createHash('sha256').update(`esbuild ${esbuild.version}\nuplot ${uplotVersion(root)}\n`);
  for (const file of filesUnder(client)) {
    hash.update(`${file}\n`);
    hash.update(readFileSync(path.join(client, file)));
  }
  const cache = path.join(root, 'node_modules', '.cache', 'finance-api', 'dashboard');
  const dir = path.join(cache, hash.digest('hex').slice(0, 20));
  const ready = readManifest(dir);
  if (ready) return ready;

  mkdirSync(cache, { recursive: true });
  const partial = mkdtempSync(path.join(cache, 'partial-'));
  try {
    await buildInto(esbuild, root, partial);
    try {
      renameSync(partial, dir);
    } catch (error) {
      // Another process finished the same build first: use it.
      if (!existsSync(path.join(dir, 'manifest.json'))) throw error;
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  // Older builds of other sources are removed (a running process has its files in memory already).
  for (const name of readdirSync(cache)) {
    if (name !== path.basename(dir) && !name.startsWith('partial-'))
      rmSync(path.join(cache, name), { recursive: true, force: true });
  }
  return readManifest(dir);
}

// `node bin/dashboard-bundle.js <outDir>` (npm run build): a fresh build into outDir.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(process.argv[2] ?? path.join(defaultRoot, 'dist', 'dashboard-assets'));
  const esbuild = await importEsbuild();
  if (!esbuild) {
    console.error('finance-api: esbuild is missing; the dashboard bundle needs the development dependencies');
    process.exit(1);
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const manifest = await buildInto(esbuild, defaultRoot, outDir);
  console.log(
    `dashboard bundle: ${manifest.files.js.name} ${manifest.files.js.gzipBytes} B gzipped, ` +
      `${manifest.files.css.name} ${manifest.files.css.gzipBytes} B gzipped → ${path.relative(process.cwd(), outDir) || '.'}`,
  );
}
