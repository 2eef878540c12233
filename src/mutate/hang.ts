/** The name of the error an instrumented loop throws after too many iterations (a mutant made it endless). */
export const HANG = 'MutantHang';
