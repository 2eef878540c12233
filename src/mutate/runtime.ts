// The state the mutant schemata read (src/mutate/instrument.ts writes the reads): which mutant
// is active (-1: none, the original code runs) and, while a baseline run records coverage,
// which mutation sites executed.

export interface MutateRuntime {
  active: number;
  hits: Uint8Array | null;
}

/** The one runtime of this process (a global, so every instrumented module shares it). */
export function runtime(): MutateRuntime {
  const g = globalThis as unknown as { __s390_mutate?: MutateRuntime };
  return (g.__s390_mutate ??= { active: -1, hits: null });
}
