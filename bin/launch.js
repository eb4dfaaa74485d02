// Loads one of the service's entrypoints (src/server.ts, src/worker.ts, src/cli.ts) as plain JavaScript.
//
// `npm start` must be ready within a few seconds on a fresh clone. Loading the TypeScript sources through
// tsx compiles every file on the way (about a second here); esbuild transpiles the whole of src/ in a
// fraction of that. So the first start after a change of src/ transpiles it once into
// node_modules/.cache/finance-api/build/<hash of src>/ (each file on its own, the same layout as src/), and
// every later start with the same sources imports that folder directly. The hash covers every file's path
// and content, so an edited source is never served stale. No type checking happens here: that is
// `npm run check`. Without esbuild (a production install without dev dependencies), a `npm run build`
// output in dist/ is used, else tsx.
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sources = path.join(root, 'src');
const builds = path.join(root, 'node_modules', '.cache', 'finance-api', 'build');
/** Builds nobody has started from for this long are removed (a running process may still load from its own). */
const STALE_BUILD_MS = 24 * 3600_000;

function filesUnder(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesUnder(path.join(dir, entry.name), relative));
    else if (entry.isFile()) out.push(relative);
  }
  return out.sort();
}

function sourceHash(files, esbuildVersion) {
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\n`);
  for (const file of files) {
    hash.update(`${file}\n`);
    hash.update(readFileSync(path.join(sources, file)));
  }
  return hash.digest('hex').slice(0, 20);
}

function removeStaleBuilds(keep) {
  const now = Date.now();
  for (const name of readdirSync(builds)) {
    if (name === keep) continue;
    const dir = path.join(builds, name);
    try {
      if (now - statSync(dir).mtimeMs > STALE_BUILD_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}

/**
 * The folder of transpiled sources for the current src/, built first when missing; undefined without esbuild.
 * Also run by `npm ci`/`npm install` (postinstall), so that the first `npm start` finds it made.
 */
export async function transpiledSources() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  const files = filesUnder(sources);
  const dir = path.join(builds, sourceHash(files, esbuild.version));
  if (existsSync(path.join(dir, '.complete'))) return dir;

  mkdirSync(builds, { recursive: true });
  // Built aside and renamed into place: a process starting at the same time never sees half a build.
  const partial = mkdtempSync(path.join(builds, 'partial-'));
  try {
    const typescript = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
    await esbuild.build({
      entryPoints: typescript.map((file) => path.join(sources, file)),
      outdir: partial,
      outbase: sources,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'warning',
    });
    for (const file of files.filter((name) => !name.endsWith('.ts'))) {
      cpSync(path.join(sources, file), path.join(partial, file));
    }
    writeFileSync(path.join(partial, '.complete'), `${new Date().toISOString()}\n`);
    try {
      renameSync(partial, dir);
    } catch (error) {
      // Another process finished the same build first: use it.
      if (!existsSync(path.join(dir, '.complete'))) throw error;
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  removeStaleBuilds(path.basename(dir));
  return dir;
}

/**
 * Imports `src/<name>.ts` as JavaScript: transpiled (above), else `dist/<name>.js` from `npm run build`,
 * else the TypeScript source through tsx.
 */
export async function loadEntrypoint(name) {
  const transpiled = await transpiledSources();
  if (name === 'server') {
    // The dashboard's browser bundle (bin/dashboard-bundle.js), built in the background when its sources
    // changed: the service is ready without waiting, and the first /app request awaits it.
    void import('./dashboard-bundle.js')
      .then(({ dashboardBundle }) => dashboardBundle(root))
      .catch(() => undefined);
  }
  if (transpiled) {
    // The build writes linked source maps, but they are not read by default: parsing the maps of every
    // loaded module (ours and the dependencies') costs several tenths of a second of the start. Start
    // with NODE_OPTIONS=--enable-source-maps for stack traces that name the TypeScript files and lines.
    return import(pathToFileURL(path.join(transpiled, `${name}.js`)).href);
  }
  const compiled = path.join(root, 'dist', `${name}.js`);
  if (existsSync(compiled)) return import(pathToFileURL(compiled).href);
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(`../src/${name}.ts`, import.meta.url);
}
