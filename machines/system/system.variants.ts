// Variants of the composed guest with the result the checker must find.
import { fixDefaultResponse } from '../vfio-ap/vfio_ap_queue.variants.ts';
import type { SystemContext } from '../context.ts';
import { editFunction, type Branch, type KFunction } from '../kthread.ts';
import { VCPU_PC } from '../vcpu/kvm_vcpu.threads.ts';
import type { CoreVariant } from './spec.ts';

const GIB_SERIES = '"KVM: s390: make use of the GIB" (Michael Mueller)';
/** The coarse configurations: the fine-grained threads transcribe the upstream kvm_s390_handle_wait and kicker only, and kick-wait has no queue (the AQIC variants' bugs need one). */
const COARSE = ['default', 'airq', 'two-queues', 'smp'];

/**
 * kvm_vcpu_block's loop with the check first (planted):
 * `for (;;) { if (kvm_vcpu_check_block(vcpu) < 0) break; set_current_state(TASK_INTERRUPTIBLE); schedule(); }`.
 */
function checkBlockBeforeSetState(f: KFunction<SystemContext>): KFunction<SystemContext> {
  const late = `${VCPU_PC.setState} after the check`;
  const steps = f.steps.map((st) => {
    switch (st.at) {
      case VCPU_PC.setIdle:
        return { ...st, next: VCPU_PC.checkBlock };
      case VCPU_PC.checkBlock:
        return { ...st, next: (st.next as Branch<SystemContext>[]).map((b) => (b.goto === VCPU_PC.schedule ? { ...b, goto: late } : b)) };
      case VCPU_PC.setState:
        return { ...st, at: late, next: VCPU_PC.schedule };
      case VCPU_PC.schedule:
        return { ...st, next: VCPU_PC.checkBlock };
      default:
        return st;
    }
  });
  return { ...f, steps };
}

export const systemVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description: 'current upstream: the mdev holds a KVM reference until the queues are reset; AQIC ir=1 answered by a response other than NORMAL or 07 leaks the new pin and GISC registration',
    cite: 'drivers/s390/crypto/vfio_ap_ops.c, arch/s390/kvm/interrupt.c, v6.17-rc4',
    expectedViolations: ['EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs', 'AlertMaskZeroAtDestroy', 'CleanTeardownReachable'],
    // no queue there: the kick/wait windows of the upstream kicker and kvm_s390_handle_wait hold
    expectedViolationsIn: { 'kick-wait': [] },
  },
  {
    id: 'upstream-fixed',
    description: 'upstream with the leak of the default AQIC response fixed: every invariant holds, teardown is always clean',
    cite: 'proposed fix to vfio_ap_irq_enable (see vfio_ap_queue variant upstream-fixed)',
    kernel: fixDefaultResponse,
    configurations: COARSE,
    expectedViolations: [],
  },
  {
    id: 'aqic-v4',
    description: 'the AQIC design as first posted: no KVM reference, so QEMU closing the VM fd destroys the GISA while a queue still has interruptions enabled, a GISC registered and a NIB pinned',
    cite: '"[PATCH v4 0/7] vfio: ap: AP Queue Interrupt Control" (Pierre Morel, 2019-02-22) and Halil Pasic\'s review',
    design: { aqic: 'aqic-v4', gisaDestroy: 'v5.2' },
    configurations: COARSE,
    expectedViolations: [
      'AqicResourcesFreedBeforeGisaDestroy', 'MdevKvmPointerHoldsReference', 'NoGisaUseAfterFree', 'NoGiscCallOnFreedKvm',
      'FreedGisaNotInAlertList', 'AlertMaskZeroAtDestroy', 'GiscRefcountMatchesSavedIscs', 'EveryNibPinReleasedOnce',
      'GiscUnregisterBeforeNibUnpin', 'QueueTypeOK', 'IrqEnabledImpliesNibPinned', 'CleanTeardownReachable',
    ],
  },
  {
    id: 'v5.3',
    description: 'the merged AQIC series (v5.3): the KVM reference makes teardown safe; OTHERWISE_CHANGED unpins before it unregisters',
    cite: 'ec89b55e3bce (v5.3)',
    design: { aqic: 'v5.3' },
    configurations: COARSE,
    expectedViolations: ['GiscUnregisterBeforeNibUnpin', 'EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs', 'AlertMaskZeroAtDestroy', 'CleanTeardownReachable'],
  },
  {
    id: 'planted-no-reset-on-close',
    description: 'planted bug: vfio_ap_mdev_unset_kvm drops the KVM reference without vfio_ap_mdev_reset_queues',
    cite: 'planted: vfio_ap_ops.c vfio_ap_mdev_unset_kvm without the reset',
    kernel: {
      vfio_ap_mdev_unset_kvm(c, fx) {
        const vm = c.mdev.kvm;
        c.mdev.hook = -1;
        if (vm >= 0 && c.mdev.kvmRef) {
          c.mdev.kvmRef = false;
          this.kvm_put_kvm(c, vm, fx);
        }
        c.mdev.kvm = -1;
      },
    },
    configurations: COARSE,
    expectedViolations: [
      'AqicResourcesFreedBeforeGisaDestroy', 'NoGisaUseAfterFree', 'NoGiscCallOnFreedKvm', 'AlertMaskZeroAtDestroy',
      'GiscRefcountMatchesSavedIscs', 'EveryNibPinReleasedOnce', 'FreedGisaNotInAlertList', 'CleanTeardownReachable',
    ],
  },
  ...(['gib-v2', 'gib-v3', 'gib-v4', 'gib-v5'] as const).map(
    (gib): CoreVariant => ({
      id: gib,
      description: `IAM restore strategy of GIB series ${gib.slice(4)}`,
      cite: `${GIB_SERIES} ${gib.slice(4)}, see machines/gisa/README.md`,
      design: { gib },
      configuration: 'airq',
      configurations: COARSE,
      expectedViolations: ['IamRestoredOrKickerArmed', 'NoLostWakeup'],
      status: 'asserted',
    }),
  ),
  {
    id: 'planted-check-block-before-set_current_state',
    description:
      'planted race: kvm_vcpu_block checks kvm_vcpu_check_block before set_current_state(TASK_INTERRUPTIBLE); a kick between the check and the state change finds the task running (the wake-up does nothing), the vcpu then sleeps with its kicked_mask bit set and the interruption pending, and the kicker, seeing the bit, never wakes it again',
    cite: 'planted: virt/kvm/kvm_main.c kvm_vcpu_block with "if (kvm_vcpu_check_block(vcpu) < 0) break;" before "set_current_state(TASK_INTERRUPTIBLE);"',
    configuration: 'kick-wait',
    configurations: ['kick-wait'],
    threads: (threads) => editFunction(threads, 'vcpu0', '__vcpu_run', checkBlockBeforeSetState),
    expectedViolations: ['KickedNotAsleep', 'NoLostWakeupAtSleep'],
  },
  {
    id: 'kicked-mask-v5.2',
    description:
      'kvm_arch_vcpu_runnable before 9b57e9d5010b: kicked_mask is cleared only in vcpu_pre_run, so a vcpu kicked for an interruption that is gone when it re-checks (delivered: in the shortest trace by the vcpu itself in vcpu_pre_run while the kicker scanned; in the report by another vcpu) stays in kvm_vcpu_block with its bit set, and the kicker, finding the bit set, never kicks it for the next interruption',
    cite: '9f30f6216378 "KVM: s390: add gib_alert_irq_handler()" (v5.2) .. 9b57e9d5010b "KVM: s390: clear kicked_mask before sleeping again" (Halil Pasic, Oct 2021, Reported-by Matthew Rosato; stable 5.4.157, 5.10.77)',
    configuration: 'kick-wait',
    configurations: ['kick-wait'],
    kernel: {
      kvm_arch_vcpu_runnable(c, vm, vcpu) {
        return this.kvm_s390_vcpu_has_irq(c, vm, vcpu);
      },
    },
    expectedViolations: ['KickedNotAsleep', 'NoLostWakeupAtSleep'],
  },
  {
    id: 'gib-upstream',
    description: 'the merged IAM restore strategy: gisa_get_ipm_or_restore_iam in kvm_s390_handle_wait and the gisa_vcpu_kicker timer',
    cite: `${GIB_SERIES} v7, v5.2 and later`,
    configuration: 'airq',
    configurations: COARSE,
    expectedViolations: [],
  },
];
