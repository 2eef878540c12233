// The whole analysis against the triage: every triaged mutant is run again, and the run fails
// when one of them is killed (the triage was wrong), when a mutant is neither killed nor triaged,
// or when an entry is stale (its code was rewritten). About 15 minutes on the shared 2-core build
// machine, so `npm run test:mutate` runs it (S390_MUTATE_FULL=1), not npm test, whose fixed
// sample (test/mutate/sample.test.ts) only proves the harness works.
import { describe, expect, it } from 'vitest';
import { runMutate } from '../../src/commands/mutate.ts';
import type { MutationReport } from '../../src/mutate/report.ts';

describe.runIf(process.env.S390_MUTATE_FULL === '1')('every mutant against mutation/triage.json (npm run test:mutate)', () => {
  it('no triaged mutant is killed, every mutant not killed is triaged, no entry is stale', async () => {
    let out = '';
    const code = await runMutate({ json: true }, { out: (s) => void (out += s), err: (s) => void process.stderr.write(s), errIsTTY: false });
    const r = JSON.parse(out) as MutationReport;
    expect(r.triageProblems.wrong).toEqual([]);
    expect(r.triageProblems.untriaged).toEqual([]);
    expect(r.triageProblems.stale).toEqual([]);
    expect(code).toBe(0);
  }, 3_600_000);
});
