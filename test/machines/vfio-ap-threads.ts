// Helpers of the vfio-ap fine-grained configuration tests (pqap-close, pqap-open,
// pqap-remove-queue, pqap-mdev-remove): traces and replays as `thread pc` lines.
import { pathTo } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';
import type { Model } from '../../src/spec.ts';

/** The shortest trace to each violated invariant (full exploration), as `thread pc` lines. */
export function threadTraces(m: Model): Record<string, string[]> {
  const x = explore(m, { por: false });
  const out: Record<string, string[]> = {};
  for (const [name, i] of x.violations) out[name] = pathTo(x, i).events.map((e) => `${(m.events[e] as { thread?: string }).thread} ${m.events[e]!.type}`);
  return out;
}

/** A model's event indices for `thread pc` lines. */
export function threadEventsOf(m: Model, lines: string[]): number[] {
  return lines.map((l) => {
    const [thread, ...pc] = l.split(' ');
    const i = m.events.findIndex((e) => e.type === pc.join(' ') && (e as { thread?: string }).thread === thread);
    if (i < 0) throw new Error(`no event ${l}`);
    return i;
  });
}
