// Dead-variable reduction (SPIN's dead variable elimination; issue 19): after every step the
// model's `dead.reset` puts the fields no later step or property reads back to a canonical
// value, so states that differ only there are stored once. `withDead` wraps the compiled
// transition function, so every explorer (objects, collapse-compressed, worker threads) and
// every trace replay sees the same reduced states; traces stay concrete event sequences (the
// reset changes no guard's outcome). `verifyDead` proves the declaration on a configuration:
// on the full exploration, every state s and its reset r(s) agree on every invariant and every
// liveness predicate, enable the same events, and reach states with the
// same reset (r(step(s, e)) = r(step(r(s), e))). Then r is a functional bisimulation and the
// reduced graph (the image of the full one) has the same verdicts, violations and shortest
// trace lengths; a declaration the machine contradicts is reported with the trace to the state.
// Only `check` reduces: path generation, replay and the page explore in full, so what a harness
// observes (Model.observe reports a stopped vcpu's PSW and kicked_mask bit too) is not reduced.
import type { EventObject } from 'xstate';
import type { AbstractState, DeadVariables, Model } from '../spec.ts';
import { compile, type Compiled } from './compile.ts';
import { exploreCompiled, type TraceStep, traceTo } from './explore.ts';
import { compareValues } from './symmetry.ts';

const wrapped = new WeakMap<Compiled, Map<DeadVariables<any>, Compiled>>();

/** `compiled` with `dead.reset` applied to the initial context and to the context after every step. */
export function withDead(compiled: Compiled, dead: DeadVariables<any>): Compiled {
  let byDead = wrapped.get(compiled);
  if (!byDead) wrapped.set(compiled, (byDead = new Map()));
  const hit = byDead.get(dead);
  if (hit) return hit;
  const w: Compiled = Object.create(compiled);
  w.initial = { cfg: compiled.initial.cfg, context: dead.reset(compiled.initial.context) };
  w.step = (cfg, context, event, id) => {
    const next = compiled.step(cfg, context, event, id);
    if (next) w.context = dead.reset(compiled.context);
    return next;
  };
  byDead.set(dead, w);
  return w;
}

/** The compiled machine of an exploration: with the dead-variable reset when asked for and the model declares one. */
export function deadCompiled(model: Model, compiled: Compiled, dead: boolean | undefined): Compiled {
  return dead && model.dead ? withDead(compiled, model.dead) : compiled;
}

export interface DeadBreak {
  /** Shortest trace to the state whose reset behaves differently. */
  trace: TraceStep[];
  state: AbstractState<unknown>;
  event?: EventObject;
  why: string;
}

/** The first reachable state where `model.dead` is not exact, or undefined (exact on this configuration). Explores in full. */
export function verifyDead(model: Model, maxStates = 2_000_000): DeadBreak | undefined {
  const dead = model.dead;
  if (!dead) return undefined;
  const compiled = compile(model.machine);
  const x = exploreCompiled(model, compiled, { keepEdges: false, maxStates });
  if (x.limitReached) throw new Error(`verifyDead: ${model.machineId}/${model.configurationId} has more than ${maxStates} states`);
  const ids = model.events.map((e) => compiled.eventId(e.type));
  const initial = { value: x.states[0]!.value, context: x.states[0]!.context };
  const instances = model.liveness.map((l) => l.instances?.(initial) ?? [{}]);
  for (let s = 0; s < x.states.length; s++) {
    const st = x.states[s]!;
    const rctx = dead.reset(st.context);
    if (rctx === st.context) continue;
    const bad = (why: string, event?: EventObject): DeadBreak => ({ trace: traceTo(model, x, s), state: st, ...(event ? { event } : {}), why });
    if (compareValues(rctx, st.context) === 0) return bad('reset returned a copy equal to its argument (it must return the same object when nothing changes)');
    const rs: AbstractState<unknown> = { value: st.value, context: rctx };
    for (const inv of model.invariants) if (inv.holds(st) !== inv.holds(rs)) return bad(`invariant ${inv.name} reads a dead field`);
    for (let l = 0; l < model.liveness.length; l++) {
      const p = model.liveness[l]!;
      for (const ins of instances[l]!) {
        if (p.q(st, ins) !== p.q(rs, ins) || (p.p && p.p(st, ins) !== p.p(rs, ins))) return bad(`liveness property ${p.name} reads a dead field`);
      }
    }
    const cfg = x.encoding!(s).slice();
    for (let e = 0; e < model.events.length; e++) {
      const event = model.events[e]!;
      const a = compiled.step(cfg, st.context, event, ids[e]);
      const aCfg = a?.slice();
      const aCtx = a ? dead.reset(compiled.context) : undefined;
      const b = compiled.step(cfg, rctx, event, ids[e]);
      if (!a !== !b) return bad('an event is enabled in one of the state and its reset only', event);
      if (!a || !b) continue;
      if (!sameBytes(aCfg!, b) || compareValues(aCtx, dead.reset(compiled.context)) !== 0) return bad('the state and its reset reach different states', event);
    }
  }
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
