// Checks a symmetry declaration against the machine: on the full (unreduced) exploration,
// swapping two neighbouring members of a group must commute with every event (the swapped
// state takes the renamed event to the swapped successor). Transpositions generate every
// permutation, so passing this on every reachable state makes the group an automorphism of
// the reachable transition relation; the first failure is returned with its trace.
import type { EventObject } from 'xstate';
import type { AbstractState, Model, SymmetryGroup } from '../spec.ts';
import { compile } from './compile.ts';
import { exploreCompiled, type TraceStep, traceTo } from './explore.ts';
import { Canonicaliser, compareValues } from './symmetry.ts';

export interface SymmetryBreak {
  group: string;
  /** The positions swapped (member indices as in event payloads). */
  swapped: [number, number];
  /** Shortest trace to the state where swapping does not commute. */
  trace: TraceStep[];
  state: AbstractState<unknown>;
  event: EventObject;
  /** What differs: one of the two sides is disabled, or they reach different states. */
  why: 'enabled on one side only' | 'different successors';
}

/** The first reachable state and event where a group fails to be a symmetry, per group; groups with none map to undefined. */
export function verifySymmetry(model: Model, groups: readonly SymmetryGroup[] = model.symmetry?.groups ?? []): Map<string, SymmetryBreak | undefined> {
  const compiled = compile(model.machine);
  const canon = new Canonicaliser(compiled, groups);
  const x = exploreCompiled(model, compiled, { keepEdges: false });
  const out = new Map<string, SymmetryBreak | undefined>(canon.groups.map((g) => [g.def.name, undefined]));
  const copy = (a: Uint8Array) => a.slice();
  for (let gi = 0; gi < canon.groups.length; gi++) {
    const g = canon.groups[gi]!;
    search: for (let i = 0; i + 1 < g.members.length; i++) {
      const t = canon.transposition(gi, i);
      for (let s = 0; s < x.states.length; s++) {
        const st = x.states[s]!;
        const cfg = x.encoding!(s);
        const [tcfg, tctx] = canon.permute(cfg, st.context, t);
        for (const e of model.events) {
          const a = compiled.step(cfg, st.context, e);
          const aCfg = a && copy(a);
          const aCtx = compiled.context;
          const te = canon.renameEvent(e, t);
          const b = compiled.step(tcfg, tctx, te);
          if (!a !== !b) {
            out.set(g.def.name, { group: g.def.name, swapped: [g.members[i]!.index, g.members[i + 1]!.index], trace: traceTo(model, x, s), state: st, event: e, why: 'enabled on one side only' });
            break search;
          }
          if (!a || !b) continue;
          const [sa, sc] = canon.permute(aCfg!, aCtx, t);
          if (!sameBytes(sa, b) || compareValues(sc, compiled.context) !== 0) {
            out.set(g.def.name, { group: g.def.name, swapped: [g.members[i]!.index, g.members[i + 1]!.index], trace: traceTo(model, x, s), state: st, event: e, why: 'different successors' });
            break search;
          }
        }
      }
    }
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

