// One exhaustive target run of issue 19, for a long background measurement: `system` upstream-fixed
// at --vms/--vcpus/--queues with every exact reduction (VM and queue symmetry, dead variables),
// collapse compression, --workers N (0: this thread). A line per BFS level on stderr (time, states,
// growth, heap/rss); the summary (states, depth, time, peak RSS, bytes/state, verdicts) on stdout.
// Usage: nice npx tsx --expose-gc bench/target.ts --vms 2 --vcpus 2 --queues 2 [--workers 0] [--limit N]
import { specs } from '../machines/index.ts';
import { checkScaled } from '../src/check/check-scaled.ts';
import { Growth } from '../src/check/progress.ts';
import { recipeOf } from '../src/check/recipe.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const p = { vms: Number(arg('--vms', '2')), vcpus: Number(arg('--vcpus', '2')), queues: Number(arg('--queues', '2')) };
const workers = Number(arg('--workers', '0'));
const limit = Number(arg('--limit', String(2 ** 31 - 1)));
const system = specs.find((s) => s.id === 'system')!;
const full = system.model('upstream-fixed', undefined, { params: p });
const m = { ...full, symmetry: { groups: full.symmetry!.groups.filter((g) => g.exact), byDefault: true } };
const growth = new Growth();
const t0 = performance.now();
let bytes = 0;
const c = await checkScaled(m, {
  workers,
  dead: true,
  recipe: recipeOf(full),
  maxStates: limit,
  earlyStopSeconds: Infinity,
  onBytes: (b) => (bytes = b),
  onLevel: (perDepth, states) => {
    const mu = process.memoryUsage();
    process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(0)} s | ${growth.line(perDepth, states)} | heap ${(mu.heapUsed / 1e6).toFixed(0)} MB, buffers ${(mu.arrayBuffers / 1e6).toFixed(0)} MB, rss ${(mu.rss / 1e6).toFixed(0)} MB\n`);
    return undefined;
  },
});
const secs = (performance.now() - t0) / 1000;
const undecided = c.results.filter((x) => x.holds === null).map((x) => x.property);
console.log(JSON.stringify({ params: p, workers, states: c.states, transitions: c.transitions, depth: c.depth, limitReached: c.limitReached, secs: Math.round(secs), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1e3), bytesPerState: Math.round(bytes / c.states), matches: c.matches, undecided }));
