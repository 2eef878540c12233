// A small fixed sample through the whole harness (instrumenter, module overlay, worker
// processes, baseline coverage, both scores, triage), so a broken harness is noticed by
// npm test. Each mutant's outcome was worked out by hand:
// - kvm_put_kvm never raising kvm_destroy_vm when the last reference goes: the VM is never
//   freed, which KvmTypeOK rules out once no reference is left (killed by a property);
// - kvm_vm_release writing fd = false after kvm_put_kvm instead of before: kvm_put_kvm reads
//   only users and queues kvm_destroy_vm for after the step, so nothing can tell (equivalent);
// - the transcription's kvm_put_kvm never calling kvm_destroy_vm: the SUT keeps the VM the
//   machine destroys (killed by a path test);
// - the lifetime tracker initialising its per-queue fault sets before its per-VM ones: two
//   independent fields (equivalent).
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import type { MutationReport } from '../../src/mutate/report.ts';
import { loadTriage } from '../../src/mutate/triage.ts';
import { DEFAULT_TRIAGE } from '../../src/commands/mutate.ts';
import { attemptOutcome } from '../../src/mutate/run.ts';

const KILLED_BY_PROPERTY = 'machines/system/kvm.machine.ts:kvmKernel.kvm_put_kvm:never#0';
const EQUIVALENT_MACHINE = 'machines/system/kvm.machine.ts:kvmKernel.kvm_vm_release:swap#0';
const KILLED_BY_PATHS = 'src/sut/kvm.ts:kvm_put_kvm:never#0';
const EQUIVALENT_SUT = 'src/sut/lifetime.ts:Lifetime.constructor:swap#0';

describe('a fixed sample of mutants through the whole harness', () => {
  it('kills the two bugs, keeps the two equivalents alive, and agrees with the triage', async () => {
    let out = '';
    let err = '';
    const code = await main(['mutate', '--machine', 'kvm', '--jobs', '2', '--json', ...[KILLED_BY_PROPERTY, EQUIVALENT_MACHINE, KILLED_BY_PATHS, EQUIVALENT_SUT].flatMap((id) => ['--mutant', id])], {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      errIsTTY: false,
    });
    expect(err).toBe('');
    const r = JSON.parse(out) as MutationReport;
    const outcome = (id: string) => r.mutants.find((m) => m.id === id);
    expect(outcome(KILLED_BY_PROPERTY)).toMatchObject({ outcome: 'killed', attempts: [{ target: 'kvm/upstream/one-vm', status: 'killed', by: 'KvmTypeOK' }] });
    expect(outcome(EQUIVALENT_MACHINE)).toMatchObject({ outcome: 'survived', attempts: [{ target: 'kvm/upstream/one-vm', status: 'survived' }] });
    expect(outcome(KILLED_BY_PATHS)).toMatchObject({ outcome: 'killed', attempts: [{ target: 'kvm/upstream/one-vm', status: 'killed' }] });
    expect(outcome(EQUIVALENT_SUT)!.outcome).toBe('survived');
    // the instrumented baseline explores what the plain checker does (manifest.json: 8 states)
    expect(r.baselines.find((b) => b.kind === 'machine')).toMatchObject({ key: 'kvm/upstream/one-vm', size: 8, held: ['KvmTypeOK'] });
    // both equivalents are triaged as such, so the run agrees with the triage
    const triage = new Map(loadTriage(DEFAULT_TRIAGE).map((e) => [e.id, e.status]));
    expect([triage.get(EQUIVALENT_MACHINE), triage.get(EQUIVALENT_SUT)]).toEqual(['equivalent', 'equivalent']);
    expect(r.scores.property.find((s) => s.area === 'system')).toMatchObject({ mutants: 2, killed: 1, equivalent: 1, score: 1 });
    expect(r.scores.paths.find((s) => s.area === 'system')).toMatchObject({ mutants: 2, killed: 1, equivalent: 1, score: 1 });
    expect(code).toBe(0);
  });

  // measured (mutate --mutant src/sut/gisa.ts:try_cmpxchg:always#0): gisa_set_iam in CoreSut's constructor retries for ever, status hang
  // on path 0 before its first step of every core suite, where the unmutated transcription returns at once
  it('a loop that does not end kills a transcription mutant, not a machine mutant; a job past its deadline kills neither', () => {
    expect(attemptOutcome('sut', 'hang')).toBe('crashed');
    expect(attemptOutcome('machine', 'hang')).toBe('timeout');
    expect(attemptOutcome('sut', 'timeout')).toBe('timeout');
    expect(attemptOutcome('sut', 'limit')).toBe('timeout');
    expect(attemptOutcome('machine', 'killed')).toBe('killed');
    expect(attemptOutcome('sut', 'survived')).toBe('survived');
  });
});
