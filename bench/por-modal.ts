// Issue 19: the partial-order reduction of the coarse composed guest over state-dependent
// footprints (src/check/por-modal.ts). Per configuration: the full exploration, the footprint
// verification on its every state (--verify), the reduced one; states, seconds, and whether
// both find the same invariant violations.
// --oracle: the ceiling of this reduction on the configuration. The same strong stubborn sets over
// event@mode (closure from each enabled seed, the smallest kept; the terminal-component proviso),
// run over the full graph with the relations observed on it instead of the declared ones: two
// transitions dependent when, in some state, one enables, disables or changes the mode of the
// other, or both are enabled and the two orders do not reach the same state; the necessary
// enabling set of a disabled transition the transitions seen to enable it (the last step before
// it is enabled); visible to an invariant a transition seen to change its value. Exact for that
// graph: declarations at event@mode granularity give at best these relations (up to necessary
// enabling sets chosen per state); a bound, not a sound reduction of other configurations. `--oracle-declared deps` or `nes` puts
// one declared relation back (which of the two costs the reduction).
// Usage: nice npx tsx bench/por-modal.ts --vms 1 --vcpus 1 --queues 1 [--variant V] [--configuration C] [--verify] [--no-full] [--oracle [--oracle-declared deps|nes]]
import type { Model } from '../src/spec.ts';
import { specs } from '../machines/index.ts';
import { compile } from '../src/check/compile.ts';
import { explore } from '../src/check/explore.ts';
import { modalScratch, modalTables, necessary, terminalComponents, verifyStateFootprints } from '../src/check/por-modal.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const params = { vms: Number(arg('--vms', '1')), vcpus: Number(arg('--vcpus', '1')), queues: Number(arg('--queues', '1')) };
const variant = arg('--variant', 'upstream-fixed');
const configuration = arg('--configuration', 'default');
const maxStates = Number(arg('--max-states', '5000000'));
const system = specs.find((s) => s.id === 'system')!;
const model = system.model(variant, configuration, { params });
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

if (process.argv.includes('--oracle')) oracle(model, arg('--oracle-declared', ''));
else run();

function run(): void {
  let full: ReturnType<typeof explore> | undefined;
  if (!process.argv.includes('--no-full')) {
    const c0 = cpu(), t0 = performance.now();
    full = explore(model, { por: false, symmetry: false, keepEdges: false, maxStates });
    console.log(`${variant}/${configuration} ${JSON.stringify(params)} full: ${full.states.length.toLocaleString('en')} states${full.limitReached ? ' (limit)' : ''}, ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(cpu() - c0).toFixed(1)} s cpu; violations ${[...full.violations.keys()].sort().join(', ') || 'none'}`);
    if (process.argv.includes('--verify')) {
      const compiled = compile(model.machine);
      const t1 = performance.now();
      const bad = new Set<string>();
      const n = verifyStateFootprints(model, compiled, full.states.map((_, i) => ({ cfg: full!.encoding!(i), context: full!.states[i]!.context })), bad);
      for (const b of [...bad].sort()) console.log(`  WRONG ${b}`);
      if (bad.size) process.exitCode = 1;
      console.log(`  footprints verified: ${n.toLocaleString('en')} steps, ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
  }
  const c0 = cpu(), t0 = performance.now();
  const red = explore(model, { por: true, symmetry: false, keepEdges: false, maxStates });
  console.log(`  reduced: ${red.states.length.toLocaleString('en')} states${red.limitReached ? ' (limit)' : ''}, ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(cpu() - c0).toFixed(1)} s cpu; ${JSON.stringify(red.por)}${full ? `; ${(full.states.length / red.states.length).toFixed(2)}x fewer` : ''}; violations ${[...red.violations.keys()].sort().join(', ') || 'none'}`);
  if (full) {
    const a = [...full.violations.keys()].sort().join(','), b = [...red.violations.keys()].sort().join(',');
    console.log(a === b ? '  same violations' : `  DIFFERENT violations: full ${a} / reduced ${b}`);
    if (a !== b) process.exitCode = 1;
  }
}

function oracle(model: Model, declared: string): void {
  const c0 = cpu();
  const compiled = compile(model.machine);
  const fp = model.stateFootprints!;
  const x = explore(model, { por: false, symmetry: false, keepEdges: true, maxStates });
  const N = x.states.length, events = model.events, nE = events.length;
  const T = modalTables(model, fp, compiled);
  const { base, n } = T;
  // per state and event: enabled, mode, successor
  const en = new Uint8Array(N * nE), md = new Int32Array(N * nE), succ = new Int32Array(N * nE).fill(-1);
  for (let s = 0; s < N; s++) {
    const cfg = x.encoding!(s), ctx = x.states[s]!.context;
    for (let e = 0; e < nE; e++) (en[s * nE + e] = compiled.enabled(cfg, ctx, events[e]!, compiled.eventId(events[e]!.type)) ? 1 : 0), (md[s * nE + e] = fp.mode(ctx, events[e]!));
  }
  for (let k = 0; k < x.edges.length; k += 3) succ[x.edges[k]! * nE + x.edges[k + 1]!] = x.edges[k + 2]!;
  const tr = (s: number, e: number) => base[e]! + md[s * nE + e]!;
  const dep = Array.from({ length: n }, () => new Set<number>());
  const enablers = Array.from({ length: n }, () => new Set<number>());
  const both = (a: number, b: number) => (dep[a]!.add(b), dep[b]!.add(a));
  const invs = model.invariants.filter((i) => !i.stable);
  const holds = invs.map((i) => x.states.map((st) => i.holds(st)));
  const visible = invs.map(() => new Set<number>());
  for (let s = 0; s < N; s++) {
    for (let e = 0; e < nE; e++) {
      const t = succ[s * nE + e]!;
      if (t < 0) continue;
      const a = tr(s, e);
      for (let f = 0; f < nE; f++) {
        const was = en[s * nE + f]!, is = en[t * nE + f]!, m0 = md[s * nE + f]!, m1 = md[t * nE + f]!;
        if (was === is && m0 === m1) {
          // both enabled: the diamond (f after e, e after f in the same mode, the same state)
          if (was && f !== e) {
            const sf = succ[s * nE + f]!, r1 = succ[t * nE + f]!, r2 = succ[sf * nE + e]!;
            if (r1 !== r2 || md[sf * nE + e] !== md[s * nE + e]) both(a, base[f]! + m0);
          }
          continue;
        }
        if (was) both(a, base[f]! + m0);
        if (is) both(a, base[f]! + m1), enablers[base[f]! + m1]!.add(a);
      }
      invs.forEach((_, k) => holds[k]![s] !== holds[k]![t] && visible[k]!.add(a));
    }
  }
  const depsV = dep.map((d) => new Set(d));
  for (const v of visible) for (const a of v) for (const b of v) depsV[a]!.add(b);
  const toSet = (b: Uint32Array) => { const o = new Set<number>(); for (let i = 0; i < n; i++) if ((b[i >>> 5]! >>> (i & 31)) & 1) o.add(i); return o; };
  if (declared === 'deps') for (let i = 0; i < n; i++) depsV[i] = toSet(T.depsV[i]!);
  const sc = modalScratch(T);
  const mode = new Int32Array(nE);
  // the reduced search over the known graph, as explore's modal path does it
  const at = new Int32Array(N).fill(-1), order: number[] = [], reducedAt = new Uint8Array(N), gFrom: number[] = [], gTo: number[] = [];
  const reach = (s: number, t: number) => { if (at[t]! < 0) (at[t] = order.length), order.push(t); gFrom.push(s), gTo.push(t); };
  const expand = (s: number, skip?: number[]) => { for (let e = 0; e < nE; e++) if (succ[s * nE + e]! >= 0 && !skip?.includes(e)) reach(s, succ[s * nE + e]!); };
  (at[0] = 0), order.push(0);
  let head = 0;
  for (;;) {
    for (; head < order.length; head++) {
      const s = order[head]!;
      const enabledAt = new Map<number, number>();
      for (let e = 0; e < nE; e++) if (en[s * nE + e]) enabledAt.set(tr(s, e), e);
      let best: number[] | undefined;
      if (declared === 'nes') {
        for (let e = 0; e < nE; e++) mode[e] = md[s * nE + e]!;
        sc.en.fill(0);
        for (const [y] of enabledAt) sc.en[y >>> 5]! |= 1 << (y & 31);
      }
      for (const [seed] of enabledAt) {
        const S = new Set([seed]), work = [seed];
        let count = 1;
        while (work.length && (!best || count < best.length)) {
          const y = work.pop()!;
          let add: Set<number>;
          if (enabledAt.has(y)) add = depsV[y]!;
          else if (declared !== 'nes') add = enablers[y]!;
          else {
            const e = T.eventOf[y]!;
            sc.s.fill(0);
            for (const z of S) sc.s[z >>> 5]! |= 1 << (z & 31);
            add = toSet(necessary(T, x.encoding!(s), mode, e, y, base[e]! + mode[e]!, !!en[s * nE + e], sc));
          }
          for (const z of add) if (!S.has(z)) S.add(z), work.push(z), enabledAt.has(z) && count++;
        }
        if (!best || count < best.length) best = [...S].filter((z) => enabledAt.has(z)).map((z) => enabledAt.get(z)!);
      }
      if (!best || best.length === enabledAt.size) { expand(s); continue; }
      let produced = 0;
      for (const e of best) if (succ[s * nE + e]! >= 0) reach(s, succ[s * nE + e]!), succ[s * nE + e] !== s && produced++;
      if (produced) reducedAt[s] = 1;
      else expand(s, best);
    }
    // the terminal-component proviso
    const m = order.length, start = new Int32Array(m + 1);
    for (const f of gFrom) start[at[f]! + 1]!++;
    for (let i = 0; i < m; i++) start[i + 1]! += start[i]!;
    const fill = start.slice(0, m), to = new Int32Array(gFrom.length);
    gFrom.forEach((f, i) => (to[fill[at[f]!]!++] = at[gTo[i]!]!));
    let any = false;
    for (const comp of terminalComponents(m, start, to)) {
      const pick = comp.filter((i) => reducedAt[order[i]!]).sort((a, b) => a - b)[0];
      if (pick === undefined) continue;
      reducedAt[order[pick]!] = 0;
      expand(order[pick]!);
      any = true;
    }
    if (!any) break;
  }
  const violated = (states: number[]) => model.invariants.filter((i) => states.some((s) => !i.holds(x.states[s]!))).map((i) => i.name).sort().join(', ') || 'none';
  console.log(`${variant}/${configuration} ${JSON.stringify(params)} oracle${declared ? ` (declared ${declared})` : ''}: full ${N.toLocaleString('en')} states, reduced ${order.length.toLocaleString('en')} (${(N / order.length).toFixed(2)}x fewer), ${(cpu() - c0).toFixed(1)} s cpu; violations full ${violated([...Array(N).keys()])} / reduced ${violated(order)}`);
}
