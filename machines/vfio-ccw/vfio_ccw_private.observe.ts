// What a harness outside the package sees of the subchannel after each step (paths --format
// json), read from the machine's state: the FSM state and the fields the transcription in
// src/sut/vfio_ccw.ts reports (what the last write() of each region returned among them).
import type { AbstractState, Observation } from '../../src/spec.ts';
import type { CcwContext } from './vfio_ccw_private.machine.ts';
import { fsmState } from './vfio_ccw_private.invariants.ts';

/** The context fields a harness compares after each step, in this order. */
export const CCW_FIELDS = ['writers', 'mutex', 'ret', 'asyncRet', 'cp', 'ena', 'busy', 'irb', 'mdev', 'notoperWork', 'dead', 'faults', 'startOwn', 'fnOwn', 'irbOwn'] as const;

export function observeCcw(s: AbstractState<CcwContext>): Observation {
  const c = s.context;
  // a fine-grained configuration's FSM is its `fsm` region
  return { state: String(fsmState(s.value)), fields: Object.fromEntries(CCW_FIELDS.map((k) => [k, structuredClone(c[k])])) };
}
