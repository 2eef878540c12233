// Helpers of the vfio-ap fine-grained configuration tests (pqap-close, pqap-open,
// pqap-remove-queue, pqap-mdev-remove): traces and replays as `thread pc` lines.
import { pathTo } from '../../src/check/check.ts';
import { explore, type Exploration } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';

/** The `thread pc` line of a step event; a step fired with one of the AP's answers (machines/kthread.ts Step.answers) ends ` {ANSWER}`. */
function lineOf(e: { type: string; thread?: string; answer?: string }): string {
  return `${e.thread} ${e.type}${e.answer !== undefined ? ` {${e.answer}}` : ''}`;
}

/** The shortest trace to each violated invariant (full exploration, or the one given), as `thread pc` lines. */
export function threadTraces(m: Model, x: Exploration = explore(m, { por: false })): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, i] of x.violations) out[name] = pathTo(x, i).events.map((e) => lineOf(m.events[e]!));
  return out;
}

/** A model's event indices for `thread pc` lines (` {ANSWER}` at the end: the step fired with that answer). */
export function threadEventsOf(m: Model, lines: string[]): number[] {
  return lines.map((l) => {
    const i = m.events.findIndex((e) => lineOf(e) === l);
    if (i < 0) throw new Error(`no event ${l}`);
    return i;
  });
}
