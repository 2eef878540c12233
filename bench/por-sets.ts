// Why a fine-grained configuration does or does not reduce (issue 11): the stubborn sets of
// src/check/por.ts on every state of the full graph. Prints per event how many events are
// dependent on it, per invariant the events visible to it, the histogram of (enabled events ->
// events in the smallest stubborn closure) over all states, for a sample of states the closure
// from each enabled seed with the event that brought each member in, and the state counts of the
// reduced explorations with either cycle proviso, with and without the visibility condition
// (without it unsound: a bound on what any visibility condition could give over these dependences).
// Usage: nice npx tsx bench/por-sets.ts --machine system --configuration kick-wait-2 [--variant V] [--sample 8] [--params JSON]
import { specs } from '../machines/index.ts';
import { compile } from '../src/check/compile.ts';
import { explore, type ExploreOptions } from '../src/check/explore.ts';
import { ampleSet, necessary, porTables, PorRefused } from '../src/check/por.ts';
import type { Model } from '../src/spec.ts';

const arg = (name: string, fallback?: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const spec = specs.find((s) => s.id === arg('--machine', 'system'));
if (!spec) {
  process.stderr.write(`unknown machine ${arg('--machine')}\n`);
  process.exit(2);
}
const params = arg('--params');
// liveness turns the reduction off in `check`; the invariants' reduction is what is measured here
const model: Model = { ...spec.model(arg('--variant'), arg('--configuration'), params ? { params: JSON.parse(params) } : undefined), liveness: [] };
const compiled = compile(model.machine);
const t = porTables(model, compiled);
if (t instanceof PorRefused) {
  process.stderr.write(`not reduced: ${t.reason}\n`);
  process.exit(2);
}
const n = model.events.length;
const bit = (b: Uint32Array, i: number) => (b[i >>> 5]! >>> (i & 31)) & 1;
const name = (e: number) => JSON.stringify(model.events[e]);
console.log(`${model.machineId}/${model.variantId}/${model.configurationId}: ${n} events`);
for (let e = 0; e < n; e++) {
  let d = 0;
  for (let f = 0; f < n; f++) d += bit(t.deps[e]!, f);
  console.log(`  ${e} ${name(e)}: ${d} dependent`);
}
for (let k = 0; k < t.visibleTo.length; k++) {
  const v: number[] = [];
  for (let f = 0; f < n; f++) if (bit(t.visibleTo[k]!, f)) v.push(f);
  if (v.length) console.log(`  visible to ${t.visibleNames[k]}: ${v.join(', ')}`);
}

const full = explore(model, { por: false });
const ids = model.events.map((e) => compiled.eventId(e.type));
const scratch = { s: new Uint32Array(t.words), best: new Uint32Array(t.words), work: new Int32Array(n + 1), nes: new Uint32Array(t.words) };
const hist = new Map<string, number>();
const sample = Number(arg('--sample', '8'));
const every = Math.max(1, Math.floor(full.states.length / Math.max(1, sample)));
for (let i = 0; i < full.states.length; i++) {
  const cfg = full.encoding!(i);
  const ctx = full.states[i]!.context;
  const en = new Uint8Array(n);
  let ne = 0;
  for (let e = 0; e < n; e++) ne += en[e] = compiled.enabled(cfg, ctx, model.events[e]!, ids[e]) ? 1 : 0;
  const out = new Int32Array(n);
  const k = ampleSet(t, cfg, en, ne, out, scratch);
  hist.set(`${ne}->${k}`, (hist.get(`${ne}->${k}`) ?? 0) + 1);
  if (i % every !== 0 || sample === 0) continue;
  const enabled = [...en.keys()].filter((e) => en[e]);
  console.log(`state ${i}: enabled ${enabled.join(', ')}; chosen ${[...out.slice(0, k)].join(', ')}`);
  for (const seed of enabled) {
    const via = new Map<number, number>([[seed, -1]]);
    const work = [seed];
    while (work.length) {
      const e = work.pop()!;
      const add = en[e] ? t.deps[e]! : necessary(t, cfg, e, new Uint32Array(t.words));
      for (let f = 0; f < n; f++) if (bit(add, f) && !via.has(f)) via.set(f, e), work.push(f);
    }
    console.log(`  from ${seed}: ${[...via].filter(([f]) => en[f]).map(([f, by]) => (by < 0 ? `${f}` : `${f} (by ${by})`)).join(', ')}`);
  }
}
console.log(`enabled -> chosen over the ${full.states.length} states: ${[...hist].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);
const runs: [string, ExploreOptions][] = [
  ['terminal-component proviso (default)', { por: true }],
  ['breadth-first proviso', { por: true, porProvisos: { cycle: 'stored' } }],
  ['no visibility condition (unsound), terminal-component proviso', { por: true, porProvisos: { visibility: false } }],
  ['no visibility condition (unsound), breadth-first proviso', { por: true, porProvisos: { visibility: false, cycle: 'stored' } }],
];
console.log(`every interleaving: ${full.states.length} states`);
for (const [what, o] of runs) {
  const x = explore(model, o);
  console.log(`${what}: ${x.states.length} states (${(full.states.length / x.states.length).toFixed(2)}x), ${JSON.stringify(x.por)}`);
}
