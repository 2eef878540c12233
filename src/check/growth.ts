// Whether an exploration can finish: from the states found at each BFS depth, the growth of
// the frontier, and from it whether the state limit will be reached and how soon. `check`
// stops a run early when the limit is certain and still far away in time, and says why;
// issue 19 (scale) will refine the projection.

export interface Growth {
  /** Complete BFS levels seen (depths 0..levels-1). */
  levels: number;
  /** The frontier's growth per level: the least ratio of the last three complete levels. */
  ratio: number;
  /** The depth at which the projected states pass the limit while the growth stays at CERTAIN_RATIO or more, or -1. */
  depthAtLimit: number;
  /** Projected seconds until the limit at the rate so far (Infinity when it is not reached). */
  secondsToLimit: number;
}

/** The least growth ratio a frontier must keep for three levels before the limit counts as certain. */
export const CERTAIN_RATIO = 1.3;
/** Levels smaller than this say little about growth (and the rate is still the JIT's). */
const MIN_LEVEL = 10_000;

/**
 * Projects the exploration from the complete levels `perDepth[0..complete]`: the frontier keeps
 * growing, by the least ratio of the last three levels at first, and that ratio's excess over 1
 * shrinks level by level as fast as it shrank over the last two (growth that slows down is
 * projected to go on slowing). `states` and `elapsedMs` so far give the rate.
 */
export function project(perDepth: readonly number[], complete: number, states: number, maxStates: number, elapsedMs: number): Growth {
  const levels = complete + 1;
  const none: Growth = { levels, ratio: 0, depthAtLimit: -1, secondsToLimit: Infinity };
  if (levels < 4 || !Number.isFinite(maxStates)) return none;
  const at = (d: number) => perDepth[d] ?? 0;
  if (at(complete) < MIN_LEVEL) return none;
  const ratio = Math.min(at(complete) / Math.max(1, at(complete - 1)), at(complete - 1) / Math.max(1, at(complete - 2)), at(complete - 2) / Math.max(1, at(complete - 3)));
  if (ratio < CERTAIN_RATIO) return { ...none, ratio };
  const last = at(complete) / Math.max(1, at(complete - 1));
  const before = at(complete - 1) / Math.max(1, at(complete - 2));
  const decay = before > 1 ? Math.min(1, (last - 1) / (before - 1)) : 1;
  let total = states;
  let frontier = at(complete);
  let r = ratio;
  // certain only as long as the projected growth stays at CERTAIN_RATIO or more
  for (let d = complete + 1; r >= CERTAIN_RATIO; d++) {
    frontier *= r;
    r = 1 + (r - 1) * decay;
    total += frontier;
    if (total >= maxStates) {
      const rate = states / Math.max(1, elapsedMs / 1000);
      return { levels, ratio, depthAtLimit: d, secondsToLimit: (maxStates - states) / rate };
    }
  }
  return { ...none, ratio };
}

/** `1, 4, 17, 60, 212` (the last levels when there are many). */
export function perDepthText(perDepth: readonly number[], upTo = perDepth.length): string {
  const xs = perDepth.slice(0, upTo).map((n) => (n ?? 0).toLocaleString('en'));
  return xs.length > 12 ? `${xs.slice(0, 3).join(', ')}, ..., ${xs.slice(-8).join(', ')}` : xs.join(', ');
}
