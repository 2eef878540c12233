// Issue 15 phase B: what `check --variant-file` does with a reviewer's code beyond replacing
// names. A step of the file's code that throws, loops or raises without end is one line and
// exit 2 (the file and line, the event, the state); --timeout bounds a check. Each case is a
// fixture under test/fixtures/variants whose expected line was worked out from the fixture by
// hand (the event and state are the first breadth-first step that reaches the bad code).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { primeVariantTypeChecks } from '../../src/check/variant-loader.ts';
import { keepWatchdogWorker } from '../../src/check/watchdog.ts';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

const fixture = (name: string) => `test/fixtures/variants/${name}`;
const oneLine = (s: string) => expect(s).toMatch(/^[^\n]+\n$/);

// every check here starts a worker (the watchdog's), which loads the machines again: slow under load
const SLOW = 120_000;

// the fixtures are type-checked together in one program, once (a program per file works out the package's types again, about 2.5 s of CPU each);
// every check below still type-checks its file, answered from that program (the type-check assertions below run on it)
beforeAll(() => primeVariantTypeChecks(readdirSync('test/fixtures/variants').filter((f) => f.endsWith('.ts')).map(fixture)), SLOW);
// the checks share one watchdog worker (each would start one and load the machines in it again); a worker the watchdog stops is not kept
beforeAll(() => keepWatchdogWorker(true));
afterAll(() => keepWatchdogWorker(false));

describe('runtime errors in a variant file: exit 2, one line', () => {
  it(
    'a kernel function that throws names the file and line, the event and the state, without a stack trace',
    async () => {
      // step-throws.ts:9 throws when the VM fd is closed; kvm_vm_release closes it and then puts the VM's reference,
      // so the first failing step is kvm_vm_release from the initial state
      const r = await run('check', '--variant-file', fixture('step-throws.ts'));
      expect(r.code).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(/test\/fixtures\/variants\/step-throws\.ts:9: RangeError: put after release, at event kvm_vm_release \{"vm":0\} in state vm0\.kvm=alive \(the initial state\)/);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    },
    SLOW,
  );

  it(
    '--verbose adds the numbered steps to the failing state after the one line',
    async () => {
      // by hand: kvm_get_kvm takes the driver's reference (users 2); the next put throws, and breadth-first the
      // first such step is QEMU closing the VM fd (kvm_vm_release puts the fd's reference; it precedes kvm_put_kvm in the events)
      const r = await run('check', '--variant-file', fixture('step-throws-later.ts'), '--verbose');
      expect(r.code).toBe(2);
      const [line, ...trace] = r.err.trimEnd().split('\n');
      expect(line).toMatch(/step-throws-later\.ts:9: Error: driver put, at event kvm_vm_release \{"vm":0\} in state vm0\.kvm=alive \(1 step from the initial state; --verbose shows them\)$/);
      expect(trace).toEqual([expect.stringMatching(/^\s+1\. \[\w+\] kvm_get_kvm \{"vm":0\}  -> ctx\.vms\.0\.users=2/)]);
    },
    SLOW,
  );

  it(
    'a kernel function that never returns is stopped by --step-timeout and named with its line',
    async () => {
      // step-loops.ts:7 is kvm_get_kvm's loop; kvm_get_kvm is enabled in the initial state
      const r = await run('check', '--variant-file', fixture('step-loops.ts'), '--step-timeout', '1');
      expect(r.code).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(/step-loops\.ts:7: kvm_get_kvm did not return within 1 s \(--step-timeout\), at event kvm_get_kvm \{"vm":0\} in state vm0\.kvm=alive \(the initial state\)/);
    },
    SLOW,
  );

  it(
    'an action that raises the event it handles (a loop outside the file code) is stopped and the raising action named',
    async () => {
      const r = await run('check', '--variant-file', fixture('raise-loop.ts'), '--step-timeout', '1');
      expect(r.code).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(/a step did not finish within 1 s \(it kept running the file's kvm_get_kvm, test\/fixtures\/variants\/raise-loop\.ts:8: does it raise an event that leads back to it\?\).*at event kvm_get_kvm \{"vm":0\} in state vm0\.kvm=alive/);
    },
    SLOW,
  );

  it(
    '--timeout stops a check that runs longer: its properties are undecided, a mismatch (exit 1), not a hang',
    async () => {
      // aqic-v4 explores 23,388 states (about 0.7 s on an idle core, cold in a worker): 0.05 s cannot finish it
      const r = await run('check', '--machine', 'system', '--variant', 'aqic-v4', '--timeout', '0.05');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/stopped by --timeout after \d+\.\d s \([\d,]+ states expanded\); the properties are undecided/);
      expect(r.out).toMatch(/NoGisaUseAfterFree\s+invariant\s+violated\s+unknown\s+MISMATCH/);
    },
    SLOW,
  );
});

describe('replacements that never run', { tags: ['slow'] }, () => { // tens of seconds: npm run test:slow (and CI)
  it(
    'a kernel function no explored step calls is reported and is a mismatch (exit 1)',
    async () => {
      // the airq configuration has no AP queue, so nothing reaches vfio_ap_irq_enable
      const r = await run('check', '--variant-file', fixture('unexecuted.ts'));
      expect(r.code).toBe(1);
      expect(r.out).toContain('unexecuted: system from variant gib-upstream, checked in airq (the configurations the file lists)');
      expect(r.out).toContain('kernel function vfio_ap_irq_enable: never ran in this configuration: MISMATCH');
      expect(r.out).toContain('1 check: 1 result differs from the expectation:\n  system/unexecuted/airq kernel function vfio_ap_irq_enable: never ran');
      // every property matches: the mismatch is the replacement alone
      expect(r.out).not.toMatch(/(holds|violated|unknown)\s+MISMATCH/);
    },
    SLOW,
  );

  it(
    'is no mismatch when the file expects it (expectUnexecuted, here in a file that extends the first)',
    async () => {
      const r = await run('check', '--variant-file', fixture('expect-unexecuted.ts'));
      expect(r.code).toBe(0);
      expect(r.out).toContain('kernel function vfio_ap_irq_enable: never ran in this configuration (expected: expectUnexecuted)');
    },
    SLOW,
  );

  it(
    'a guard the machine has but no transition of the configurations checked uses is a usage error, before any check',
    async () => {
      const r = await run('check', '--variant-file', fixture('guard-unused.ts'));
      expect(r.code).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(/variant file guard-unused\.ts: machine kvm_s390_gib has a guard 'queue_mine' but no transition uses it in configuration .*, so the replacement would never run/);
    },
    SLOW,
  );
});

describe('writes to shared data', { tags: ['slow'] }, () => { // tens of seconds: npm run test:slow (and CI)
  it(
    'a guard that writes the stored context it reads is named with the field, the line, the event and the state',
    async () => {
      // writes-context.ts:9 decrements users in driver_holds_reference, which kvm_put_kvm's transitions evaluate
      const r = await run('check', '--variant-file', fixture('writes-context.ts'));
      expect(r.code).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(/writes-context\.ts:9: writes ctx\.vms\.0\.users of a stored context, which other states share .*, at event kvm_put_kvm \{"vm":0\} in state vm0\.kvm=alive \(the initial state\)/);
    },
    SLOW,
  );

  it(
    'a kernel function that writes the configuration every state shares is named as such',
    async () => {
      const r = await run('check', '--variant-file', fixture('writes-params.ts'));
      expect(r.code).toBe(2);
      oneLine(r.err);
      expect(r.err).toMatch(/writes-params\.ts:8: writes params\.maxRefs, the shared configuration every state reads .*, at event kvm_get_kvm \{"vm":0\} in state vm0\.kvm=alive \(the initial state\)/);
    },
    SLOW,
  );
});

describe('a leak at the state limit', { tags: ['slow'] }, () => { // tens of seconds: npm run test:slow (and CI)
  it(
    'a counter that grows without bound stops the check early and the report names the field, the event raising it, and a bound',
    async () => {
      // leak.ts lets kvm_get_kvm run with no bound on users: one path of gets, each a new state
      const r = await run('check', '--variant-file', fixture('leak.ts'));
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/stopped early: ctx\.vms\.0\.users has taken more than 256 values \(1\.\.\d+\) in [\d,]+ states and keeps growing/);
      expect(r.out).toMatch(/fields that kept growing along the deepest paths:\n\s+ctx\.vms\.0\.users: .* raised by kvm_get_kvm \(\d+x\)/);
      expect(r.out).toMatch(/bound the exploration with a guard in kvm_get_kvm such as context\.vms\[0\]!\.users < 8/);
      expect(r.out).toMatch(/KvmTypeOK\s+invariant\s+holds\s+unknown\s+MISMATCH/);
    },
    SLOW,
  );
});

describe('what a variant file may set besides replacements', { tags: ['slow'] }, () => { // tens of seconds: npm run test:slow (and CI)
  it(
    'design switches: upstream with the AQIC design as first posted finds exactly what the shipped aqic-v4 variant must',
    async () => {
      const { specs } = await import('../../machines/index.ts');
      const shipped = specs.find((s) => s.id === 'system')!.variants.find((v) => v.id === 'aqic-v4')!;
      const r = await run('check', '--variant-file', fixture('design.ts'), '--json');
      expect(r.code).toBe(0);
      const [result] = JSON.parse(r.out) as { results: { property: string; holds: boolean | null }[] }[];
      expect(result!.results.filter((x) => x.holds === false).map((x) => x.property).sort()).toEqual([...shipped.expectedViolations].sort());
    },
    SLOW,
  );

  it(
    'invariants and liveness properties of its own, and extends: the child inherits them and its kvm_put_kvm breaks the liveness one',
    async () => {
      const parent = await run('check', '--variant-file', fixture('properties.ts'));
      expect(parent.code).toBe(0);
      // by hand: kvm_vm_release drops the last reference and kvm_destroy_vm frees struct kvm in 4 steps
      expect(parent.out).toMatch(/NeverFreed\s+invariant\s+violated\s+violated\s+ok/);
      expect(parent.out).toMatch(/AtMostTwoUsers\s+invariant\s+holds\s+holds\s+ok/);
      expect(parent.out).toMatch(/FreedReachable\s+liveness\s+holds\s+holds\s+ok/);
      expect(parent.out).toContain('NeverFreed violated (expected): shortest trace to a violating state, 4 steps');
      const child = await run('check', '--variant-file', fixture('extends-properties.ts'));
      expect(child.code).toBe(0);
      // its kvm_put_kvm never destroys: nothing is freed, so NeverFreed now holds and FreedReachable fails at once
      expect(child.out).toMatch(/NeverFreed\s+invariant\s+holds\s+holds\s+ok/);
      expect(child.out).toMatch(/FreedReachable\s+liveness\s+violated\s+violated\s+ok/);
      expect(child.out).toMatch(/KvmTypeOK\s+invariant\s+violated\s+violated\s+ok/);
    },
    SLOW,
  );

  it(
    'a payload choice: ap_aqic answering DECONFIGURED makes vfio_ap_irq_enable leak the new pin and GISC registration',
    async () => {
      const r = await run('check', '--variant-file', fixture('payloads.ts'));
      expect(r.code).toBe(0);
      // by hand: assign, open, then PQAP(AQIC) with the new outcome pins the NIB and registers ISC 3, and nothing saves them
      expect(r.out).toMatch(/4\. \[guest\] PQAP_AQIC \{"q":0,"ir":1,"isc":3,"outcome":"DECONFIGURED"\}[^\n]*ctx\.queues\.0\.pins=1/);
      expect(r.out).toMatch(/EveryNibPinReleasedOnce\s+invariant\s+violated\s+violated\s+ok/);
    },
    SLOW,
  );

  it(
    'configurations listed with expectations per configuration: each checked against its own',
    async () => {
      const r = await run('check', '--variant-file', fixture('per-configuration.ts'));
      expect(r.code).toBe(0);
      expect(r.out).toContain('checked in one-isc, kicker-unregister (the configurations the file lists)');
      expect(r.out).toMatch(/kvm_s390_gisa_interrupt \/ per-configuration \/ one-isc[\s\S]*FreedGisaNotInAlertList\s+invariant\s+violated\s+violated\s+ok/);
      expect(r.out).toMatch(/kvm_s390_gisa_interrupt \/ per-configuration \/ kicker-unregister[\s\S]*IamRestoredOrKickerArmed\s+invariant\s+violated\s+violated\s+ok/);
    },
    SLOW,
  );

  it('a misspelt guard name does not type-check', async () => {
    const { typeCheck } = await import('../../src/check/variant-file.ts');
    expect(await typeCheck(fixture('guard-typo.ts'))).toMatch(/guard-typo\.ts:6:\d+: .*kvm_vm_release_alowed/);
  }, SLOW);
});

// The dirty-log machine's kernel table (DirtyKernel): a variant file replaces its functions as
// it does the core machines', typed by the machine it names, counted, and refused by name.
describe('kernel replacements on kvm_memory_slot', () => {
  it(
    'replacing kvm_arch_commit_memory_region changes the verdict, and the replacement is counted',
    async () => {
      const base = await run('check', '--machine', 'kvm_memory_slot', '--variant', 'baseline', '--configuration', 'manual');
      expect(base.code).toBe(0);
      expect(base.out).toMatch(/DirtyOrWriteProtected\s+invariant\s+holds\s+holds\s+ok/);
      // by hand: without the write-protect the slot logs with clean bits and writable pages (2 steps)
      const r = await run('check', '--variant-file', fixture('slot-kernel.ts'));
      expect(r.err).toBe('');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/DirtyOrWriteProtected\s+invariant\s+holds\s+violated\s+MISMATCH/);
      expect(r.out).toMatch(/DirtyOrWriteProtected violated \(NOT EXPECTED\): shortest trace to a violating state, 2 steps/);
      expect(r.out).toMatch(/kernel function kvm_arch_commit_memory_region: ran \d+ times/);
    },
    SLOW,
  );

  it(
    'a replacement no explored step calls is reported (s390 never runs x86 commit write-protect): a mismatch, exit 1',
    async () => {
      const r = await run('check', '--variant-file', fixture('slot-kernel-s390.ts'));
      expect(r.code).toBe(1);
      expect(r.out).toContain('kernel function kvm_arch_commit_memory_region: never ran in this configuration: MISMATCH');
    },
    SLOW,
  );

  it(
    'a misspelt kernel name is refused with one line and exit 2: by the type check, and by the model when the file is untyped',
    async () => {
      const typed = await run('check', '--variant-file', fixture('slot-kernel-typo.ts'));
      expect(typed.code).toBe(2);
      oneLine(typed.err);
      expect(typed.err).toMatch(/slot-kernel-typo\.ts:5:\d+: .*'kvm_arch_commit_memory_regoin' does not exist in type 'Partial<DirtyKernel>'/);
      const untyped = await run('check', '--variant-file', fixture('slot-kernel-untyped.ts'));
      expect(untyped.code).toBe(2);
      oneLine(untyped.err);
      expect(untyped.err).toMatch(/unknown kernel function 'kvm_arch_commit_memory_regoin' for kvm_memory_slot; its DirtyKernel functions are .*kvm_arch_commit_memory_region/);
    },
    SLOW,
  );

  it('a replacement with the wrong signature does not type-check', async () => {
    const { typeCheck } = await import('../../src/check/variant-file.ts');
    expect(await typeCheck(fixture('slot-kernel-signature.ts'))).toMatch(/slot-kernel-signature\.ts:5:\d+: .*not assignable to type '\(c: SlotContext, e: DirtyLogEvent, k: DirtyKernel\) => number'/);
  }, SLOW);
});

describe('type checks answered from one program', () => {
  it('a file found clean there and changed since is type-checked again', async () => {
    const { typeCheck } = await import('../../src/check/variant-file.ts');
    const dir = mkdtempSync(join(tmpdir(), 's390-kvm-spec-primed-'));
    try {
      const file = join(dir, 'changed.ts');
      const clean = `import { defineVariant } from 's390-kvm-spec';\nexport default defineVariant({ machine: 'kvm', expectedViolations: [] });\n`;
      writeFileSync(file, clean);
      await primeVariantTypeChecks([file]);
      expect(await typeCheck(file)).toBeUndefined();
      // by hand: expectedViolations is readonly string[], so the 1 at line 2 is the error
      writeFileSync(file, clean.replace('[]', '[1]'));
      expect(await typeCheck(file)).toMatch(/changed\.ts:2:\d+: Type 'number' is not assignable to type 'string'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, SLOW);
});
