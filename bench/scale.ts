// The scale section of `npm run bench` (issue 19), side by side in one process: the reduction
// factor of each technique on configurations small enough to explore in full as well, bytes
// per state of the compiled explorer (objects) against the collapse-compressed one (vectors of
// component ids), two worker threads over one on the same exploration, and, with --large, the
// targets: `system` upstream-fixed with 2 VMs x 2 vcpus x 2 queues and 2 VMs x 3 vcpus x 2
// queues explored exhaustively (no state limit) with every exact reduction (VM and queue
// symmetry, dead variables) and the workers.
// Each row says the load average when it started: the build machine's two cores are shared.
import { loadavg } from 'node:os';
import { specs } from '../machines/index.ts';
import { checkScaled } from '../src/check/check-scaled.ts';
import { explore } from '../src/check/explore.ts';
import { exploreParallel } from '../src/check/parallel.ts';
import { Growth, predictTotal } from '../src/check/progress.ts';
import { recipeOf } from '../src/check/recipe.ts';
import { exploreScaled } from '../src/check/scaled.ts';
import type { Model } from '../src/spec.ts';

const fmt = (n: number) => n.toLocaleString('en');
const load = () => loadavg()[0]!.toFixed(1);
const gc = (globalThis as { gc?: () => void }).gc;
const system = specs.find((s) => s.id === 'system')!;
const model = (params: Record<string, unknown>, variant = 'upstream-fixed') => system.model(variant, undefined, { params });
const label = (p: Record<string, unknown>) => `${p.vms} VMs x ${p.vcpus} vcpus x ${p.queues} queues`;

/** Only the exact groups (VMs, queues), or every group, or none. */
function withGroups(m: Model, which: 'exact' | 'all' | 'vms' | 'queues' | 'vcpus'): Model {
  const groups = m.symmetry!.groups.filter((g) => (which === 'all' ? true : which === 'exact' ? g.exact : which === 'vms' ? g.field === 'vm' : which === 'queues' ? g.field === 'q' : g.field === 'vcpu'));
  return { ...m, symmetry: { groups, byDefault: true } };
}

interface Row {
  states: number;
  transitions: number;
  depth: number;
  limit: boolean;
  secs: number;
  bytes: number;
  rss: number;
  load: string;
}

async function measure(f: () => Promise<{ states: { length: number }; transitions: number; maxDepth: number; limitReached: boolean }> | { states: { length: number }; transitions: number; maxDepth: number; limitReached: boolean }, bytes?: (x: any) => number): Promise<Row> {
  gc?.();
  const l = load();
  const before = process.memoryUsage();
  const t = performance.now();
  const x = await f();
  const secs = (performance.now() - t) / 1000;
  gc?.();
  const after = process.memoryUsage();
  const heap = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
  return { states: x.states.length, transitions: x.transitions, depth: x.maxDepth, limit: x.limitReached, secs, bytes: (bytes ? bytes(x) : heap) / x.states.length, rss: after.rss / 1e6, load: l };
}

const line = (name: string, r: Row, extra = '') =>
  console.log([name, fmt(r.states), fmt(r.transitions), r.depth, r.limit ? 'yes' : 'no', `${r.secs.toFixed(1)} s`, fmt(Math.round(r.states / r.secs)), fmt(Math.round(r.bytes)), `${r.rss.toFixed(0)} MB`, r.load, extra].join(' | '));

const HEAD = 'configuration, technique | states | transitions | depth | limit reached | time | states/s | bytes/state | rss | load at start | ratio\n--- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---';

export async function scaleBench(options: { large: boolean; limit: number; minutes?: number; workers?: number; only?: string }): Promise<void> {
  console.log(`\n## Scale: reductions, compression, worker threads (issue 19)${gc ? '' : ' (no --expose-gc: bytes/state approximate)'}\n`);
  console.log(HEAD);
  // --large --large-only 2x2x2: that target alone, without the rows above
  if (options.only !== undefined) return largeTargets(options);
  // reduction factors: the full exploration against each exact reduction, where both finish
  const factors: [Record<string, unknown>, 'vms' | 'queues' | 'vcpus' | 'exact', string][] = [
    [{ vms: 2, vcpus: 0, queues: 1 }, 'vms', 'VM symmetry (exact)'],
    [{ vms: 1, vcpus: 1, queues: 2 }, 'queues', 'queue symmetry (exact)'],
    [{ vms: 1, vcpus: 2, queues: 1 }, 'vcpus', 'vcpu symmetry (approximate: not a verdict)'],
    [{ vms: 2, vcpus: 0, queues: 2 }, 'exact', 'VMs and queues (exact)'],
  ];
  for (const [p, which, name] of factors) {
    const m = model(p);
    const full = await measure(() => explore(m, { symmetry: false, keepEdges: false }));
    line(`${label(p)}, full (compiled explorer)`, full);
    const red = await measure(() => explore(withGroups(m, which), { symmetry: true, keepEdges: false }));
    line(`${label(p)}, ${name}`, red, `${(full.states / red.states).toFixed(2)}x fewer states`);
  }
  // dead-variable reduction (src/check/dead.ts): a closed VM's vcpus' PSW I/O mask and kicked_mask bit; on top of VM symmetry, and alone
  for (const [p, which] of [[{ vms: 2, vcpus: 1, queues: 1 }, 'vms'], [{ vms: 1, vcpus: 2, queues: 1 }, undefined]] as const) {
    const m = which ? withGroups(model(p), which) : model(p);
    const sym = !!which;
    const base = await measure(() => explore(m, { symmetry: sym, keepEdges: false }));
    line(`${label(p)}, ${sym ? 'VM symmetry' : 'full (compiled explorer)'}`, base);
    const dead = await measure(() => explore(m, { symmetry: sym, keepEdges: false, dead: true }));
    line(`${label(p)}, ${sym ? 'VM symmetry + ' : ''}dead variables (verifyDead proves it on 1 VM x 1-2 vcpus x 1 queue)`, dead, `${(base.states / dead.states).toFixed(2)}x fewer states`);
  }
  // collapse compression: the same exploration stored as objects and as vectors of component ids
  for (const p of [{ vms: 1, vcpus: 1, queues: 1 }, { vms: 2, vcpus: 0, queues: 2 }]) {
    const m = model(p);
    const objects = await measure(() => explore(m, { symmetry: false, keepEdges: false }));
    line(`${label(p)}, compiled explorer (objects)`, objects);
    const vectors = await measure(() => exploreScaled(m, { symmetry: false, keepEdges: false }));
    line(`${label(p)}, collapse-compressed (one thread)`, vectors, `${(objects.bytes / vectors.bytes).toFixed(1)}x fewer bytes/state, ${(objects.secs / vectors.secs).toFixed(2)}x the speed`);
  }
  // worker threads: one worker against two, the same exploration (hash-partitioned)
  {
    const p = { vms: 2, vcpus: 0, queues: 2 };
    const m = model(p);
    const one = await measure(() => exploreParallel(m, { workers: 1, symmetry: false, keepEdges: false }), (x) => x.bytes);
    line(`${label(p)}, 1 worker thread`, one);
    const two = await measure(() => exploreParallel(m, { workers: 2, symmetry: false, keepEdges: false }), (x) => x.bytes);
    line(`${label(p)}, 2 worker threads`, two, `${(one.secs / two.secs).toFixed(2)}x the speed of 1 worker (target 1.6x)`);
  }
  if (options.large) await largeTargets(options);
  else {
    console.log('\n(--large adds the exhaustive targets: 2 VMs x 2 vcpus x 2 queues, under 5 min and 4 GB, and 2 VMs x 3 vcpus x 2 queues, under 30 min; each time-boxed by --large-minutes, default 10, with the predicted total when it does not finish; --large-workers N, default 2; --large-only VMSxVCPUSxQUEUES one of them alone)');
  }
}

/** The targets: exhaustive, every exact reduction (VMs, queues), collapse compression, two workers; each time-boxed. */
async function largeTargets(options: { limit: number; minutes?: number; workers?: number; only?: string }): Promise<void> {
  // the targets: exhaustive, every exact reduction (VMs, queues), collapse compression, two workers; every property the reductions let it decide
  for (const [p, minutes] of [[{ vms: 2, vcpus: 2, queues: 2 }, 5], [{ vms: 2, vcpus: 3, queues: 2 }, 30]] as const) {
    if (options.only && options.only !== `${p.vms}x${p.vcpus}x${p.queues}`) continue;
    const m = withGroups(model(p), 'exact');
    let verdicts = '';
    let bytes = 0;
    const growth = new Growth();
    const workers = options.workers ?? 2;
    const box = (options.minutes ?? 10) * 60_000;
    const started = performance.now();
    let levels: readonly number[] = [];
    const r = await measure(async () => {
      const c = await checkScaled(m, {
        workers,
        dead: true,
        recipe: recipeOf(model(p)),
        maxStates: options.limit,
        earlyStopSeconds: Infinity,
        onBytes: (b) => (bytes = b),
        onLevel: (perDepth, states) => {
          levels = perDepth.slice();
          process.stderr.write(`  ${label(p)}: ${growth.line(perDepth, states)}\n`);
          return performance.now() - started > box ? `time box of ${options.minutes ?? 10} min (--large-minutes)` : undefined;
        },
      });
      const undecided = c.results.filter((x) => x.holds === null).map((x) => x.property);
      verdicts = `${c.matches ? 'every decided verdict as expected' : 'MISMATCH'}${undecided.length ? `; undecided: ${undecided.join(', ')}` : ''}`;
      return { states: { length: c.states }, transitions: c.transitions, maxDepth: c.depth, limitReached: c.limitReached || performance.now() - started > box };
    }, () => 0);
    // not finished: the total the growth per BFS level predicts, and the time it would take at this rate
    if (r.limit) {
      const total = predictTotal(levels);
      verdicts += total ? `; predicted total ${fmt(total)} states, about ${Math.round(total / (r.states / r.secs) / 60)} min at this rate` : `; growth not yet regular at depth ${levels.length - 1} (per depth: ${levels.slice(-6).map(fmt).join(', ')}): no prediction`;
    }
    // the process's peak resident set (the workers are threads of this process)
    const peak = process.resourceUsage().maxRSS / 1e3;
    const met = r.secs < minutes * 60 && !r.limit && (minutes !== 5 || peak < 4000);
    line(`${label(p)}, check: VMs and queues (exact), dead variables, collapse, ${workers ? `${workers} worker${workers > 1 ? 's' : ''}` : 'one thread'}`, { ...r, bytes: bytes / r.states, rss: peak }, `${met ? 'met' : 'MISSED'}: target ${minutes} min${minutes === 5 ? ' and 4 GB' : ''} (rss: the peak); ${verdicts}`);
  }
}
