// PQAP(AQIC) as the guest sees it (issue 12, branch appqap): the guestStatus configurations of vfio_ap_queue, what
// upstream, the proposed fix and the planted bugs leave the guest, with the shortest traces checked by hand against
// v6.17-rc4 arch/s390/kvm/priv.c handle_pqap and drivers/s390/crypto/vfio_ap_ops.c handle_pqap / vfio_ap_irq_enable.
import { describe, expect, it } from 'vitest';
import type { SystemContext } from '../../machines/context.ts';
import { queueSpec } from '../../machines/vfio-ap/index.ts';
import { pathTo } from '../../src/check/check.ts';
import { explore } from '../../src/check/explore.ts';

const line = (e: object): string => {
  const { type, ...rest } = e as { type: string };
  return Object.keys(rest).length ? `${type} ${JSON.stringify(rest)}` : type;
};

/** The shortest trace to each violated invariant, and every (branch, what the guest read) pair reachable. */
function check(variant: string, configuration: string): { traces: Record<string, string[]>; seen: Set<string> } {
  const m = queueSpec.model(variant, configuration);
  const x = explore(m);
  const traces: Record<string, string[]> = {};
  for (const [name, i] of x.violations) traces[name] = pathTo(x, i).events.map((e) => line(m.events[e]!));
  const seen = new Set(x.states.map((s) => { const q = (s.context as SystemContext).queues[0]!; return `${q.pqapPath} ${q.gr1}`; }));
  return { traces, seen };
}

const AQIC = 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NORMAL"}';
const OPEN = 'vfio_ap_mdev_open_device {"vm":0}';
const ASSIGN = ['assign_adapter_store {"q":0}', 'assign_domain_store {"q":0}'];

describe('vfio_ap_queue: PQAP(AQIC) as the guest sees it (guestStatus configurations)', () => {
  it('pqap-refusals: upstream answers AQIC with no hook cc 3 and response code 00 (the finding); every other branch as documented', () => {
    // by hand: no hook in the initial state; priv.c memcpys the 4-byte status (response code 01) into GR1 bits 0-31 and
    // sets cc 3; the guest reads bits 32-63, its own operand (ISC 3 in bits 61-63): response code 00, so it holds a 0 for ISC 3
    const { traces, seen } = check('upstream', 'pqap-refusals');
    expect(traces).toEqual({ PqapStatusAsDocumented: [AQIC], AqicAnswerHolds: [AQIC] });
    expect(seen).toContain('no-hook cc3 rc00');
    // the fix (the shift) answers 01 there and holds everything
    const fixed = check('upstream-pqap-no-hook-shifted', 'pqap-refusals');
    expect(fixed.traces).toEqual({});
    expect(fixed.seen).toContain('no-hook cc3 rc01');
  });

  it('pqap-refusals-hooked, pqap-no-fac65: upstream holds, and each refusal is reached with its documented answer', () => {
    const hooked = check('upstream', 'pqap-refusals-hooked');
    expect(hooked.traces).toEqual({});
    // no APIE: userspace; APQN not assigned: 01 with cc 3; the protected guest's NIB not shared: 06 with cc 3; enabled: 00 cc 0
    for (const s of ['no-apie USERSPACE', 'no-queue cc3 rc01', 'nib-not-shared cc3 rc06', 'vfio_ap cc0 rc00']) expect(hooked.seen).toContain(s);
    expect([...hooked.seen].some((s) => s.startsWith('no-hook'))).toBe(false);
    const noFac65 = check('upstream', 'pqap-no-fac65');
    expect(noFac65.traces).toEqual({});
    // facility 65 is tested after ECA_APIE and before the hook: only userspace or the specification exception
    expect([...noFac65.seen].filter((s) => !s.startsWith('none')).sort()).toEqual(['no-apie USERSPACE', 'no-fac65 PGM_SPECIFICATION']);
  });

  it('the planted bugs break what they should, with the shortest traces read off by hand', () => {
    // qstatus initialised 0: the mdev opened with the APQN not assigned, AQIC answered cc 0 / 00 with nothing enabled
    expect(check('planted-no-queue-answers-0', 'pqap-refusals-hooked').traces).toEqual({ PqapStatusAsDocumented: [OPEN, AQIC], AqicAnswerHolds: [OPEN, AQIC] });
    // ensure_nib_shared fails and the pin stays: assign both, open, AQIC with the NIB not shared
    const shared = [...ASSIGN, OPEN, 'PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NIB_NOT_SHARED"}'];
    expect(check('planted-nib-shared-keeps-pin', 'pqap-refusals-hooked').traces).toEqual({ EveryNibPinReleasedOnce: shared, AqicStepPostcondition: shared });
    // no ECA_APIE test: after DISABLE_APIE the kernel answers (01, no queue) where userspace must; with the APQN assigned it enables
    const apie = check('planted-apie-not-checked', 'pqap-refusals-hooked').traces;
    expect(apie.PqapStatusAsDocumented).toEqual([OPEN, 'KVM_S390_VM_CRYPTO_DISABLE_APIE {"vm":0}', AQIC]);
    expect(apie.AqicStepPostcondition).toEqual([...ASSIGN, OPEN, 'KVM_S390_VM_CRYPTO_DISABLE_APIE {"vm":0}', AQIC]);
    // no kvm_s390_vcpu_crypto_reset_all: DISABLE_APIE returns with every vcpu's ECA_APIE still set
    expect(check('planted-set-crypto-no-reset-all', 'pqap-refusals-hooked').traces).toEqual({ ApieAsSetByUserspace: ['KVM_S390_VM_CRYPTO_DISABLE_APIE {"vm":0}'] });
    // no facility 65 test: the first AQIC is answered (no hook: 01) instead of the specification exception
    const fac = check('planted-fac65-not-checked', 'pqap-no-fac65').traces;
    expect(fac.PqapStatusAsDocumented).toEqual([AQIC]);
    expect(fac.AqicStepPostcondition).toEqual([...ASSIGN, OPEN, AQIC]);
  });
});
