// Helpers for writing invariants over the abstract state of the core machines.
import type { StateValue } from 'xstate';
import type { AbstractState, Invariant, InvariantReads, Path } from '../src/spec.ts';
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

/**
 * An invariant that is a conjunction over the VMs (`context.vms.every`): `holdsVm(s, vm)` reads only
 * `readsVm(vm)`. Partial-order reduction then treats each VM's part as an invariant of its own
 * (Invariant.conjuncts), so a step of one VM is not visible to the other's.
 */
export function invPerVm(name: string, cite: string, holdsVm: (s: S, vm: number) => boolean, readsVm: (vm: number) => InvariantReads, options?: { stable?: boolean }): Invariant<SystemContext> {
  const vms = (initial: S): number[] => initial.context.vms.map((_, vm) => vm);
  const union = (initial: S): InvariantReads => {
    const parts = vms(initial).map(readsVm);
    const context: Path[] = [['vms', 'length'], ...parts.flatMap((r) => r.context ?? [])];
    const value = parts.flatMap((r) => r.value ?? []);
    return value.length ? { context, value } : { context };
  };
  return {
    name,
    cite,
    holds: (s) => s.context.vms.every((_, vm) => holdsVm(s, vm)),
    reads: union,
    conjuncts: (initial) => vms(initial).map((vm) => ({ name: `vm${vm}`, holds: (s: S) => holdsVm(s, vm), reads: readsVm(vm) })),
    ...(options?.stable ? { stable: true } : {}),
  };
}
