// SVG from DOT with the Graphviz build inside @hpcc-js/wasm-graphviz (WebAssembly, embedded
// in the package): no system binary, no browser, no download at run time.
import { Graphviz } from '@hpcc-js/wasm-graphviz';

let graphviz: Promise<Graphviz> | undefined;

export async function dotToSvg(dot: string): Promise<string> {
  graphviz ??= Graphviz.load();
  const svg = (await graphviz).dot(dot, 'svg');
  return svg.endsWith('\n') ? svg : svg + '\n';
}

/** The `<svg>` element alone (no XML prolog, doctype or comments), for inlining in HTML. */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf('<svg');
  return svg.slice(start).replace(/<!--[\s\S]*?-->\n?/g, '').trim();
}
