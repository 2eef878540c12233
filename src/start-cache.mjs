// `npm start` in a checkout: runs src/start.ts as plain JavaScript. The TypeScript sources of
// src/ and machines/ are transformed as tsx transforms them (its esbuild, the same options) into
// .start/, each file again only when its source is newer than its output, relative `.ts`
// imports renamed `.js`, and .start/src/start.js runs with node alone: no tsx loader thread in
// the main thread or in the check's workers, which load the compiled code as the installed
// package's do (src/commands/pool.ts). A fresh clone transforms every file once (under a second).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The transpiled tree, a folder of the package root as dist/ is (src/ and machines/ at the same depth). */
export const CACHE = join(root, '.start');

/** Every .ts (not .d.ts) and .mjs file under `dir`, relative to the root. */
function sources(dir, out = []) {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) sources(rel, out);
    else if ((e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) || e.name.endsWith('.mjs')) out.push(rel);
  }
  return out;
}

const target = (rel) => join(CACHE, rel.endsWith('.ts') ? rel.slice(0, -3) + '.js' : rel);
const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

/** tsx's own esbuild, with tsx's options (tsx/dist: target this node, keepNames, the tsconfig's compiler options), and what they are as a string. */
function transformer() {
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild');
  const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
  const options = { loader: 'ts', format: 'esm', target: `node${process.versions.node}`, keepNames: true, tsconfigRaw: { compilerOptions } };
  return { transform: (text, file) => renameImports(esbuild.transformSync(text, { ...options, sourcefile: file }).code), key: JSON.stringify({ esbuild: esbuild.version, options }) };
}

/** esbuild's output with its relative `.ts` module names as `.js` (static imports and exports, `import("...")`); esbuild writes every module name in double quotes. */
export function renameImports(code) {
  return code.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s*)"(\.\.?\/[^"\n]*)\.ts"/g, '$1"$2.js"');
}

/** Brings .start/ up to date with the sources; returns the number of files transformed. */
export async function refresh() {
  const files = [...sources('src'), ...sources('machines')];
  const stamp = join(CACHE, '.options.json');
  // the options or the versions changed: every file again
  const configured = Math.max(...['tsconfig.json', 'package.json', 'package-lock.json'].map((f) => mtime(join(root, f))));
  const stale = (rel) => mtime(target(rel)) < mtime(join(root, rel));
  if (mtime(stamp) >= configured && !files.some(stale)) return 0;
  const { transform, key } = transformer();
  let old;
  try {
    old = readFileSync(stamp, 'utf8');
  } catch {
    old = undefined;
  }
  if (old !== key) {
    rmSync(CACHE, { recursive: true, force: true });
    mkdirSync(CACHE, { recursive: true });
  }
  let written = 0;
  for (const rel of files) {
    if (!stale(rel)) continue;
    const out = target(rel);
    const text = readFileSync(join(root, rel), 'utf8');
    const js = rel.endsWith('.mjs') ? text : transform(text, join(root, rel));
    mkdirSync(dirname(out), { recursive: true });
    // through a rename: another npm start in this checkout never loads half a file
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, js);
    renameSync(tmp, out);
    written++;
  }
  // the outputs of deleted sources
  const keep = new Set(files.map(target));
  const prune = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) prune(p);
      else if (!keep.has(p)) rmSync(p, { force: true });
    }
  };
  for (const d of ['src', 'machines']) if (mtime(join(CACHE, d)) >= 0) prune(join(CACHE, d));
  // last: a run stopped halfway leaves no stamp newer than the configuration
  writeFileSync(stamp, key);
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await refresh();
  const { run } = await import(pathToFileURL(join(CACHE, 'src', 'start.js')).href);
  run();
}
