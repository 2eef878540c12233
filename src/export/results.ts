// The checker's `report/results.json` as the page reads it (issue 3 writes it): one entry per
// machine, variant and configuration, each property with its result and, when it fails, the
// shortest trace (and, for liveness, the cycle that repeats forever). Accepted either as the
// bare array or as the checker's report object `{ tool, generatedAt, matches, checks: [...] }`.
export interface ResultStep {
  step: number;
  event: { type: string; [payload: string]: unknown };
  actor: string;
  /** A thread's step (machines/kthread.ts): its thread. */
  thread?: string;
  /** What the step changed: `state.<region>` and `ctx.<field>` leaves (the checker adds it). */
  after?: Record<string, unknown>;
}

export interface PropertyResult {
  property: string;
  kind: 'invariant' | 'liveness';
  /** null: not decided (the exploration stopped at its state limit). */
  holds: boolean | null;
  /** Whether the variant is expected to keep the property (false: listed in expectedViolations). */
  expected: boolean;
  trace?: ResultStep[];
  cycle?: ResultStep[];
  /** leadsTo: the step after which p held and q never held again (0: initially). */
  trigger?: number;
  /** leadsTo: the run may stop in the last state (no fair event is enabled there). */
  stuck?: boolean;
  note?: string;
}

/** The JSON form of src/check/check.ts CheckResult, read leniently (older files lack some fields). */
export interface CheckResult {
  machine: string;
  variant: string;
  configuration: string;
  states: number;
  transitions: number;
  depth: number;
  millis: number;
  limitReached: boolean;
  results: PropertyResult[];
  /** Present when the check was symmetry-reduced: the groups of interchangeable objects. */
  symmetry?: { group: string; exact: boolean }[];
  /** Present when partial-order reduction was asked for: whether the check was reduced, and if not why. */
  por?: { reduced: boolean; note?: string };
}

/** Validates the parsed JSON enough that the page never shows `undefined`; throws a one-line reason. */
export function parseResults(json: unknown): CheckResult[] {
  const list = Array.isArray(json) ? json : json && typeof json === 'object' && Array.isArray((json as { checks?: unknown }).checks) ? (json as { checks: unknown[] }).checks : undefined;
  if (!list) throw new Error('expected a JSON array of checks, or an object with a `checks` array, each { machine, variant, configuration, results: [...] }');
  list.forEach((r: Partial<CheckResult>, i) => {
    if (!r || typeof r.machine !== 'string' || typeof r.variant !== 'string' || !Array.isArray(r.results)) {
      throw new Error(`check ${i} lacks machine, variant or results`);
    }
  });
  return list as CheckResult[];
}

/** A counterexample to draw: a violated property with at least one step (or a run stuck at the start). */
export function isCounterexample(p: PropertyResult): boolean {
  return p.holds === false && ((p.trace?.length ?? 0) > 0 || (p.cycle?.length ?? 0) > 0 || p.stuck === true);
}
