// The checker's `report/results.json` as the page reads it (issue 3 writes it): one entry per
// machine, variant and configuration, each property with its result and, when it fails, the
// shortest trace (and, for liveness, the cycle that repeats forever).
export interface ResultStep {
  step: number;
  event: { type: string; [payload: string]: unknown };
  actor: string;
}

export interface PropertyResult {
  property: string;
  kind: 'invariant' | 'liveness';
  holds: boolean;
  /** Whether the variant is expected to keep the property (false: listed in expectedViolations). */
  expected: boolean;
  trace?: ResultStep[];
  cycle?: ResultStep[];
}

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
}

/** Validates the parsed JSON enough that the page never shows `undefined`; throws a one-line reason. */
export function parseResults(json: unknown): CheckResult[] {
  if (!Array.isArray(json)) throw new Error('results must be a JSON array of { machine, variant, configuration, results: [...] }');
  json.forEach((r: Partial<CheckResult>, i) => {
    if (!r || typeof r.machine !== 'string' || typeof r.variant !== 'string' || !Array.isArray(r.results)) {
      throw new Error(`results[${i}] lacks machine, variant or results`);
    }
  });
  return json as CheckResult[];
}
