// An in-memory module overlay: a Node module-loader hook that answers the load of a listed
// file URL with the given JavaScript (the file's mutant schemata) and leaves every other module
// to the loaders before it (tsx). Registered in a worker before any machine or transcription is
// imported, so every importer sees the instrumented module under its usual URL.
import { register } from 'node:module';

const HOOKS = `
let sources = {};
export function initialize(data) { sources = data.sources; }
export async function load(url, context, next) {
  const source = sources[url.split('?')[0]];
  if (source !== undefined) return { format: 'module', source, shortCircuit: true };
  return next(url, context);
}
`;

/** Serves `sources` (file URL -> JavaScript) in place of those files from now on. */
export function registerOverlay(sources: Readonly<Record<string, string>>): void {
  register('data:text/javascript,' + encodeURIComponent(HOOKS), { data: { sources } });
}
