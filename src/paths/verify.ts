// Replays a path file through a harness and checks every prediction: the initial observation,
// then after each step the whole observation (state, return code and errno, what a GET
// returned, the object's fields) must equal what the file says.
import type { EventObject } from 'xstate';
import type { Observation } from '../spec.ts';
import type { Harness } from './harness.ts';
import type { PathFile } from './json.ts';

export interface Mismatch {
  path: number;
  /** 0 for the initial observation. */
  step: number;
  event?: EventObject;
  expected: Observation;
  got: Observation;
}

export interface Verification {
  paths: number;
  steps: number;
  /** Observed values compared (leaves of every observation). */
  predictions: number;
  mismatches: Mismatch[];
}

/** JSON with object keys sorted, so equal observations compare equal whatever order built them. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

function leaves(v: unknown): number {
  if (v && typeof v === 'object') return Object.values(v).reduce((n: number, x) => n + leaves(x), 0);
  return 1;
}

export function verifyPathFile(doc: PathFile, harness: Harness, keep = 20): Verification {
  const result: Verification = { paths: 0, steps: 0, predictions: 0, mismatches: [] };
  const compare = (path: number, step: number, expected: Observation, got: Observation, event?: EventObject) => {
    result.predictions += leaves(expected);
    if (canonical(expected) !== canonical(got) && result.mismatches.length < keep) result.mismatches.push({ path, step, ...(event ? { event } : {}), expected, got });
  };
  for (const p of doc.paths) {
    const sut = harness.create();
    compare(p.id, 0, doc.initial.expect, harness.observe(sut));
    for (const s of p.steps) {
      sut.apply(s.event);
      compare(p.id, s.step, s.expect, harness.observe(sut, s.event), s.event);
    }
    result.paths++;
    result.steps += p.steps.length;
  }
  return result;
}
