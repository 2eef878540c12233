// Refusal probes: a path sends only events the machine accepts, so the transcription's own
// refusals (an FSM state's "not allowed", a delivery that finds nothing pending, an ioctl on a
// device in the wrong state) never run. A probe takes the shortest path to a state, sends an
// event the machine refuses there (no enabled transition) and asserts that what the
// observation shows did not change. One probe per (event, machine state value, set of enabled
// events): the refusal of an event differs by the state's value and by the guards that hold.
//
// The machine refuses for two reasons: the kernel refuses (the probe's claim), or the
// environment cannot cause the event there (a guest instruction while no vcpu runs, a payload
// past a bound). The transcription does not know the second kind, so a probe the unmutated
// transcription fails (it changes what is observed, or throws) is set aside, counted, not
// asserted: `agreeing` says which.
import type { EventObject } from 'xstate';
import type { Exploration } from '../check/explore.ts';
import type { Model } from '../spec.ts';
import type { Conformance } from './cover.ts';

export interface RefusalProbe {
  /** The state the probe sends the refused event in (an index into the exploration). */
  state: number;
  /** The refused event (an index into `model.events`). */
  event: number;
  /** The events (indices into `model.events`) of the shortest path to `state`. */
  prefix: number[];
}

export interface ProbeOptions {
  /** At most this many probes per event (shallowest first). Default 64: the largest suite, system default, then takes 1,729 probes, 11,825 steps beside its 116,749. */
  perEvent?: number;
  /**
   * A finer kind: states that share the value and the enabled events but differ here get a probe each (the observation,
   * where a refusal depends on data the value does not show: a queue removed after its APQN was assigned, or before).
   */
  distinguish?: (state: number) => string;
}

/**
 * The probes of an exploration: none when it was reduced (partial-order or symmetry reduction
 * drops enabled events or replaces states by a representative, so "no edge" is not "refused").
 */
export function refusalProbes(x: Exploration, nEvents: number, options: ProbeOptions = {}): RefusalProbe[] {
  if (x.symmetry || x.por?.reduced || x.limitReached) return [];
  const perEvent = options.perEvent ?? 64;
  const enabled: Set<number>[] = x.states.map(() => new Set());
  for (let i = 0; i < x.edges.length; i += 3) enabled[x.edges[i]!]!.add(x.edges[i + 1]!);
  const seen = new Set<string>();
  const count = new Int32Array(nEvents);
  const probes: RefusalProbe[] = [];
  // states are in breadth-first order, so the first state of each kind is a shallowest one
  for (let s = 0; s < x.states.length; s++) {
    const on = enabled[s]!;
    const kind = `${JSON.stringify(x.states[s]!.value)}|${[...on].sort((a, b) => a - b).join(',')}${options.distinguish ? `|${options.distinguish(s)}` : ''}`;
    for (let e = 0; e < nEvents; e++) {
      if (on.has(e) || count[e]! >= perEvent) continue;
      const key = `${e}|${kind}`;
      if (seen.has(key)) continue;
      seen.add(key);
      count[e]!++;
      probes.push({ state: s, event: e, prefix: prefixOf(x, s) });
    }
  }
  return probes;
}

function prefixOf(x: Exploration, s: number): number[] {
  const p: number[] = [];
  for (let t = s; x.parent[t]! >= 0; t = x.parent[t]!) p.push(x.parentEvent[t]!);
  return p.reverse();
}

/**
 * Runs one probe: the SUT's observation after the refused event, and the machine's (unchanged)
 * one, as JSON, both without the conformance's `volatile` fields (what the last call returned:
 * the machine keeps the last accepted call's, the transcription reports the refused call's).
 */
export function runProbe(model: Model, c: Conformance, x: Exploration, p: RefusalProbe, expected: (state: number) => string): { got: string; want: string } {
  const sut = c.create(model);
  for (const e of p.prefix) sut.apply(model.events[e] as EventObject);
  const event = model.events[p.event] as EventObject;
  sut.apply(event);
  const o = c.observe(sut);
  const got = JSON.stringify(stateOnly(c, o));
  // the volatile fields a refusal does fix (Conformance.refused): a delivery that finds nothing delivers nothing
  const must = c.refused?.(event);
  const off = must && typeof o === 'object' && o !== null ? Object.keys(must).filter((k) => JSON.stringify((o as Record<string, unknown>)[k]) !== JSON.stringify(must[k])) : [];
  return { got: off.length ? `${got} and the refused call reported ${off.map((k) => `${k}=${JSON.stringify((o as Record<string, unknown>)[k])}`).join(', ')}` : got, want: expected(p.state) };
}

/** An observation without the fields that describe the last call rather than the state. */
function stateOnly(c: Conformance, o: unknown): unknown {
  if (!c.volatile?.length || typeof o !== 'object' || o === null) return o;
  const out = { ...(o as Record<string, unknown>) };
  for (const k of c.volatile) delete out[k];
  return out;
}

/** The probes the unmutated transcription passes (asserted) and the ones it does not (the environment's refusals, set aside). */
export function agreeing(model: Model, c: Conformance, x: Exploration, probes: readonly RefusalProbe[], expected: (state: number) => string): { kept: RefusalProbe[]; setAside: RefusalProbe[] } {
  const kept: RefusalProbe[] = [];
  const setAside: RefusalProbe[] = [];
  for (const p of probes) {
    let ok = false;
    try {
      const r = runProbe(model, c, x, p, expected);
      ok = r.got === r.want;
    } catch {
      ok = false;
    }
    (ok ? kept : setAside).push(p);
  }
  return { kept, setAside };
}

/** The machine's observation of state `s` as a probe compares it (without the volatile fields), as JSON, memoised. */
export function expectation(c: Conformance, x: Exploration): (s: number) => string {
  const memo: (string | undefined)[] = [];
  return (s) => (memo[s] ??= JSON.stringify(stateOnly(c, c.expect(x.states[s]!))));
}
