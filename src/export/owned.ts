// What the package may overwrite. A folder it writes into (`export --out`, `check --report`,
// the page's `counterexamples/`) is the package's when it holds the marker file the package
// writes there (`.s390-kvm-spec`, listing every file it wrote), when it is empty, or (folders
// written before the marker existed) when every file in it has a name the command writes. A
// folder that holds anything else is refused before anything is written, and a folder is only
// ever replaced after every file in it proved to be the package's.
import { mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

export const MARKER = '.s390-kvm-spec';
const GENERATOR = 's390-kvm-spec';

/** Why the package will not write into a folder: the one-line reason. */
export class NotOursError extends Error {
  override name = 'NotOursError';
}

/** Every file under `dir` (relative, `/`-separated); [] when `dir` does not exist. */
export async function filesUnder(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** The files the marker of `dir` lists, or undefined when `dir` has no (readable) marker. */
export async function markerFiles(dir: string): Promise<string[] | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, MARKER), 'utf8')) as { generator?: unknown; files?: unknown };
    if (m.generator !== GENERATOR || !Array.isArray(m.files) || !m.files.every((f) => typeof f === 'string')) return undefined;
    return m.files as string[];
  } catch {
    return undefined;
  }
}

/** The marker's text: the generator and the sorted list of files. Deterministic, so a committed folder can carry it. */
export function markerText(files: Iterable<string>): string {
  return JSON.stringify({ generator: GENERATOR, note: 'written by s390-kvm-spec; the package overwrites only folders holding this file and only the files listed', files: [...new Set(files)].filter((f) => f !== MARKER).sort() }, null, 2) + '\n';
}

/**
 * Throws a NotOursError when `dir` exists and the package may not write into it: not a
 * directory, or holding a file the package did not write. A file is the package's when the
 * nearest folder above it (within `dir`) that holds a marker lists it, or, when no folder
 * above it holds one, when `ours` accepts its path. Returns the package's files directly
 * under `dir`'s own rule (for the new marker).
 */
export async function checkOurs(dir: string, ours: (file: string) => boolean, what: string): Promise<string[]> {
  const st = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw e;
  });
  if (!st) return [];
  if (!st.isDirectory()) throw new NotOursError(`${what} '${dir}' is a file, not a folder`);
  const present = await filesUnder(dir);
  const isMarker = (f: string) => f === MARKER || f.endsWith(`/${MARKER}`);
  const markers = new Map<string, string[] | undefined>();
  for (const f of present.filter(isMarker)) {
    const folder = f === MARKER ? '' : f.slice(0, -MARKER.length - 1);
    markers.set(folder, await markerFiles(folder ? join(dir, folder) : dir));
  }
  const mine: string[] = [];
  for (const f of present) {
    if (isMarker(f)) continue;
    // the nearest folder above f holding a marker, '' for dir itself
    const parts = f.split('/');
    let folder: string | undefined;
    for (let k = parts.length - 1; k >= 0 && folder === undefined; k--) {
      const d = parts.slice(0, k).join('/');
      if (markers.has(d)) folder = d;
    }
    const listed = folder === undefined ? undefined : markers.get(folder);
    const rel = folder ? f.slice(folder.length + 1) : f;
    const ok = folder === undefined ? ours(f) : listed !== undefined && listed.includes(rel);
    if (!ok) {
      const why = folder === undefined ? ` (and no ${MARKER} marker lists it)` : listed ? ` (the ${MARKER} marker of '${folder || '.'}' does not list it)` : ` (the ${MARKER} marker of '${folder || '.'}' is unreadable)`;
      throw new NotOursError(`${what} '${dir}' holds '${f}', which s390-kvm-spec did not write${why}; it never overwrites such a folder: move the file away or choose another`);
    }
    if (folder === '' || folder === undefined) mine.push(f);
  }
  return mine;
}

/** Writes (or rewrites) the marker of `dir`, listing `files`. */
export async function writeMarker(dir: string, files: Iterable<string>): Promise<void> {
  const tmp = join(dir, `${MARKER}.tmp-${process.pid}`);
  await writeFile(tmp, markerText(files));
  await rename(tmp, join(dir, MARKER));
}

/** Deletes exactly `files` under `dir` (and the marker), then the folders left empty; leaves anything else in place. */
export async function removeOurs(dir: string, files: readonly string[]): Promise<void> {
  for (const f of [...files, MARKER]) await unlink(join(dir, f)).catch(() => undefined);
  const dirs = new Set<string>();
  for (const f of files) for (let d = f.split('/').slice(0, -1); d.length; d = d.slice(0, -1)) dirs.add(d.join('/'));
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await rmdir(join(dir, d)).catch(() => undefined);
  await rmdir(dir).catch(() => undefined);
}

/**
 * `mkdir -p` that fails instead of looping: Node's recursive mkdir spins forever where a
 * parent exists but refuses children with ENOENT (as /proc does). The folders it makes are
 * pushed on `made`, outermost first.
 */
export async function ensureDir(dir: string, made: string[] = []): Promise<void> {
  try {
    await mkdir(dir);
    made.push(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if ((await stat(dir)).isDirectory()) return;
      throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
    }
    if (code !== 'ENOENT' || dirname(dir) === dir) throw e;
    await ensureDir(dirname(dir), made);
    await mkdir(dir);
    made.push(dir);
  }
}

/**
 * Proves `dir` can be created and written before a long run needs it: makes the missing
 * folders (ensureDir), writes and deletes a probe file, and removes the folders it made, so
 * nothing is left behind.
 */
export async function probeWritable(dir: string): Promise<void> {
  const made: string[] = [];
  try {
    await ensureDir(dir, made);
    const probe = join(dir, `.probe-${process.pid}`);
    await writeFile(probe, '');
    await unlink(probe);
  } finally {
    for (const d of made.reverse()) await rmdir(d).catch(() => undefined);
  }
}
