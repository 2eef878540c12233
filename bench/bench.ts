// `npm run bench`: the checker's explorer (compiled, and over xstate's transition) against
// `getAdjacencyMap` from xstate/graph, in the same process, and SPIN when installed, on a
// synthetic machine of 10 parallel regions of 3 states (3^10 = 59,049 states); each shipped
// machine's default configuration; and a large composed system configuration (states,
// transitions, states per second, bytes per state). Each side warms up for 300 ms, then
// reports the median of at least `--runs` timed runs (default 3), more for small machines;
// the slow explorers run once on the synthetic machine (about a minute for getAdjacencyMap).
// Then the replay section (bench/replay.ts): lines per second on a generated million-line log;
// `--replay-only` runs that section alone. The partial-order reduction section explores every
// fine-grained configuration (machines/kthread.ts) with and without reduction, and a synthetic
// one whose threads touch disjoint data; `--por-only` runs that section alone. The scale
// section (bench/scale.ts, issue 19): the reduction factor of VM, queue and vcpu symmetry,
// bytes per state of the collapse-compressed explorer against the compiled one, one worker
// thread against two; `--scale-only` runs it alone, `--large` adds the exhaustive targets
// (`--large-limit N` bounds their states, `--large-minutes M` their time, default 10, with the
// predicted total when one does not finish; `--large-workers N`, default 2). The jobs section (bench/jobs.ts): npm start's checks and page
// coverage in one thread against two worker threads; `--jobs-only` runs it alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMachine, setup, type AnyStateMachine, type EventObject } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { specs } from '../machines/index.ts';
import { explore } from '../src/check/explore.ts';
import { entriesOf } from '../src/manifest.ts';
import { replayBench } from './replay.ts';
import { scaleBench } from './scale.ts';
import { jobsBench } from './jobs.ts';
import type { Invariant, Model } from '../src/spec.ts';
import { acquire, initialThreads, kfunction, lockInvariants, locksOf, mutex, release, threadEventInfo, threadEvents, threadRegion, type KContext, type ThreadDef } from '../machines/kthread.ts';

/** 10 regions r0..r9, each cycling s0 -> s1 -> s2 -> s0 on its own event NEXT_i. */
export function synthetic(regions = 10, states = 3): Model {
  const region = (i: number) => ({
    initial: 's0',
    states: Object.fromEntries(Array.from({ length: states }, (_, k) => [`s${k}`, { on: { [`NEXT_${i}`]: `s${(k + 1) % states}` } }])),
  });
  const events: EventObject[] = Array.from({ length: regions }, (_, i) => ({ type: `NEXT_${i}` }));
  return {
    machineId: `synthetic-${regions}x${states}`,
    variantId: 'baseline',
    configurationId: 'default',
    machine: createMachine({ id: 'synthetic', type: 'parallel', states: Object.fromEntries(Array.from({ length: regions }, (_, i) => [`r${i}`, region(i)])) }),
    events,
    eventInfo: Object.fromEntries(events.map((e) => [e.type, { actor: 'kernel', cite: 'synthetic' }])),
    invariants: [],
    liveness: [],
    expectedViolations: [],
  };
}

interface Run {
  states: number;
  transitions: number;
  millis: number;
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.millis - b.millis);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median of at least `n` runs, and of as many as fit in half a second (small machines: up to 50), after warming up the JIT. */
function timed(n: number, f: () => Omit<Run, 'millis'>): Run {
  const warm = performance.now();
  do f();
  while (performance.now() - warm < 300);
  const runs: Run[] = [];
  const start = performance.now();
  for (let i = 0; i < n || (i < 50 && performance.now() - start < 500); i++) {
    const t = performance.now();
    const r = f();
    runs.push({ ...r, millis: performance.now() - t });
  }
  return median(runs);
}

const checker = (m: Model, engine: 'compiled' | 'xstate' = 'compiled') => () => {
  const x = explore(m, { engine });
  return { states: x.states.length, transitions: x.transitions };
};

// every event is tried in every state, and getAdjacencyMap records each (ignored ones too)
const adjacency = (m: Model) => () => {
  const adj = getAdjacencyMap(m.machine, { events: [...m.events] });
  const nodes = Object.values(adj) as { transitions: Record<string, unknown> }[];
  return { states: nodes.length, transitions: nodes.reduce((n, v) => n + Object.keys(v.transitions).length, 0) };
};

const rate = (r: Run) => Math.round(r.states / (r.millis / 1000));
const fmt = (n: number) => n.toLocaleString('en');

function row(name: string, a: Run, b: Run): string {
  const cells = [name, fmt(a.states), fmt(a.transitions), `${a.millis.toFixed(0)} ms`, fmt(rate(a)), fmt(b.states), fmt(b.transitions), `${b.millis.toFixed(0)} ms`, fmt(rate(b)), `${(rate(a) / rate(b)).toFixed(1)}x`];
  return cells.join(' | ');
}

/** The synthetic machine as Promela: one byte per region, one `do` option per event. */
export function promela(regions = 10, states = 3): string {
  const options = Array.from({ length: regions }, (_, i) => `  :: r[${i}] = (r[${i}] + 1) % ${states}`).join('\n');
  return `byte r[${regions}];\nactive proctype regions() {\n  do\n${options}\n  od\n}\n`;
}

interface SpinRun extends Run {
  version: string;
}

/** SPIN on the Promela model, when `spin` and a C compiler are installed: pan's own figures (states stored, transitions, elapsed time). */
function spin(regions = 10, states = 3): SpinRun | string {
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  if (!has('spin')) return 'spin not installed (Debian: apt-get install spin)';
  const cc = ['cc', 'gcc'].find(has);
  if (!cc) return 'no C compiler for pan.c';
  const dir = mkdtempSync(join(tmpdir(), 'spin-'));
  try {
    writeFileSync(join(dir, 'm.pml'), promela(regions, states));
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
      return r.stdout;
    };
    const version = run('spin', ['-V']).trim();
    run('spin', ['-a', 'm.pml']);
    run(cc, ['-O2', '-DSAFETY', '-o', 'pan', 'pan.c']);
    const runs: Run[] = [];
    for (let i = 0; i < 3; i++) {
      const out = run('./pan', ['-m200000']);
      const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
      runs.push({ states: num(/(\d+) states, stored/), transitions: num(/(\d+) transitions/), millis: 1000 * num(/elapsed time ([\d.e+-]+) seconds/) });
    }
    return { ...median(runs), version };
  } catch (e) {
    return `spin failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};

if (import.meta.url === `file://${process.argv[1]}`) await main();

/** The explorer figures, then the replay section (`--replay-only` runs that alone). */
async function main(): Promise<void> {
  if (process.argv.includes('--por-only')) return porSection(Number(arg('--runs', '3')));
  // check --jobs / page --jobs (npm start): one thread against two (bench/jobs.ts)
  if (process.argv.includes('--jobs-only')) return void console.log((await jobsBench()).join('\n'));
  if (!process.argv.includes('--replay-only') && !process.argv.includes('--scale-only')) {
    explorers();
    porSection(Number(arg('--runs', '3')));
  }
  // issue 19: reduction factors, bytes per state, worker threads; --large: the exhaustive targets
  if (!process.argv.includes('--replay-only')) await scaleBench({ large: process.argv.includes('--large'), limit: Number(arg('--large-limit', String(2 ** 31 - 1))), minutes: Number(arg('--large-minutes', '10')), workers: Number(arg('--large-workers', '2')), ...(process.argv.includes('--large-only') ? { only: arg('--large-only', '') } : {}) });
  if (process.argv.includes('--scale-only')) return;
  console.log((await jobsBench()).join('\n'));
  // replay section: a million generated log lines, streamed (see bench/replay.ts)
  for (const line of await replayBench()) console.log(line);
}

function explorers(): void {
  const runs = Number(arg('--runs', '3'));
  const cpu = cpus();
  console.log(`node ${process.version}, ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`median of at least ${runs} runs after a warm-up (one run where marked)\n`);

  console.log('## 10 parallel regions of 3 states (59,049 states)\n');
  const syn = synthetic();
  const fast = timed(runs, checker(syn));
  const slow = timedOnce(checker(syn, 'xstate'));
  const graph = timedOnce(adjacency(syn));
  const sp = spin();
  console.log('explorer | states | transitions | time | states/s | checker speed-up');
  console.log('--- | ---: | ---: | ---: | ---: | ---:');
  const line = (name: string, r: Run, ratio: string) => console.log([name, fmt(r.states), fmt(r.transitions), `${r.millis.toFixed(0)} ms`, fmt(rate(r)), ratio].join(' | '));
  line('checker (compiled)', fast, '');
  line('checker over xstate transition (1 run)', slow, `${(rate(fast) / rate(slow)).toFixed(1)}x`);
  line('getAdjacencyMap (1 run)', graph, `${(rate(fast) / rate(graph)).toFixed(1)}x (target 100x)`);
  if (typeof sp === 'string') console.log(`SPIN | ${sp}`);
  else line(`SPIN pan (${sp.version.replace(/ --.*/, '')}, -DSAFETY)`, sp, `${(rate(fast) / rate(sp)).toFixed(2)}x (target 0.33x)`);

  console.log('\n## Shipped machines, default configuration\n');
  console.log('machine | checker states | transitions | time | states/s | over xstate transition | getAdjacencyMap states | transitions (every event tried) | time | states/s | checker/graph');
  console.log('--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:');
  for (const m of specs.map((s) => s.model())) {
    const a = timed(runs, checker(m));
    const x = timed(1, checker(m, 'xstate'));
    const b = timed(runs, adjacency(m));
    const cells = [`${m.machineId}/${m.variantId}/${m.configurationId}`, fmt(a.states), fmt(a.transitions), `${a.millis.toFixed(1)} ms`, fmt(rate(a)), `${x.millis.toFixed(1)} ms`, fmt(b.states), fmt(b.transitions), `${b.millis.toFixed(1)} ms`, fmt(rate(b)), `${(rate(a) / rate(b)).toFixed(1)}x`];
    console.log(cells.join(' | '));
    if (a.states !== b.states) console.log(`  note: the two disagree on the number of states (${a.states} vs ${b.states})`);
  }

  const set = JSON.parse(arg('--big', '{"vms":2,"vcpus":3,"queues":2,"iscs":[3,5]}')) as Record<string, unknown>;
  const limit = Number(arg('--big-limit', '200000'));
  console.log(`\n## Composed system, ${JSON.stringify(set)}, state limit ${fmt(limit)} (--big, --big-limit)\n`);
  const big = specs.find((s) => s.id === 'system')!.model(undefined, undefined, { params: set });
  const gc = (globalThis as { gc?: () => void }).gc;
  console.log('engine | states | transitions | limit reached | depth | time | states/s | bytes/state (heap + buffers) | rss');
  console.log('--- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---:');
  // the same configuration in full, then with one state per orbit of its interchangeable vcpus and queues
  for (const symmetry of [false, true]) {
    gc?.();
    const before = process.memoryUsage();
    const t = performance.now();
    const x = explore(big, { maxStates: limit, keepEdges: true, symmetry });
    const millis = performance.now() - t;
    gc?.();
    const after = process.memoryUsage();
    const perState = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / x.states.length;
    const engine = symmetry ? `${x.engine}, symmetry-reduced (${big.symmetry!.groups.map((g) => g.name).join('; ')})` : x.engine;
    console.log([engine, fmt(x.states.length), fmt(x.transitions), x.limitReached ? 'yes' : 'no', x.maxDepth, `${(millis / 1000).toFixed(1)} s`, fmt(Math.round(x.states.length / (millis / 1000))), fmt(Math.round(perState)) + (gc ? '' : ' (no --expose-gc: approximate)'), `${(after.rss / 1e6).toFixed(0)} MB`].join(' | '));
  }
}

function timedOnce(f: () => Omit<Run, 'millis'>): Run {
  const t = performance.now();
  const r = f();
  return { ...r, millis: performance.now() - t };
}

interface Disjoint extends KContext {
  x: number[];
  shared: number;
}

/**
 * `n` threads, each once: mutex_lock(its own lock), x[i]++, READ_ONCE(shared), x[i] += it,
 * mutex_unlock; the invariants read `shared` (never written) and the lock rules: the threads
 * touch disjoint data, so every interleaving is equivalent to one.
 */
export function disjointThreads(n: number): Model<Disjoint> {
  const threads: ThreadDef<Disjoint>[] = Array.from({ length: n }, (_, i) => {
    const lock = mutex('x_lock', i);
    return {
      name: `cpu${i}`,
      actor: 'kernel',
      once: true,
      ix: { i },
      fns: [
        kfunction<Disjoint>(`work${i}`, 'synthetic', [
          acquire(lock),
          { at: 'x[i]++', reads: [['x', i]], writes: [['x', i]], run: (c) => void (c.x[i] = c.x[i]! + 1) },
          { at: 'READ_ONCE(shared)', reads: [['shared']], run: (c, t) => void (t.local.s = c.shared) },
          { at: 'x[i] += s', reads: [['x', i]], writes: [['x', i]], run: (c, t) => void (c.x[i] = c.x[i]! + (t.local.s as number)) },
          release(lock),
        ]),
      ],
    };
  });
  const context: Disjoint = { x: threads.map(() => 0), shared: 1, threads: initialThreads(threads, locksOf(threads)) };
  const machine = setup({}).createMachine({ id: 'disjoint', type: 'parallel', context, states: Object.fromEntries(threads.map((t) => [t.name, threadRegion(t)])) } as never) as unknown as AnyStateMachine;
  const shared: Invariant<Disjoint> = { name: 'SharedUnchanged', cite: 'synthetic', reads: { context: [['shared']] }, holds: ({ context }) => context.shared === 1 };
  return {
    machineId: `disjoint-${n}-threads`, variantId: 'baseline', configurationId: 'default', machine, events: threadEvents(threads), eventInfo: threadEventInfo(threads),
    invariants: [shared, ...(lockInvariants as readonly Invariant<Disjoint>[])], liveness: [], expectedViolations: [], por: { byDefault: true },
  };
}

/** Every fine-grained configuration, and the synthetic disjoint threads, explored in full and reduced. */
function porSection(runs: number): void {
  console.log('\n## Partial-order reduction: fine-grained configurations, every interleaving against the reduced exploration\n');
  console.log('configuration | full states | transitions | time | reduced states | transitions | time | states ratio | time ratio | plain C2 states | breadth-first proviso states | visibility off (unsound bound)');
  console.log('--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:');
  const models: Model[] = [];
  for (const spec of specs) for (const c of spec.configurations) {
    const m = spec.model(undefined, c.id);
    if (m.por) models.push(m);
  }
  // the variants of the fine-grained configurations, each in its own (planted races, earlier versions)
  for (const spec of specs) for (const e of entriesOf(spec)) {
    const m = spec.model(e.variant, e.configuration);
    if (m.por && !models.some((x) => x.machineId === m.machineId && x.variantId === m.variantId && x.configurationId === m.configurationId)) models.push(m);
  }
  models.push(disjointThreads(4), disjointThreads(6));
  for (const m of models) {
    const run = (por: boolean) => () => {
      const x = explore(m, { por });
      return { states: x.states.length, transitions: x.transitions };
    };
    const full = timed(runs, run(false));
    const red = timed(runs, run(true));
    // the reduction before the weaker visibility conditions (C2 alone, every invariant's reads
    // visible), and with no visibility condition at all: not sound, the most any visibility
    // condition could give over these dependences (a diagnostic: where it is close to the
    // reduced count, the dependence between the steps, not the invariants, limits the reduction)
    const plain = explore(m, { por: true, porWeakVisibility: false }).states.length;
    const bound = explore(m, { por: true, porProvisos: { visibility: false } }).states.length;
    // the breadth-first cycle proviso used before the terminal-component one (an ample successor stored before: expand every event)
    const stored = explore(m, { por: true, porProvisos: { cycle: 'stored' } }).states.length;
    console.log([`${m.machineId}/${m.variantId}/${m.configurationId}`, fmt(full.states), fmt(full.transitions), `${full.millis.toFixed(1)} ms`, fmt(red.states), fmt(red.transitions), `${red.millis.toFixed(1)} ms`, `${(full.states / red.states).toFixed(1)}x`, `${(full.millis / red.millis).toFixed(1)}x`, fmt(plain), fmt(stored), fmt(bound)].join(' | '));
  }
}
