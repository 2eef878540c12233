// `npm run bench`: the checker's explorer against `getAdjacencyMap` from xstate/graph, in
// the same process, on each shipped machine's default configuration and on a synthetic
// machine of 10 parallel regions of 3 states (3^10 = 59,049 states). Each side warms up for
// 300 ms, then reports the median of at least `--runs` timed runs (default 3), more for small
// machines (half a second of runs); getAdjacencyMap on the synthetic machine runs once (about a minute).
// Then the replay section (bench/replay.ts): lines per second on a generated million-line log;
// `--replay-only` runs that section alone.
import { cpus, loadavg } from 'node:os';
import { createMachine, type EventObject } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { specs } from '../machines/index.ts';
import { explore } from '../src/check/explore.ts';
import type { Model } from '../src/spec.ts';
import { replayBench } from './replay.ts';

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

const checker = (m: Model) => () => {
  const x = explore(m);
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

if (import.meta.url === `file://${process.argv[1]}`) await main();
async function main(): Promise<void> {
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const cpu = cpus();
console.log(`node ${process.version}, ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`median of at least ${runs} runs after a warm-up (getAdjacencyMap on the synthetic machine: 1 run)\n`);
if (!process.argv.includes('--replay-only')) table(runs);
// replay section: a million generated log lines, streamed (see bench/replay.ts)
for (const line of await replayBench()) console.log(line);
}

function table(runs: number): void {
console.log('machine | checker states | transitions | time | states/s | getAdjacencyMap states | transitions (every event tried) | time | states/s | checker/graph');
console.log('--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---:');
const models = [...specs.map((s) => s.model()), synthetic()];
for (const m of models) {
  const a = timed(runs, checker(m));
  const big = m.machineId.startsWith('synthetic');
  const b = big ? timedOnce(adjacency(m)) : timed(runs, adjacency(m));
  console.log(row(`${m.machineId}/${m.variantId}/${m.configurationId}`, a, b));
  if (a.states !== b.states) console.log(`  note: the two disagree on the number of states (${a.states} vs ${b.states})`);
}
}

function timedOnce(f: () => Omit<Run, 'millis'>): Run {
  const t = performance.now();
  const r = f();
  return { ...r, millis: performance.now() - t };
}
