// How independent are the coarse `system` machine's events (issue 19, partial-order reduction on
// the composed guest)? Measured on the full graph, by a breadth-first search of its own over the
// compiled machine's steps: in each state, for each pair of enabled events a, b, whether they
// commute there (s -a-> -b-> and s -b-> -a-> both exist and end in the same state); per pair of
// event classes (a vcpu of VM i, the rest of VM i: its GISA and struct kvm, a queue, the mdev, the
// GIB) how many co-enabled pairs commute; per event type the context paths its steps read (guards
// and kernel functions, through the recording proxy of the footprint verification) and changed.
// Then upper bounds on what a partial-order reduction could give: breadth-first explorations that
// expand in each state the smallest set of enabled events closed under a dependence relation
// (optimistic: no visibility condition, no rule for disabled events), for the local relation
// ("does not commute here"), the best static one ("fails to commute somewhere", or enables or
// disables), the observed footprints taken as declarations, and state-dependent footprints; each
// with the cycle proviso of por.ts (an ample successor stored before), one stored at this depth or
// less, or one state per terminal strongly connected component expanded (machines/system/README.md).
// Usage: nice npx tsx bench/independence.ts --vms 2 --vcpus 1 --queues 1 [--limit N] [--variant V]
import { specs } from '../machines/index.ts';
import { compile } from '../src/check/compile.ts';
import { changedPaths, overlaps, Recorder } from '../src/check/footprint.ts';
import { probe } from '../src/check/probe.ts';
import { terminalComponents } from '../src/check/por-modal.ts';
import type { Path } from '../src/spec.ts';
import type { EventObject } from 'xstate';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const params = { vms: Number(arg('--vms', '2')), vcpus: Number(arg('--vcpus', '1')), queues: Number(arg('--queues', '1')) };
const limit = Number(arg('--limit', '20000'));
const variant = arg('--variant', 'upstream-fixed');
const system = specs.find((s) => s.id === 'system')!;
const model = system.model(variant, undefined, { params });
const compiled = compile(model.machine);
const events = model.events as (EventObject & { vm?: number; vcpu?: number; q?: number })[];
const ids = events.map((e) => compiled.eventId(e.type));

const QUEUE = new Set(['assign_adapter_store', 'assign_domain_store', 'PQAP_ZAPQ', 'AP_ADAPTER_INTERRUPTION', 'vfio_ap_mdev_remove_queue', 'PQAP_AQIC', 'apq_reset_check']);
const MDEV = new Set(['vfio_ap_mdev_open_device', 'vfio_ap_mdev_close_device', 'flush_work']);
/** The object an event is about: `vcpu<vm>`, `vm<vm>` (its GISA, struct kvm), `queue`, `mdev`, `gib`. */
const classOf = (e: (typeof events)[number]): string => {
  if (QUEUE.has(e.type)) return 'queue';
  if (MDEV.has(e.type)) return 'mdev';
  if (e.vcpu !== undefined) return `vcpu${e.vm}`;
  if (e.vm !== undefined) return `vm${e.vm}`;
  return 'gib';
};
const classes = events.map(classOf);

type S = { cfg: Uint8Array; ctx: unknown };
const keyOf = (s: S) => Buffer.from(s.cfg).toString('latin1') + JSON.stringify(s.ctx);
const next = (s: S, e: number): S | undefined => {
  if (!compiled.enabled(s.cfg, s.ctx, events[e]!, ids[e])) return undefined;
  const cfg = compiled.step(s.cfg, s.ctx, events[e]!, ids[e]);
  return cfg ? { cfg: cfg.slice(), ctx: compiled.context } : { cfg: s.cfg, ctx: compiled.context };
};

const pairs = new Map<string, { co: number; commute: number }>();

// dynamic footprints: per event type, the context paths its steps read (guards and kernel functions, through
// a recording proxy) and changed, with the VM, vcpu and queue indices named relative to the event's own
const footprints = new Map<string, { reads: Set<string>; writes: Set<string> }>();
const rec = new Recorder();
/** Per event (with its payload): every context path its steps read and changed, absolute. */
const absolute = events.map(() => ({ reads: new Map<string, Path>(), writes: new Map<string, Path>() }));
/**
 * --footprints: the dependence declared footprints could give at best, the observed ones taken as
 * declared: a and b dependent when one changed a path the other read or changed, or both are about
 * the same object (the same region's state), or they were seen to enable or disable each other.
 */
const touches = (a: number, b: number): boolean => {
  for (const w of absolute[a]!.writes.values()) {
    for (const r of absolute[b]!.reads.values()) if (overlaps(w, r)) return true;
    for (const r of absolute[b]!.writes.values()) if (overlaps(w, r)) return true;
  }
  return false;
};
let fpDep: Uint8Array[] = [];
const footprintDep = (a: number, b: number): boolean => !!fpDep[a]![b];
const relative = (p: Path, e: (typeof events)[number]): string => {
  const out: string[] = [];
  for (let i = 0; i < p.length && out.length < 4; i++) {
    const k = p[i]!, prev = p[i - 1];
    if (typeof k === 'number' && prev === 'vms') out.push(e.vm === undefined ? '<vm>' : k === e.vm ? '<own vm>' : '<other vm>');
    else if (typeof k === 'number' && prev === 'vcpus') out.push(e.vcpu === undefined ? '<vcpu>' : k === e.vcpu ? '<own vcpu>' : '<other vcpu>');
    else if (typeof k === 'number' && prev === 'queues') out.push(e.q === undefined ? '<q>' : k === e.q ? '<own q>' : '<other q>');
    else if (typeof k === 'number' && prev === 'ref') out.push('<isc>');
    else out.push(String(k));
  }
  return out.join('.');
};
/** What one step of event e in state s reads (guards and kernel functions, through the recording proxy) and changes. */
const observe = (s: S, e: number): { reads: Path[]; writes: Path[] } => {
  rec.clear();
  compiled.hooks = { guardContext: (c) => rec.wrap(c, 'r'), actions() {}, raised() {} };
  probe.wrap = (c) => rec.wrap(c, 'r');
  // what the ghost ledgers read (issue 14) they read from the raw context, as in the footprint verification
  probe.unwrap = (c) => rec.unwrap(c);
  const before = s.ctx;
  compiled.step(s.cfg, s.ctx, events[e]!, ids[e]);
  const after = rec.deepUnwrap(compiled.context);
  compiled.hooks = undefined;
  probe.wrap = undefined;
  probe.unwrap = (c) => c;
  return { reads: rec.reads.get('r') ?? [], writes: changedPaths(before, after) };
};
const record = (s: S, e: number): void => {
  const fp = footprints.get(events[e]!.type) ?? { reads: new Set<string>(), writes: new Set<string>() };
  footprints.set(events[e]!.type, fp);
  const { reads, writes } = observe(s, e);
  const own = absolute[e]!;
  for (const p of reads) fp.reads.add(relative(p, events[e]!)), own.reads.set(p.join('.'), p);
  for (const p of writes) fp.writes.add(relative(p, events[e]!)), own.writes.set(p.join('.'), p);
};
/**
 * --conditional: state-dependent footprints, the scheme machines/system/README.md proposes: an event
 * in the stubborn set with its footprint in this state (the step's own reads and writes), every other
 * event with its footprint over all states; dependent on b when one writes what the other touches.
 */
const touchesAt = (a: { reads: Path[]; writes: Path[] }, b: number): boolean => {
  const st = absolute[b]!;
  for (const w of a.writes) {
    for (const r of st.reads.values()) if (overlaps(w, r)) return true;
    for (const r of st.writes.values()) if (overlaps(w, r)) return true;
  }
  for (const w of st.writes.values()) {
    for (const r of a.reads) if (overlaps(w, r)) return true;
    for (const r of a.writes) if (overlaps(w, r)) return true;
  }
  return false;
};
const init: S = { cfg: compiled.initial.cfg.slice(), ctx: compiled.initial.context };

// event pairs found not to commute in some state where both are enabled, or one disabling or enabling the other (the best static dependence any footprint declaration can give)
const globalDep = Array.from({ length: events.length }, () => new Uint8Array(events.length));
const enablesDep = Array.from({ length: events.length }, () => new Uint8Array(events.length));

/**
 * Explores breadth-first; `reduce` 'local': expand only a smallest set of enabled events closed under
 * "does not commute here"; 'global': closed under globalDep, with the breadth-first cycle proviso
 * (an ample successor already stored: expand every event). Returns the states.
 */
type Proviso = 'stored' | 'depth' | 'scc' | 'none';
function run(reduce: false | 'local' | 'global', measure: boolean, proviso: Proviso = 'none', byClass = false, conditional = false): { states: number; full: number } {
  const scc = reduce === 'global' && proviso === 'scc';
  const seen = new Map<string, number>([[keyOf(init), 0]]);
  // --scc: the reduced graph (node ids in `seen` order), for the terminal-component proviso
  const nodes: { s: S; out: number[]; en: number[]; reduced: boolean }[] = [];
  const idOf = new Map<string, number>();
  const node = (s: S, k: string) => {
    let i = idOf.get(k);
    if (i === undefined) idOf.set(k, (i = nodes.length)), nodes.push({ s, out: [], en: [], reduced: false });
    return i;
  };
  if (scc) node(init, keyOf(init));
  let depth = 0;
  let frontier: S[] = [init];
  let full = 0;
  const expandAll = (i: number): S[] => {
    const n = nodes[i]!;
    const added: S[] = [];
    n.reduced = false;
    full++;
    for (const e of n.en) {
      const t = next(n.s, e)!;
      const k = keyOf(t);
      if (!seen.has(k)) seen.set(k, depth + 1), added.push(t);
      n.out.push(node(t, k));
    }
    return added;
  };
  for (;;) {
  while (frontier.length && seen.size < limit) {
    const nextLevel: S[] = [];
    for (const s of frontier) {
      const en: number[] = [];
      const succ = new Map<number, S>();
      for (let e = 0; e < events.length; e++) {
        const t = next(s, e);
        if (t && keyOf(t) !== keyOf(s)) en.push(e), succ.set(e, t);
      }
      if (measure) for (const e of en) record(s, e);
      // commutes[i][j] for enabled events i, j
      const n = en.length;
      const dep: boolean[][] = Array.from({ length: n }, () => new Array<boolean>(n).fill(false));
      const here = conditional ? en.map((e) => observe(s, e)) : [];
      if (reduce || measure) {
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) {
            const a = en[i]!, b = en[j]!;
            // the diamond (the static relations need none)
            const diamond = measure || reduce === 'local';
            const ab = diamond ? next(succ.get(a)!, b) : undefined, ba = diamond ? next(succ.get(b)!, a) : undefined;
            const commute = !!ab && !!ba && keyOf(ab) === keyOf(ba);
            dep[i]![j] = dep[j]![i] = reduce === 'global' ? (byClass ? footprintDep(a, b) : !!globalDep[a]![b]) : !commute;
            if (conditional) {
              const same = classes[a] === classes[b] || !!enablesDep[a]![b];
              dep[i]![j] = same || touchesAt(here[i]!, b);
              dep[j]![i] = same || touchesAt(here[j]!, a);
            }
            if (measure && !commute) globalDep[a]![b] = globalDep[b]![a] = 1;
            if (measure) {
              const k = [classes[a]!, classes[b]!].sort().join(' / ');
              const p = pairs.get(k) ?? { co: 0, commute: 0 };
              p.co++;
              if (commute) p.commute++;
              pairs.set(k, p);
            }
          }
        }
      }
      if (measure) {
        // a enables or disables b: dependent for a static relation
        for (const a of en) for (let b = 0; b < events.length; b++) if (b !== a && !!next(succ.get(a)!, b) !== en.includes(b)) globalDep[a]![b] = globalDep[b]![a] = enablesDep[a]![b] = enablesDep[b]![a] = 1;
      }
      let expand = en;
      if (reduce && n > 1) {
        for (let seed = 0; seed < n; seed++) {
          const inSet = new Set([seed]);
          const work = [seed];
          while (work.length) {
            const i = work.pop()!;
            for (let j = 0; j < n; j++) if (dep[i]![j] && !inSet.has(j)) inSet.add(j), work.push(j);
          }
          if (inSet.size < expand.length) expand = [...inSet].map((i) => en[i]!);
        }
      }
      // the breadth-first cycle provisos: an ample successor stored before (por.ts), or stored at this depth or less
      if (reduce === 'global' && (proviso === 'stored' || proviso === 'depth') && expand.length < en.length && expand.some((e) => (proviso === 'depth' ? (seen.get(keyOf(succ.get(e)!)) ?? Infinity) <= depth : seen.has(keyOf(succ.get(e)!))))) expand = en;
      if (expand.length === en.length) full++;
      const me = scc ? node(s, keyOf(s)) : -1;
      if (scc) Object.assign(nodes[me]!, { en, reduced: expand.length < en.length });
      for (const e of expand) {
        const t = succ.get(e)!;
        const k = keyOf(t);
        if (!seen.has(k)) seen.set(k, depth + 1), nextLevel.push(t);
        if (scc) nodes[me]!.out.push(node(t, k));
      }
    }
    frontier = nextLevel;
    depth++;
  }
  if (!scc || seen.size >= limit) break;
  // terminal strong components (terminalComponents, por-modal.ts) with no fully expanded state: expand one state fully
  const start = new Int32Array(nodes.length + 1);
  for (let v = 0; v < nodes.length; v++) start[v + 1] = start[v]! + nodes[v]!.out.length;
  const to = Int32Array.from(nodes.flatMap((x) => x.out));
  const added: S[] = [];
  let expanded = 0;
  for (const m of terminalComponents(nodes.length, start, to)) {
    if (!m.some((v) => nodes[v]!.reduced)) continue;
    const v = m.find((x) => nodes[x]!.reduced)!;
    nodes[v]!.out = [];
    full--;
    added.push(...expandAll(v));
    expanded++;
  }
  if (!expanded) break;
  frontier = added;
  }
  return { states: seen.size, full };
}

const t0 = performance.now();
const all = run(false, true);
const t1 = performance.now();
console.log(`system ${variant} ${JSON.stringify(params)}: ${all.states.toLocaleString('en')} states${all.states >= limit ? ' (limit)' : ''}, ${((t1 - t0) / 1000).toFixed(1)} s`);
console.log('event classes (co-enabled pairs, of them commuting in that state):');
let co = 0, commute = 0;
for (const [k, p] of [...pairs].sort((x, y) => y[1].co - x[1].co)) {
  co += p.co;
  commute += p.commute;
  console.log(`  ${k.padEnd(18)} ${String(p.co).padStart(10)} ${String(p.commute).padStart(10)}  ${((100 * p.commute) / p.co).toFixed(1)} %`);
}
console.log(`  ${'all'.padEnd(18)} ${String(co).padStart(10)} ${String(commute).padStart(10)}  ${((100 * commute) / co).toFixed(1)} %`);
if (all.states < limit) {
  const red = run('local', false);
  console.log(`local persistent sets (optimistic bound, no visibility): ${red.states.toLocaleString('en')} states, ${(all.states / red.states).toFixed(2)}x fewer; ${red.full.toLocaleString('en')} states fully expanded; ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  fpDep = events.map((_, a) => Uint8Array.from(events, (_, b) => (a !== b && (classes[a] === classes[b] || enablesDep[a]![b] || touches(a, b) || touches(b, a)) ? 1 : 0)));
  for (const [proviso, byClass, conditional] of [['stored', false, false], ['depth', false, false], ['scc', false, false], ['none', false, false], ['stored', true, false], ['scc', true, false], ['stored', false, true], ['scc', false, true]] as const) {
    const t2 = performance.now();
    const st = run('global', false, proviso, byClass, conditional);
    const what = conditional ? 'state-dependent footprints (a stubborn-set member\'s in this state, the others\' over all states)' : byClass ? 'the observed footprints as declared ones (path overlap, same object, enabling)' : 'the static dependence measured';
    const prov = { stored: 'cycle proviso: successor stored before (por.ts)', depth: 'cycle proviso: successor at this depth or less', scc: 'proviso: one state of each terminal component fully expanded', none: 'no proviso (unsound)' }[proviso];
    console.log(`ample sets over ${what}, ${prov}; no disabled-event rule, no visibility: ${st.states.toLocaleString('en')} states, ${(all.states / st.states).toFixed(2)}x fewer; ${st.full.toLocaleString('en')} fully expanded; ${((performance.now() - t2) / 1000).toFixed(1)} s`);
  }
  // per pair of classes: event pairs that never conflict in any state (statically independent)
  const byClass = new Map<string, { pairs: number; indep: number }>();
  for (let a = 0; a < events.length; a++) for (let b = a + 1; b < events.length; b++) {
    const k = [classes[a]!, classes[b]!].sort().join(' / ');
    const c = byClass.get(k) ?? { pairs: 0, indep: 0 };
    c.pairs++;
    if (!globalDep[a]![b]) c.indep++;
    byClass.set(k, c);
  }
  console.log('event pairs statically independent (never a conflict, an enabling or a disabling in any state), per pair of classes:');
  for (const [k, c] of [...byClass].sort((x, y) => y[1].pairs - x[1].pairs)) console.log(`  ${k.padEnd(18)} ${String(c.indep).padStart(6)} of ${String(c.pairs).padStart(6)}`);
  console.log('footprints observed, per event type (indices relative to the event\'s own VM, vcpu, queue; paths cut at 4 keys):');
  for (const [type, fp] of [...footprints].sort()) console.log(`  ${type}\n    reads  ${[...fp.reads].sort().join(', ')}\n    writes ${[...fp.writes].sort().join(', ') || '(nothing)'}`);
  let indep = 0, total = 0;
  for (let a = 0; a < events.length; a++) for (let b = a + 1; b < events.length; b++) total++, (indep += globalDep[a]![b] ? 0 : 1);
  console.log(`event pairs statically independent: ${indep} of ${total}`);
}
