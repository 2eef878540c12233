// What a harness outside the package sees of the subchannel after each step (paths --format
// json), read from the machine's state: the FSM state and the fields the transcription in
// src/sut/vfio_ccw.ts reports (what the last write() of each region returned among them).
import type { AbstractState, Observation } from '../../src/spec.ts';
import type { CcwContext } from './vfio_ccw_private.machine.ts';

/** The context fields a harness compares after each step, in this order. */
export const CCW_FIELDS = ['writers', 'mutex', 'ret', 'asyncRet', 'cp', 'ena', 'busy', 'irb', 'mdev', 'notoperWork', 'dead', 'faults'] as const;

export function observeCcw(s: AbstractState<CcwContext>): Observation {
  const c = s.context;
  return { state: String(s.value), fields: Object.fromEntries(CCW_FIELDS.map((k) => [k, structuredClone(c[k])])) };
}
