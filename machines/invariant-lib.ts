// Helpers for writing invariants over the abstract state of the core machines.
import type { StateValue } from 'xstate';
import type { AbstractState, Invariant } from '../src/spec.ts';
import { ISC_INVALID, iscBit, type SystemContext } from './context.ts';

export type S = AbstractState<SystemContext>;

/** The state value of a region, by path (e.g. ['vm0', 'vcpu1']); undefined when the machine has no such region. */
export function region(value: StateValue, ...path: string[]): StateValue | undefined {
  let v: StateValue | undefined = value;
  for (const p of path) {
    if (v === undefined || typeof v === 'string') return undefined;
    v = (v as Record<string, StateValue>)[p];
  }
  return v;
}

/** The top-level state name of a region value (`{ idle: 'halted' }` -> 'idle'). */
export function top(v: StateValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : Object.keys(v)[0];
}

export const byte = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= 0xff;
export const listed = (c: SystemContext, vm: number): boolean => (c.gib.list & (1 << vm)) !== 0;
export const registeredMask = (ref: readonly number[]): number => ref.reduce((m, r, isc) => (r > 0 ? m | iscBit(isc) : m), 0);
export const savedIsc = (isc: number): boolean => isc !== ISC_INVALID;

/** `stable`: once violated, violated for good (a fault or finding bit set and never cleared; Invariant.stable). */
export function inv(name: string, cite: string, holds: (s: S) => boolean, reads?: Invariant<SystemContext>['reads'], options?: { stable?: boolean }): Invariant<SystemContext> {
  return { name, cite, holds, ...(reads ? { reads } : {}), ...(options?.stable ? { stable: true } : {}) };
}
