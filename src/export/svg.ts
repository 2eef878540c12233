// SVG from DOT with the Graphviz build inside @hpcc-js/wasm-graphviz (WebAssembly, embedded
// in the package): no system binary, no browser, no download at run time.
import { Graphviz } from '@hpcc-js/wasm-graphviz';

let graphviz: Promise<Graphviz> | undefined;

/** The last charts laid out: export, the page and the tests draw the same ones again. */
const laidOut = new Map<string, string>();

export async function dotToSvg(dot: string): Promise<string> {
  const done = laidOut.get(dot);
  if (done !== undefined) return done;
  graphviz ??= Graphviz.load();
  const raw = (await graphviz).dot(dot, 'svg');
  const svg = raw.endsWith('\n') ? raw : raw + '\n';
  if (laidOut.size >= 64) laidOut.delete(laidOut.keys().next().value!);
  laidOut.set(dot, svg);
  return svg;
}

/** The `<svg>` element alone (no XML prolog, doctype or comments), for inlining in HTML. */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf('<svg');
  return svg.slice(start).replace(/<!--[\s\S]*?-->\n?/g, '').trim();
}
