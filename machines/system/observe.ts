// What a harness outside the package sees of the core objects after each step (paths --format
// json): the projection of the machine's state that the model-based tests compare with the
// transcription (expectCore in src/sut/core.conformance.ts, which reads only the machine's
// context and state value), restricted to the objects the machine models.
import type { AbstractState, Observation } from '../../src/spec.ts';
import { expectCore, restrict, scopeOf } from '../../src/sut/core.conformance.ts';
import type { SystemContext } from '../context.ts';
import type { Parts } from './system.machine.ts';

export function observeCoreModel(parts: Parts): (s: AbstractState<SystemContext>) => Observation {
  const scope = scopeOf(parts);
  return (s) => ({ fields: restrict(expectCore(s), scope) as Record<string, unknown> });
}
