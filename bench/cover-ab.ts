// The page's edge-cover count (src/paths/cover.ts edgeCoverCount, what npm start's workers run on
// every design's graph) of another checkout against this one's, in one process, alternating:
// `tsx bench/cover-ab.ts <other checkout> [--rounds N]`. Every page design is explored once (its
// full graph, as designCoverage explores it); each round counts every graph's paths with both, in
// turn; the counts must agree. Prints the CPU milliseconds of each round and the medians.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { specs } from '../machines/index.ts';
import { explore, type Exploration } from '../src/check/explore.ts';
import { edgeCoverCount } from '../src/paths/cover.ts';
import { pageDesigns } from '../src/export/page.ts';
import { pick } from '../src/spec.ts';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 7;
const other = args.find((a, i) => !a.startsWith('--') && i !== roundsAt + 1);
if (!other || !(rounds > 0)) {
  process.stderr.write('usage: tsx bench/cover-ab.ts <other checkout> [--rounds N]\n');
  process.exit(2);
}
const theirs = ((await import(pathToFileURL(resolve(other, 'src/paths/cover.ts')).href)) as { edgeCoverCount: typeof edgeCoverCount }).edgeCoverCount;

const graphs: Exploration[] = pageDesigns(specs).map((d) => {
  const model = pick('machine', 'bench', specs, d.machine).model(d.variant, d.configuration);
  return explore({ ...model, invariants: [] }, { maxStates: 200_000, symmetry: false, por: false });
});
const edges = graphs.reduce((n, x) => n + x.edges.length / 3, 0);
console.log(`${graphs.length} page designs, ${edges.toLocaleString('en')} edges`);

const cpu = (f: () => number[]): [number, number[]] => {
  const c0 = process.cpuUsage();
  const out = f();
  const c = process.cpuUsage(c0);
  return [(c.user + c.system) / 1000, out];
};
const times: [number[], number[]] = [[], []];
for (let r = 0; r < rounds; r++) {
  const fs = [theirs, edgeCoverCount];
  const got: number[][] = [];
  for (const i of r % 2 ? [1, 0] : [0, 1]) {
    const [ms, counts] = cpu(() => graphs.map((x) => fs[i]!(x)));
    times[i]!.push(ms);
    got[i] = counts;
  }
  if (got[0]!.join() !== got[1]!.join()) throw new Error(`round ${r + 1}: the counts differ`);
  console.log(`round ${r + 1}: other ${times[0]![r]!.toFixed(0)} ms CPU, this ${times[1]![r]!.toFixed(0)} ms CPU (same ${got[1]!.reduce((a, b) => a + b, 0).toLocaleString('en')} paths)`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`median: other ${median(times[0]).toFixed(0)} ms, this ${median(times[1]).toFixed(0)} ms CPU per round`);
