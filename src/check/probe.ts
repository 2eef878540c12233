// The hook through which the footprint verification (footprint.ts) sees what a step reads and
// writes: the machines' action helpers (machines/lib.ts kernel/update, machines/kthread.ts
// steps) run their kernel function on `probe.wrap(copy)` instead of the copy while a
// verification runs, and take `probe.unwrap(context)` to copy from. Outside a verification
// both are the identity and cost one property read per step.

/** Marks an action implementation that runs its kernel function through `probe` (its reads can be verified). */
export const PROBED: unique symbol = Symbol.for('s390-kvm-spec.probed') as never;

export const probe: {
  /** While verifying: wraps a mutable copy in a recording proxy; otherwise undefined. */
  wrap: (<T>(c: T) => T) | undefined;
  /** While verifying: the raw object behind a recording proxy; otherwise the identity. */
  unwrap: <T>(c: T) => T;
  /** While verifying: 'enables' while a guard evaluates what its event's enabledness depends on, '' after. */
  phase: ((p: '' | 'enables') => void) | undefined;
} = { wrap: undefined, unwrap: (c) => c, phase: undefined };
