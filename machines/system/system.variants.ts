// Variants of the composed guest with the result the checker must find.
import { fixDefaultResponse } from '../vfio-ap/vfio_ap_queue.variants.ts';
import type { SystemContext } from '../context.ts';
import { editFunction, type Branch, type KFunction } from '../kthread.ts';
import { VCPU_PC } from '../vcpu/kvm_vcpu.threads.ts';
import { kickerPosts, replantStep, vcpuPosts } from '../gisa/kvm_s390_gisa_interrupt.stepghost.ts';
import { KICK_SCAN } from '../gisa/kvm_s390_gisa_interrupt.threads.ts';
import { FAULT, vcpuIdOf } from '../context.ts';
import type { CoreVariant } from './spec.ts';
import { dmaUnmapV60, setKvmHookChecked } from '../vfio-ap/vfio_ap_mdev.threads.ts';
import { filterWithoutPassable, filterWithoutReset, validateKeepsBit } from '../vfio-ap/vfio_ap_hotplug.threads.ts';
import { unlinkFilteredToo, unplugWithoutReset } from '../vfio-ap/vfio_ap_hotunplug.variants.ts';
import { fixNotifier } from '../vfio-ap/vfio_ap_notifier.threads.ts';
import { TPI_WINDOW_FOUND, tpiWindowVariants } from '../vcpu/kvm_s390_get_io_int.threads.ts';
import { flushAfterUnlock, freeOnBusy, initAfterPublish, withoutAivTest, lookupBeforeLock, pointerBeforeReference, putBeforeFlush, pqapCloseThreads, pqapOpenThreads, removeWithoutClose, resetBeforeLocks, withoutHookRwsem } from '../vfio-ap/vfio_ap_ops.threads.ts';

const GIB_SERIES = '"KVM: s390: make use of the GIB" (Michael Mueller)';
/**
 * The variant also belongs to the guest-lifetime configurations and finds the same there (the
 * default configuration stays its own; none of them restricts where it can be built). aqic-v4
 * leaves out smp, whose 2 vcpus x 2 queues exceed a million orbits there.
 */
const alsoIn = (v: CoreVariant, configurations: readonly string[] = ['two-queues', 'smp']): CoreVariant => ({
  ...v,
  expectedViolationsIn: { ...Object.fromEntries(configurations.map((c) => [c, v.expectedViolations])), ...v.expectedViolationsIn },
});

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

/**
 * The bits of kvm->arch.idle_mask as kernels before a3e03bc1368c set them: __set_cpu_idle sets bit
 * vcpu->vcpu_id. Each vcpu owns one bit (the ids are distinct), so a vcpu's `idle` flag is its bit;
 * returns the set bits below online_vcpus (for_each_set_bit / find_first_bit stop there), ascending.
 */
function idleBitsByVcpuId(c: SystemContext, vm: number): number[] {
  const k = c.vms[vm]!;
  const online = k.vcpus.length;
  return k.vcpus.flatMap((v, idx) => (v.idle ? [vcpuIdOf(c.params, idx)] : [])).filter((bit) => bit < online).sort((a, b) => a - b);
}

/** The vcpu whose vcpu_id is `bit`: the owner of that bit of idle_mask and kicked_mask before a3e03bc1368c. */
function ownerOfBit(c: SystemContext, vm: number, bit: number): SystemContext['vms'][number]['vcpus'][number] {
  const k = c.vms[vm]!;
  return k.vcpus[k.vcpus.findIndex((_, idx) => vcpuIdOf(c.params, idx) === bit)]!;
}

/**
 * issue 12 (resetwork): what upstream (and upstream-fixed, whose fix is elsewhere) breaks when the AP answers the fine-grained
 * reset's ZAPQ and TAPQ with every code the driver branches on (test/machines/vfio-ap-windows.test.ts).
 * pqap-reset-work-answers: the coarse device-reset-warn finding at the kernel's granularity: ZAPQ answers NORMAL (q->reset_status 0),
 * the work's TAPQ a code apq_status_check WARNs on (-EIO: the work returns, storing nothing and freeing nothing), flush_work
 * returns and VFIO_DEVICE_RESET returns 0 with the NIB pinned, the GISC registered and the AP interrupting (12 steps, 7 of
 * them the PQAP that enabled first; the PQAP cannot come in between: the ioctl holds mdevs_lock from the ZAPQ to the return).
 * pqap-close-work-answers: the coarse reset-warn finding: ZAPQ answers a code vfio_ap_mdev_reset_queue WARNs on (nothing queued,
 * nothing freed) and the close goes on to kvm_put_kvm and matrix_mdev->kvm = NULL (18 steps); GiscRefcountMatchesSavedIscs
 * needs the AP's interruptions off with the ISC still saved (the work's ZAPQ again answered DECONFIGURED, then TAPQ -EIO: 21
 * steps). reset-warn's other three (QueueTypeOK, GiscUnregisterBeforeNibUnpin, RemovedQueueHoldsNothing) come from a later
 * vfio_ap_mdev_remove_queue, which the fine-grained configuration does not run.
 */
const RESET_ANSWERS_FOUND = {
  'pqap-reset-work-answers': ['DeviceResetReportedDoneIsDone'],
  'pqap-close-work-answers': ['ApInterruptsIntoSavedGisc', 'GiscRefcountMatchesSavedIscs', 'NoAqicResourcesAfterUnsetKvm'],
};

export const systemVariants: CoreVariant[] = [
  alsoIn({
    id: 'upstream',
    description: 'current upstream: the mdev holds a KVM reference until the queues are reset; AQIC ir=1 answered by a response other than NORMAL or 07 leaks the new pin and GISC registration',
    cite: 'drivers/s390/crypto/vfio_ap_ops.c, arch/s390/kvm/interrupt.c, v6.17-rc4',
    expectedViolations: ['EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs', 'AlertMaskZeroAtDestroy', 'CleanTeardownReachable'],
    // the PQAP intercept against the close, with today's locks (pqap_hook_rwsem around the call through the hook): nothing to find;
    // no queue in kick-wait: the kick/wait windows of the upstream kicker and kvm_s390_handle_wait hold
    // inject: __floating_irq_kick wakes the first idle vcpu although its CR6 is closed for the injected ISC; the vcpu open for it sleeps on (no alert: the IAM is not looked at)
    // pqap-open: the window between the hook and matrix_mdev->kvm in vfio_ap_mdev_set_kvm is answered rc 01 (test/system/pqap-open.test.ts)
    // pqap-remove-queue: handle_pqap's lookup and vfio_ap_irq_enable, and remove_queue's reset, unlink and kfree, are all under mdevs_lock (test/machines/vfio-ap-concurrency.test.ts)
    // pqap-probe-queue: the probe links the queue into the qtable under mdevs_lock after initialising it; pqap-reset-work: VFIO_DEVICE_RESET holds mdevs_lock from the ZAPQ until flush_work returned (test/machines/vfio-ap-concurrency.test.ts)
    expectedViolationsIn: { 'pqap-close': [], 'kick-wait': [], 'kick-wait-2': [], 'kick-wait-fault': [], answered: [], inject: ['NoLostWakeup'], tpi: [], 'tpi-2': [], 'vcpu-ids': [], 'airq-overlap': [], 'pqap-open': [], 'pqap-remove-queue': [], 'pqap-mdev-remove': [], 'pqap-probe-queue': [], 'pqap-reset-work': [], 'pqap-close-work': [], 'pqap-no-aiv': [], teardown: [], ...RESET_ANSWERS_FOUND,
      // issue 12: zPCI forwarding restarts the kicker, whose scan reads each idle vcpu's PSW and CR6: vcpu1 open for the ISC is woken (inject's loss does not happen)
      aen: [],
      // issue 12 (apassign): the stores hold guests_lock, kvm->lock and mdevs_lock from the validation to the reset of a filtered APID; the PQAP finds no queue before the link (rc 01)
      'pqap-assign': [],
      // issue 12: QEMU resets the vfio-ap device (subsystem_reset) with the CPUs paused before it switches: nothing held across the switch, all hold
      pv: [],
      // issue 12 (vcpuio): TPI's set again of the GISA bit raises no alert and kicks nobody: a vcpu that went to sleep in the window sleeps on (machines/vcpu/README.md)
      ...TPI_WINDOW_FOUND,
      // issue 12: a VMM that switches with the queue's interruptions enabled: kvm_s390_gisa_destroy WARNs under ISC 3's registration (7 steps),
      // which stays in ref_count[] (kvm_s390_gisc_unregister answers -ENODEV while the GISA is off) and misses from the alert.mask of the
      // GISA KVM_PV_DISABLE or a failed KVM_PV_ENABLE re-initialises (7, 9 steps); the AP, still enabled with the disabled GISA's address,
      // relinks it (its IAM restored while listed: the one-isc finding, machines/gisa/README.md), then KVM_PV_DISABLE memsets a listed GISA
      // (13 steps) or the teardown's kvm_s390_gisa_destroy returns at once on gi->origin NULL and frees sie_page2 listed (17, 18 steps)
      'pv-unordered': ['AqicResourcesFreedBeforeGisaDestroy', 'AlertMaskZeroAtDestroy', 'AlertMaskIsRegisteredIscs', 'GiscRefcountMatchesSavedIscs', 'GisaInitNotListed', 'FreedGisaNotInAlertList', 'NoGisaUseAfterFree'],
      // issue 12 (apmdev, finding): a second mdev opened for the VM: set_kvm stores the hook before its -EPERM scan and leaves it;
      // mdev 0's hook lost (MdevTypeOK, 2 steps), the refused mdev's hook kept (RefusedOpenLeavesNoHook, 7), and after its removal
      // the guest's PQAP loads *pqap_hook from the freed mdev (NoMatrixMdevUseAfterFree, the oops holding pqap_hook_rwsem: NoReturnHoldingLock)
      'pqap-mdev-eperm': ['MdevTypeOK', 'RefusedOpenLeavesNoHook', 'NoMatrixMdevUseAfterFree', 'NoReturnHoldingLock'],
      // issue 12 (apmdev): dma_unmap of the NIB's range disables the AP's interruptions, unregisters and unpins: all hold
      'pqap-dma-unmap': [],
      // issue 12 (apunplug): the unplug resets the guest's queue under mdevs_lock before q->matrix_mdev = NULL, and the PQAP's lookup is under it too
      'unplug-pqap': [],
      // issue 12 (apunplug), finding: queue 1 unbound (the adapter leaves the shadow APCB, queue 0 reset, still linked), the adapter or queue 0's
      // domain unplugged (queue 0 leaves the qtable, not collected: q->matrix_mdev kept), the mdev removed (vfio_ap_mdev_unlink_fr_queues does not
      // find queue 0), queue 0 unbound: get_update_locks_for_queue loads q->matrix_mdev->kvm from the freed mdev (machines/vfio-ap/README.md)
      'unplug-stale': ['NoMatrixMdevUseAfterFree'],
      // issue 12 (apnotify): the AP bus scan's vfio_ap_mdev_cfg_remove / vfio_ap_mdev_hot_plug_cfg lock matrix_mdev->kvm->lock of an mdev no guest
      // has opened (NULL: 2 steps in cfg_remove, 5 in hot_plug_cfg); with only a control domain added, hot_plug_cfg resets queue 0 from a stale apm_filtered while the guest
      // has it in its APCB (after the open: 19 steps) (machines/vfio-ap/README.md, AP bus notifiers)
      'ap-notifier': ['NotifierLocksNoNullKvm', 'NotifierResetsOnlyFilteredQueues'],
      // the mdev open, the stack zeroed: nothing to find; the notifier's steps measured (apnotify)
      'ap-notifier-open': [],
    },
  }),
  alsoIn({
    id: 'upstream-fixed',
    description: 'upstream with the leak of the default AQIC response fixed: every invariant holds, teardown is always clean',
    cite: 'proposed fix to vfio_ap_irq_enable (see vfio_ap_queue variant upstream-fixed)',
    kernel: fixDefaultResponse,
    expectedViolations: [],
    expectedViolationsIn: { 'pqap-close': [], 'pqap-open': [], 'pqap-remove-queue': [], 'pqap-mdev-remove': [], 'pqap-probe-queue': [], 'pqap-reset-work': [], 'pqap-close-work': [], 'pqap-no-aiv': [], ...RESET_ANSWERS_FOUND,
      'pqap-assign': [],
      // issue 12 (apmdev): the set_kvm finding is not the default response's: upstream-fixed keeps it
      'pqap-mdev-eperm': ['MdevTypeOK', 'RefusedOpenLeavesNoHook', 'NoMatrixMdevUseAfterFree', 'NoReturnHoldingLock'],
      'pqap-dma-unmap': [],
    },
  }),
  alsoIn({
    id: 'aqic-v4',
    description: 'the AQIC design as first posted: no KVM reference, so QEMU closing the VM fd destroys the GISA while a queue still has interruptions enabled, a GISC registered and a NIB pinned',
    cite: '"[PATCH v4 0/7] vfio: ap: AP Queue Interrupt Control" (Pierre Morel, 2019-02-22) and Halil Pasic\'s review',
    design: { aqic: 'aqic-v4', gisaDestroy: 'v5.2' },
    // coarse only (the fine-grained handle_pqap and unset_kvm transcribe v5.3..v5.10 and upstream); not smp, where it exceeds a million orbits
    configurations: ['default', 'two-queues', 'teardown'],
    // teardown (no AP interruption, no GIB, one outcome): nothing writes the freed GISA or lists it, no pin is leaked twice
    expectedViolationsIn: {
      teardown: [
        'DestroyedGisaHasNoAlertMask', 'MdevKvmPointerHoldsReference', 'GiscUnregisterBeforeNibUnpin', 'ApInterruptsIntoSavedGisc',
        'GiscRefcountMatchesSavedIscs', 'AqicResourcesFreedBeforeGisaDestroy', 'AlertMaskZeroAtDestroy', 'NoGiscCallOnFreedKvm',
      ],
    },
    expectedViolations: [
      'AqicResourcesFreedBeforeGisaDestroy', 'MdevKvmPointerHoldsReference', 'NoGisaUseAfterFree', 'NoGiscCallOnFreedKvm',
      'FreedGisaNotInAlertList', 'AlertMaskZeroAtDestroy', 'GiscRefcountMatchesSavedIscs', 'EveryNibPinReleasedOnce',
      'GiscUnregisterBeforeNibUnpin', 'QueueTypeOK', 'IrqEnabledImpliesNibPinned', 'CleanTeardownReachable',
      // issue 14: the AP still interrupts into the GISA of a VM the mdev no longer points to;
      // the v5.2 kvm_s390_gisa_destroy leaves the alert mask the leaked registrations keep
      'ApInterruptsIntoSavedGisc', 'DestroyedGisaHasNoAlertMask',
    ],
  }, ['two-queues']),
  alsoIn({
    id: 'v5.3',
    description: 'the merged AQIC series (v5.3): the KVM reference makes teardown safe; OTHERWISE_CHANGED unpins before it unregisters',
    cite: 'ec89b55e3bce (v5.3)',
    design: { aqic: 'v5.3' },
    // where it belongs (as its expectations below say), listed so that nothing builds it in pqap-reset-work or pqap-close-work,
    // whose reset work came in v6.6 (their threads refuse v5.3)
    configurations: ['default', 'two-queues', 'smp', 'pqap-close', 'pqap-open', 'pqap-remove-queue', 'pqap-mdev-remove', 'pqap-probe-queue', 'pqap-no-aiv'],
    expectedViolations: ['GiscUnregisterBeforeNibUnpin', 'EveryNibPinReleasedOnce', 'GiscRefcountMatchesSavedIscs', 'AlertMaskZeroAtDestroy', 'CleanTeardownReachable'],
    // the locking of v5.3 is that of v5.10 (variant pqap-close-v5.10)
    // pqap-open: set_kvm stores the pointer, the reference and the hook in one step under matrix_dev->lock: nothing to find
    // pqap-remove-queue: vfio_ap_queue_dev_remove resets and frees the queue under matrix_dev->lock, which handle_pqap's lookup and enable hold: nothing to find
    // pqap-mdev-remove: as pqap-close (the close of v5.3..v5.10 is the same), the remove after it
    // pqap-probe-queue: vfio_ap_queue_dev_probe initialises q before driver_bound makes it findable: nothing to find (no pqap-reset-work: the reset work came in v6.6)
    // pqap-no-aiv: the NULL hook of pqap-close (the ECA_AIV test is inside the hook, after priv.c's unlocked loads)
    expectedViolationsIn: { 'pqap-close': ['NoPqapHookUseAfterClear'], 'pqap-open': [], 'pqap-remove-queue': [], 'pqap-mdev-remove': ['NoPqapHookUseAfterClear'], 'pqap-probe-queue': [], 'pqap-no-aiv': ['NoPqapHookUseAfterClear'] },
  }),
  alsoIn({
    id: 'planted-no-reset-on-close',
    description: 'planted bug: vfio_ap_mdev_unset_kvm drops the KVM reference without vfio_ap_mdev_reset_queues',
    cite: 'planted: vfio_ap_ops.c vfio_ap_mdev_unset_kvm without the reset',
    // it replaces the atomic unset_kvm, which the fine-grained configuration splits into steps
    configurations: ['default', 'two-queues', 'smp'],
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
    expectedViolations: [
      // (a later free of the queue's AQIC resources WARNs on the NULL matrix_mdev->kvm: no unregister, saved_isc kept, the NIB unpinned with its GISC registered)
      'QueueTypeOK', 'AqicResourcesFreedBeforeGisaDestroy', 'NoGisaUseAfterFree', 'GiscUnregisterBeforeNibUnpin', 'AlertMaskZeroAtDestroy',
      'GiscRefcountMatchesSavedIscs', 'EveryNibPinReleasedOnce', 'FreedGisaNotInAlertList', 'CleanTeardownReachable',
      // issue 14: without the reset the AP keeps interrupting after matrix_mdev->kvm = NULL
      'ApInterruptsIntoSavedGisc',
    ],
  }),
  {
    id: 'pqap-close-v5.10',
    description:
      'the PQAP intercept against the close as v5.3..v5.10 lock it: priv.c handle_pqap reads kvm->arch.crypto.pqap_hook without a lock (the NULL test, try_module_get(hook->owner), hook->hook(vcpu), and module_put(hook->owner) after the call), while vfio_ap_mdev_release clears it under matrix_dev->lock only. Finding: release clears the hook between the test and a later load (shortest: before try_module_get, 5 steps; or while the hook waits for matrix_dev->lock, so module_put loads NULL after the call): a NULL pointer dereference; vfio_ap\'s own handle_pqap re-tests the hook under matrix_dev->lock, so nothing is pinned or registered after the release',
    cite: 'arch/s390/kvm/priv.c handle_pqap and drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_release, handle_pqap, v5.10; fixed by 1e753732bda6 "s390/vfio-ap: r/w lock for PQAP interception handler function pointer" (v5.15)',
    design: { aqic: 'v5.3' },
    configuration: 'pqap-close',
    configurations: ['pqap-close'],
    expectedViolations: ['NoPqapHookUseAfterClear'],
  },
  {
    id: 'pqap-close-v5.13',
    description:
      'the PQAP intercept against the close as v5.13..v5.14 lock it (0cc00c8d4050, before the rwsem): vfio_ap_mdev_release takes matrix_dev->lock, vfio_ap_mdev_unset_kvm sets kvm_busy, drops the lock for kvm_arch_crypto_clear_masks, retakes it, resets the queues, clears the hook (after the reset, a plain store), kvm_put_kvm, matrix_mdev->kvm = NULL, kvm_busy = false and wakes the waiters; vfio_ap\'s handle_pqap waits on kvm_busy (unlock, sleep, lock) and then finds matrix_mdev->kvm NULL (rc 01). Finding as in v5.10: priv.c loads the hook again after the call (module_put(hook->owner)) and finds it NULL; nothing is pinned or registered after the close',
    cite: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_release, vfio_ap_mdev_unset_kvm, handle_pqap, v5.13..v5.14 (0cc00c8d4050; the hook store moved under pqap_hook_rwsem by 1e753732bda6, v5.15); arch/s390/kvm/priv.c handle_pqap (no rwsem)',
    configuration: 'pqap-close',
    configurations: ['pqap-close'],
    threads: (_threads, k) => pqapCloseThreads(k, 'v5.13'),
    expectedViolations: ['NoPqapHookUseAfterClear'],
  },
  {
    id: 'pqap-open-v5.13',
    description:
      'the PQAP intercept against the open as v5.13..v5.14 lock it (0cc00c8d4050: matrix_mdev->kvm_busy and the wait_for_kvm queue): the group notifier\'s vfio_ap_mdev_set_kvm takes the reference and sets kvm_busy under matrix_dev->lock, drops the lock for kvm_arch_crypto_set_masks, retakes it and stores the hook and matrix_mdev->kvm together; priv.c reads the hook without a lock. The guest sees the hook NULL (rc 01, cc 3 from priv.c) or the whole attach; vfio_ap\'s handle_pqap never waits on kvm_busy against the open (the hook is stored in the step that clears kvm_busy), and nothing is set up without the reference',
    cite: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_set_kvm, handle_pqap, v5.13..v5.14 (0cc00c8d4050 "s390/vfio-ap: fix circular lockdep when setting/clearing crypto masks"; replaced by 1e753732bda6 and 86956e70761b in v5.15); arch/s390/kvm/priv.c handle_pqap (no pqap_hook_rwsem)',
    configuration: 'pqap-open',
    configurations: ['pqap-open'],
    threads: (_threads, k) => pqapOpenThreads(k, 'v5.13'),
    expectedViolations: [],
  },
  {
    id: 'planted-set-kvm-pointer-first',
    description:
      'planted race: upstream vfio_ap_mdev_set_kvm storing matrix_mdev->kvm first, before the hook, the locks and kvm_get_kvm. MdevKvmPointerHoldsReference breaks at once (1 step); with an interleaving, the guest\'s PQAP(AQIC) passes vfio_ap\'s "if (!matrix_mdev->kvm)" under mdevs_lock before set_kvm takes it, and pins the NIB and registers the GISC while vfio_ap holds no KVM reference',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_set_kvm (v6.17-rc4) with matrix_mdev->kvm = kvm moved before down_write(&kvm->arch.crypto.pqap_hook_rwsem)',
    configuration: 'pqap-open',
    configurations: ['pqap-open'],
    threads: (threads) => editFunction(threads, 'qemu', 'vfio_ap_mdev_set_kvm', pointerBeforeReference),
    expectedViolations: ['MdevKvmPointerHoldsReference', 'NoAqicResourcesWithoutKvmReference'],
  },
  {
    id: 'planted-pqap-no-rwsem',
    description:
      'planted race: today\'s priv.c handle_pqap without down_read/up_read of pqap_hook_rwsem; vfio_ap_mdev_unset_kvm clears the hook between the NULL test and pqap_hook = *pqap_hook (NULL dereference, 5 steps); vfio_ap\'s handle_pqap re-tests the hook and matrix_mdev->kvm under mdevs_lock, so no pin or registration survives the close',
    cite: 'planted: arch/s390/kvm/priv.c handle_pqap (v6.17-rc4) without down_read(&vcpu->kvm->arch.crypto.pqap_hook_rwsem) and its up_reads',
    configuration: 'pqap-close',
    configurations: ['pqap-close'],
    threads: (threads) => editFunction(threads, 'vcpu', 'handle_pqap', withoutHookRwsem),
    expectedViolations: ['NoPqapHookUseAfterClear'],
  },
  {
    id: 'planted-pqap-lookup-unlocked',
    description:
      'planted race: as planted-pqap-no-rwsem, and vfio_ap\'s handle_pqap also tests the hook and matrix_mdev->kvm and looks the queue up before it takes mdevs_lock (check, then lock). Finding: besides the NULL hook, the whole vfio_ap_mdev_unset_kvm can run between the lookup and the lock, so vfio_ap_irq_enable calls kvm_s390_gisc_register through the matrix_mdev->kvm that unset cleared (NULL in the kernel: an oops); with the rwsem read side kept, the same slip is harmless (unset cannot clear the hook while the hook runs)',
    cite: 'planted: priv.c handle_pqap without pqap_hook_rwsem, and vfio_ap_ops.c handle_pqap with vfio_ap_mdev_get_queue before mutex_lock(&matrix_dev->mdevs_lock) (v6.17-rc4)',
    configuration: 'pqap-close',
    configurations: ['pqap-close'],
    threads: (threads) => editFunction(threads, 'vcpu', 'handle_pqap', (f) => lookupBeforeLock(withoutHookRwsem(f))),
    // ApThreadStepPostcondition (apmut): the lookup runs without mdevs_lock (3 steps)
    expectedViolations: ['NoPqapHookUseAfterClear', 'NoGiscCallOnFreedKvm', 'ApThreadStepPostcondition'],
  },
  {
    id: 'planted-pqap-lookup-before-remove-queue',
    description:
      'planted race: vfio_ap\'s handle_pqap testing the hook and matrix_mdev->kvm and looking the queue up before it takes mdevs_lock (check, then lock), pqap_hook_rwsem kept: the whole vfio_ap_mdev_remove_queue (reset, unlink, kfree) runs between the lookup and the lock, so vfio_ap_irq_enable pins the NIB, registers the GISC and enables the AP\'s interruptions through the freed struct vfio_ap_queue, which nothing will ever reset',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c handle_pqap (v6.17-rc4) with vfio_ap_mdev_get_queue before mutex_lock(&matrix_dev->mdevs_lock), against vfio_ap_mdev_remove_queue',
    configuration: 'pqap-remove-queue',
    configurations: ['pqap-remove-queue'],
    threads: (threads) => editFunction(threads, 'vcpu', 'handle_pqap', lookupBeforeLock),
    // 12 steps; QueueTypeOK too: the removed queue's region, with the AP interrupting; ApThreadStepPostcondition (apmut): the lookup runs without mdevs_lock (4 steps)
    expectedViolations: ['NoQueueUseAfterFree', 'FreedQueueHoldsNothing', 'QueueTypeOK', 'ApThreadStepPostcondition'],
  },
  {
    id: 'planted-remove-queue-reset-unlocked',
    description:
      'planted race: vfio_ap_mdev_remove_queue resetting the queue (vfio_ap_mdev_reset_queue, flush_work) before get_update_locks_for_queue, the unlink and kfree left under the locks: the guest\'s PQAP(AQIC) enables interruptions between the reset and the kfree, so the queue is freed with its NIB pinned, its GISC registered and the AP interrupting',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove_queue (v6.17-rc4) with the reset moved before get_update_locks_for_queue(q)',
    configuration: 'pqap-remove-queue',
    configurations: ['pqap-remove-queue'],
    threads: (threads, k) => editFunction(threads, 'host', 'vfio_ap_mdev_remove_queue', resetBeforeLocks(k)),
    // 13 steps; no use after free (the PQAP ran before the kfree, on a live queue); QueueTypeOK: the removed queue's region, with the AP interrupting
    expectedViolations: ['FreedQueueHoldsNothing', 'QueueTypeOK'],
  },
  {
    id: 'upstream-notifier-fixed',
    description:
      'a proposed fix to the AP bus notifiers: vfio_ap_mdev_cfg_remove and vfio_ap_mdev_hot_plug_cfg take matrix_mdev->kvm->lock only when matrix_mdev->kvm is set (as get_update_locks_for_mdev does; the pointer is stable under guests_lock, which vfio_ap_mdev_set_kvm and unset_kvm take) and still update the shadow APCB of an mdev without a guest; hot_plug_cfg zeroes apm_filtered (DECLARE_BITMAP then bitmap_zero) before it may skip vfio_ap_mdev_filter_matrix',
    cite: 'proposed fix to drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_cfg_remove and vfio_ap_mdev_hot_plug_cfg (v6.17-rc4)',
    configuration: 'ap-notifier',
    configurations: ['ap-notifier'],
    threads: fixNotifier,
    expectedViolations: [],
  },
  {
    id: 'planted-probe-init-after-publish',
    description:
      'planted race: vfio_ap_mdev_probe_queue storing q->saved_isc = VFIO_AP_ISC_INVALID only after it linked q into the qtable and released the locks (initialised after publication): the guest\'s PQAP(AQIC) finds the new queue and enables interruptions in between (ISC 3 saved, GISC registered, NIB pinned), and the late store forgets the saved ISC, so no reset or disable will unregister the GISC',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_probe_queue (v6.17-rc4) with the saved_isc initialisation moved after release_update_locks_for_mdev',
    configuration: 'pqap-probe-queue',
    configurations: ['pqap-probe-queue'],
    threads: (threads) => editFunction(threads, 'host', 'vfio_ap_mdev_probe_queue', initAfterPublish),
    // 17 steps: the probe up to the unlock of mdevs_lock, the whole PQAP (enable NORMAL), the probe's unlocks and the late store;
    // QueueTypeOK: the queue region still aqic_enabled with no saved ISC
    expectedViolations: ['GiscRefcountMatchesSavedIscs', 'ApInterruptsIntoSavedGisc', 'QueueTypeOK'],
  },
  {
    id: 'planted-device-reset-flush-unlocked',
    description:
      'planted race: vfio_ap_mdev_ioctl\'s VFIO_DEVICE_RESET waiting for the reset work (flush_work) only after mutex_unlock(&matrix_dev->mdevs_lock): the guest\'s PQAP(AQIC) takes mdevs_lock between the ZAPQ and the work, enables interruptions on the reset queue, and apq_reset_check, which takes no lock, then frees the new setup (GISC unregistered, NIB unpinned) while the AP interrupts through it',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_ioctl / vfio_ap_mdev_reset_queues (v6.17-rc4) with flush_work(&q->reset_work) after mutex_unlock(&matrix_dev->mdevs_lock)',
    configuration: 'pqap-reset-work',
    configurations: ['pqap-reset-work'],
    threads: (threads) => editFunction(threads, 'qemu', 'vfio_ap_mdev_ioctl', flushAfterUnlock),
    // 11 steps: lock, ZAPQ (the work queued), unlock; the PQAP enables; the work's TAPQ and free: the AP interrupts with no NIB pinned and no saved ISC
    expectedViolations: ['IrqEnabledImpliesNibPinned', 'ApInterruptsIntoSavedGisc'],
  },
  {
    id: 'planted-close-put-before-flush',
    description:
      'planted race: vfio_ap_mdev_unset_kvm dropping the KVM reference and clearing matrix_mdev->kvm (kvm_put_kvm) before flush_work(&q->reset_work): apq_reset_check, which takes no lock, runs after the pointer is NULL; vfio_ap_free_aqic_resources WARNs on the NULL kvm, skips kvm_s390_gisc_unregister and keeps saved_isc, and unpins the NIB with its GISC still registered',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_unset_kvm (v6.17-rc4) with kvm_put_kvm(kvm); matrix_mdev->kvm = NULL before the flush_work of vfio_ap_mdev_reset_queues',
    configuration: 'pqap-close-work',
    configurations: ['pqap-close-work'],
    threads: (threads) => editFunction(threads, 'qemu', 'vfio_ap_mdev_unset_kvm', putBeforeFlush),
    // NoResetWorkAfterUnsetKvm: the close alone (9 steps, the work queued when the pointer goes); after an enable (17): the ISC saved and
    // registered with matrix_mdev->kvm NULL; the work's WARN path (19): the NIB unpinned with the GISC registered (QueueTypeOK: saved_isc kept without a saved NIB)
    expectedViolations: ['NoResetWorkAfterUnsetKvm', 'NoAqicResourcesAfterUnsetKvm', 'GiscRefcountMatchesSavedIscs', 'GiscUnregisterBeforeNibUnpin', 'QueueTypeOK'],
  },
  {
    id: 'planted-reset-work-frees-on-busy',
    description:
      'planted bug: apq_reset_check taking TAPQ\'s -EBUSY (RESET_IN_PROGRESS, BUSY: the reset not yet done) for a completed reset: it frees the queue\'s AQIC resources (GISC unregistered, NIB unpinned) and returns while the AP, still resetting, keeps the interruptions the guest enabled, and VFIO_DEVICE_RESET returns 0',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c apq_reset_check (v6.17-rc4) with "if (ret == -EBUSY)" falling through to the free instead of msleep and ap_tapq again',
    configuration: 'pqap-reset-work-answers',
    configurations: ['pqap-reset-work-answers'],
    threads: (threads) => editFunction(threads, 'work', 'apq_reset_check', freeOnBusy),
    // 11 steps: the PQAP enables, the ioctl's ZAPQ NORMAL, TAPQ BUSY, the free (the AP still interrupting into an unregistered
    // GISC with no NIB pinned); ApThreadStepPostcondition: the TAPQ step's -EBUSY goes to the free (3 steps); DeviceResetReportedDoneIsDone
    // as upstream (TAPQ -EIO), and here also after the premature free (the AP's interruptions still on when the ioctl returns 0)
    expectedViolations: ['IrqEnabledImpliesNibPinned', 'ApInterruptsIntoSavedGisc', 'ApThreadStepPostcondition', 'DeviceResetReportedDoneIsDone'],
  },
  {
    id: 'planted-pqap-ignores-aiv',
    description:
      'planted bug: vfio_ap\'s handle_pqap without its ECA_AIV test, on a host without AIV: the PQAP takes mdevs_lock and runs vfio_ap_irq_enable, whose kvm_s390_gisc_register answers -ENODEV (no GISA), so the NIB is unpinned again and the guest is answered rc 06 by the kernel instead of userspace handling the instruction',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c handle_pqap (v6.17-rc4) without "if (!(vcpu->arch.sie_block->eca & ECA_AIV)) return -EOPNOTSUPP"',
    configuration: 'pqap-no-aiv',
    configurations: ['pqap-no-aiv'],
    threads: (threads) => editFunction(threads, 'vcpu', 'handle_pqap', withoutAivTest),
    // 4 steps: down_read, the hook test, the call, mutex_lock(mdevs_lock); the enable then unpins again (-ENODEV from kvm_s390_gisc_register): nothing else breaks
    expectedViolations: ['PqapWithoutAivGoesToUserspace'],
  },
  {
    id: 'planted-mdev-remove-without-close',
    description:
      'planted race: vfio_ap_mdev_remove not waiting for the device\'s last close (vfio_unregister_group_dev returning at once): it resets the queues and frees the ap_matrix_mdev while kvm->arch.crypto.pqap_hook still points into it and the KVM reference is held; the guest\'s PQAP then loads *pqap_hook from freed memory',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_remove (v6.17-rc4) without the wait of vfio_unregister_group_dev; cf. the 2021 review of "s390/vfio-ap: fix memory leak in mdev remove callback" (whether handle_pqap in priv.c could use an already freed mdev)',
    configuration: 'pqap-mdev-remove',
    configurations: ['pqap-mdev-remove'],
    threads: (threads) => editFunction(threads, 'remove', 'vfio_ap_mdev_remove', removeWithoutClose),
    // FreedMdevHoldsNothing at once (7 steps: the remove alone); the PQAP's load 3 steps later (10); the oops there leaves pqap_hook_rwsem read-held (NoReturnHoldingLock: a later down_write in the close would hang)
    expectedViolations: ['NoMatrixMdevUseAfterFree', 'FreedMdevHoldsNothing', 'NoReturnHoldingLock'],
  },
  {
    id: 'upstream-set-kvm-hook-checked',
    description:
      'proposed fix (issue 12, apmdev): vfio_ap_mdev_set_kvm stores the PQAP hook only while the VM has none (under pqap_hook_rwsem: if (kvm->arch.crypto.pqap_hook) { up_write; return -EPERM; }), so a second mdev opened for the VM is refused before it can take the attached mdev\'s hook; the -EPERM of the later mdev_list scan would also have to undo its own store (a VM whose attached mdev is being closed: not run here, no close thread)',
    cite: 'proposed: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_set_kvm (v6.17-rc4) with the hook tested before the store',
    configuration: 'pqap-mdev-eperm',
    configurations: ['pqap-mdev-eperm'],
    threads: (threads) => editFunction(threads, 'qemu', 'vfio_ap_mdev_set_kvm', setKvmHookChecked),
    expectedViolations: [],
  },
  {
    id: 'dma-unmap-v6.0',
    description:
      'vfio_ap_mdev_dma_unmap of v6.0..v6.1 (ce4b4657ff18 "vfio: Replace the DMA unmapping notifier with a callback" up to 2a54e347d990 "vfio/ap: validate iova during dma_unmap and trigger irq disable", v6.2): vfio_unpin_pages of the IOVA and nothing else: the AP keeps its interruptions with the NIB unpinned, q->saved_iova and the GISC registration stay',
    cite: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_dma_unmap, v6.0..v6.1',
    configuration: 'pqap-dma-unmap',
    configurations: ['pqap-dma-unmap'],
    threads: (threads, k) => editFunction(threads, 'qemu', 'vfio_ap_mdev_dma_unmap', dmaUnmapV60(k)),
    // 9 steps: the PQAP enables (7), the unmap unpins: the pin gone with saved_iova kept, unpinned with ISC 3 registered, the AP still interrupting
    expectedViolations: ['NoNibAfterDmaUnmap', 'EveryNibPinReleasedOnce', 'GiscUnregisterBeforeNibUnpin'],
  },
  {
    id: 'upstream-unplug-unlinks-filtered',
    description:
      'proposed fix (issue 12, apunplug): vfio_ap_mdev_unlink_adapter / _domain clear q->matrix_mdev of every queue they take out of the qtable, also one outside the guest\'s APCB (not collected for the reset): vfio_ap_mdev_remove then has no queue left pointing at it, and a later vfio_ap_mdev_remove_queue locks nothing through the freed mdev',
    cite: 'proposed fix to drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_unlink_adapter / vfio_ap_mdev_unlink_domain (v6.17-rc4): "else vfio_ap_unlink_mdev_fr_queue(q);" for a queue not in shadow_apcb',
    configuration: 'unplug-stale',
    configurations: ['unplug-stale'],
    threads: (threads) => ['unassign_adapter_store', 'unassign_domain_store'].reduce((ts, fn) => editFunction(ts, 'host', fn, unlinkFilteredToo), threads),
    expectedViolations: [],
  },
  {
    id: 'planted-unplug-without-reset',
    description:
      'planted bug (issue 12, apunplug): the hot unplug without vfio_ap_mdev_reset_qlist: the queues of the unplugged adapter or domain that the guest used leave its APCB and are unlinked from the mdev (q->matrix_mdev = NULL) with their AP interruptions on, the GISC registered and the NIB pinned',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_hot_unplug_adapters / _domains (v6.17-rc4) without vfio_ap_mdev_reset_qlist(&qlist)',
    configuration: 'unplug-pqap',
    configurations: ['unplug-pqap'],
    threads: (threads) => ['unassign_adapter_store', 'unassign_domain_store', 'ap_config_store'].reduce((ts, fn) => editFunction(ts, 'host', fn, unplugWithoutReset), threads),
    expectedViolations: ['UnpluggedQueueHoldsNothing'],
  },
  ...(['gib-v2', 'gib-v3', 'gib-v4', 'gib-v5'] as const).map(
    (gib): CoreVariant => ({
      id: gib,
      description: `IAM restore strategy of GIB series ${gib.slice(4)}`,
      cite: `${GIB_SERIES} ${gib.slice(4)}, see machines/gisa/README.md`,
      design: { gib },
      // airq only: the fine-grained kick-wait transcribes the merged kvm_s390_handle_wait and kicker
      configuration: 'airq',
      configurations: ['airq'],
        expectedViolations: [
          'IamRestoredOrKickerArmed', 'NoLostWakeup',
          // issue 14: v4's kvm_s390_handle_wait returns 0 while the IPM is dirty, also for an ISC this vcpu's CR6 masks;
          // with ISC 3 left pending for a halted vcpu1 that is never woken, vcpu0 (open for ISC 5 only) spins and never halts
          ...(gib === 'gib-v4' ? ['VcpuCanHalt'] : []),
        ],
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
    // WokenFromSchedule (issue 11, gisconc2): the vcpu then sleeps for good while the kicker re-arms, finding its bit set
    expectedViolations: ['KickedNotAsleep', 'NoLostWakeupAtSleep', 'WokenFromSchedule'],
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
    expectedViolations: ['KickedNotAsleep', 'NoLostWakeupAtSleep', 'WokenFromSchedule'],
  },
  {
    id: 'gib-upstream',
    description: 'the merged IAM restore strategy: gisa_get_ipm_or_restore_iam in kvm_s390_handle_wait and the gisa_vcpu_kicker timer',
    cite: `${GIB_SERIES} v7, v5.2 and later`,
    configuration: 'airq',
    configurations: ['airq'],
    expectedViolations: [],
  },
  {
    id: 'planted-gal-no-unlink',
    description: 'planted bug: process_gib_alert_list arms each listed GISA\'s kicker but never unlinks it (gisa->next_alert is not reset to its own origin), so the GISA stays on the alert list and the hardware never alerts for it again',
    cite: 'planted: arch/s390/kvm/interrupt.c process_gib_alert_list without the unlink of each GISA',
    configuration: 'airq',
    configurations: ['airq'],
    kernel: {
      process_gib_alert_list_gisa(c, vm) {
        c.vms[vm]!.gisa.timer = true; // hrtimer_start, and no gisa->next_alert = origin
      },
    },
    // GibTypeOK too (cut off with NONE_GISA_ADDR, the list is not empty when the final pass ends), and the wake-up is lost;
    // issue 14 (gisacomp): GibPassPostcondition, the pass leaves its GISAs listed
    expectedViolations: ['AlertListDrained', 'GibPassPostcondition', 'GibTypeOK', 'NoLostWakeup'],
  },
  {
    // issue 11 (gisconc2): WokenFromSchedule's planted variant, a wake-up lost that no safety property of kick-wait sees
    id: 'planted-kick-scan-gcr6-low-byte',
    description:
      'planted bug: __airqs_kick_single_vcpu tests deliverable_mask against (u8)gcr[6] without the ">> 24": the low byte of CR6, not its I/O-interruption subclass mask (bits 32-39), so the idle_mask scan never finds a vcpu open for the pending ISC. The kicker re-arms (HRTIMER_RESTART) forever with the kicked_mask bit clear, so a wake-up always looks on its way (NoLostWakeupAtSleep holds), but the vcpu sleeps in schedule() for good with the interruption pending',
    cite: 'planted: arch/s390/kvm/interrupt.c __airqs_kick_single_vcpu (v6.17-rc4) with "if (deliverable_mask & (u8)vcpu->arch.sie_block->gcr[6])" for "(u8)(vcpu->arch.sie_block->gcr[6] >> 24)"',
    configuration: 'kick-wait',
    configurations: ['kick-wait'],
    threads: (threads) =>
      editFunction(threads, 'kicker', 'gisa_vcpu_kicker', (f) => ({
        ...f,
        steps: f.steps.map((s) =>
          s.at !== KICK_SCAN
            ? s
            : replantStep(s, FAULT.GISA_THREAD_STEP_POST, kickerPosts, () => (c, t) => {
                const gcr6LowByte = 0; // (u8)gcr[6]: bits 56-63 of CR6, which the guest's ISC mask does not touch
                const list = c.vms[t.ix.vm!]!.vcpus;
                t.local.idx = list.findIndex((v) => v.idle && v.pswIo && ((t.local.pending as number) & gcr6LowByte) !== 0);
              }),
        ),
      })),
    // the step ghost sees the scan skip an idle vcpu open for the ISC (GisaThreadStepPostcondition); of the kick/wait properties only the liveness one breaks
    expectedViolations: ['GisaThreadStepPostcondition', 'WokenFromSchedule'],
  },
  {
    // issue 11/12 (gisconc2): the kicker's choice of vcpu with two vcpus (kick-wait-2)
    id: 'planted-kick-scan-ignores-gcr6',
    description:
      'planted bug: __airqs_kick_single_vcpu kicks the first idle vcpu with I/O enabled whatever its gcr[6] (as __floating_irq_kick does for software injection): with vcpu0 idle and closed for ISC 3 it kicks vcpu0 on every expiry; vcpu0 finds nothing it may take and sleeps again (kvm_arch_vcpu_runnable clears its kicked_mask bit), and vcpu1, open for ISC 3, sleeps for good with the interruption pending',
    cite: 'planted: arch/s390/kvm/interrupt.c __airqs_kick_single_vcpu (v6.17-rc4) without "if (deliverable_mask & (u8)(vcpu->arch.sie_block->gcr[6] >> 24))"',
    configuration: 'kick-wait-2',
    configurations: ['kick-wait-2'],
    threads: (threads) =>
      editFunction(threads, 'kicker', 'gisa_vcpu_kicker', (f) => ({
        ...f,
        steps: f.steps.map((s) =>
          s.at !== KICK_SCAN
            ? s
            : replantStep(s, FAULT.GISA_THREAD_STEP_POST, kickerPosts, () => (c, t) => {
                t.local.idx = c.vms[t.ix.vm!]!.vcpus.findIndex((v) => v.idle && v.pswIo);
              }),
        ),
      })),
    expectedViolations: ['GisaThreadStepPostcondition', 'WokenFromSchedule'],
  },
  {
    // issue 11/12 (gisconc2): the historical scan, found by kick-wait-2's WokenFromSchedule
    id: 'deliverable-mask-v5.2',
    description:
      '__airqs_kick_single_vcpu before 0e9ff65f455d: "deliverable_mask &= (u8)(gcr[6] >> 24); if (deliverable_mask)" narrows the mask at every idle vcpu it passes, so an idle vcpu closed for the pending ISC (vcpu0, open for ISC 5 only) empties it and the idle vcpu open for it (vcpu1, ISC 3) is never kicked; the kicker re-arms on every expiry with nothing kicked, and vcpu1 sleeps with ISC 3 pending for as long as vcpu0 stays idle',
    cite: '9f30f6216378 "KVM: s390: add gib_alert_irq_handler()" (v5.2) .. 0e9ff65f455d "KVM: s390: preserve deliverable_mask in __airqs_kick_single_vcpu" (Halil Pasic, Oct 2021, Fixes: 9f30f6216378; stable 5.4.157, 472d9354a9ce)',
    configuration: 'kick-wait-2',
    configurations: ['kick-wait-2', 'airq'],
    kernel: {
      __airqs_kick_single_vcpu(c, vm, deliverable, fx) {
        const k = c.vms[vm]!;
        let mask = deliverable;
        for (let idx = 0; idx < k.vcpus.length; idx++) {
          const v = k.vcpus[idx]!;
          if (!v.idle || !v.pswIo) continue;
          mask &= v.cr6; // the v5.2 .. v5.15 code: the mask itself narrowed
          if (mask) {
            if (v.kicked) return;
            v.kicked = true;
            this.kvm_s390_vcpu_wakeup(c, vm, idx, fx);
            return;
          }
        }
      },
    },
    // the coarse airq (same CR6 masks) sees it too: NoLostWakeup for vcpu 1, and its kicker ghost (the scan is not v6.17-rc4's)
    expectedViolationsIn: { airq: ['KickerStepPostcondition', 'NoLostWakeup'] },
    expectedViolations: ['WokenFromSchedule'],
  },
  {
    // issue 14 (mutgv): VcpuThreadStepPostcondition's planted variant
    id: 'planted-pre-run-keeps-kicked',
    description:
      'planted bug: vcpu_pre_run enters SIE without clear_bit(vcpu_idx, kicked_mask): the bit the kicker set stays set while the vcpu runs; kvm_arch_vcpu_runnable still clears it before the vcpu sleeps, so no wake-up is lost here, but the step does not do what the C says',
    cite: 'planted: arch/s390/kvm/kvm-s390.c vcpu_pre_run without "clear_bit(vcpu->vcpu_idx, vcpu->kvm->arch.gisa_int.kicked_mask);"',
    configuration: 'kick-wait',
    configurations: ['kick-wait'],
    threads: (threads) =>
      editFunction(threads, 'vcpu0', '__vcpu_run', (f) => ({
        ...f,
        steps: f.steps.map((s) => (s.at !== VCPU_PC.clearKicked ? s : replantStep(s, FAULT.VCPU_THREAD_STEP_POST, vcpuPosts, () => () => undefined))),
      })),
    expectedViolations: ['VcpuThreadStepPostcondition'],
  },
  {
    // issue 12: userspace's vcpu_id beside the creation index; configuration vcpu-ids
    id: 'idle-mask-vcpu_id-v5.14',
    description:
      'kvm->arch.idle_mask and gisa_int.kicked_mask indexed by vcpu->vcpu_id before a3e03bc1368c: __set_cpu_idle sets bit vcpu_id, and __airqs_kick_single_vcpu (for_each_set_bit(vcpu_id, idle_mask, online_vcpus); kvm_get_vcpu(kvm, vcpu_id)) and __floating_irq_kick (find_first_bit(idle_mask, online_vcpus); kvm_get_vcpu(kvm, sigcpu)) take the bit number for a vcpu_idx. With vcpu_ids {1, 0} the idle vcpu1 (vcpu_id 0, open for ISC 3) sets bit 0; the kicker looks up vcpu0 (open for ISC 5 only), passes it over, and re-arms for as long as vcpu0 runs: vcpu1 sleeps with ISC 3 pending. An id at or past online_vcpus (ids {0, 2}) is never scanned at all. Everything else as v6.17-rc4 (the later fixes 0e9ff65f455d and 9b57e9d5010b kept)',
    cite: 'a3e03bc1368c "KVM: s390: index kvm->arch.idle_mask by vcpu_idx" (Halil Pasic, v5.15-rc1; Fixes: 1ee0bc559dc3 "KVM: s390: get rid of local_int array", Cc: stable 3.15+; stable 5.13.16)',
    configuration: 'vcpu-ids',
    configurations: ['vcpu-ids'],
    kernel: {
      __airqs_kick_single_vcpu(c, vm, deliverable, fx) {
        const k = c.vms[vm]!;
        for (const bit of idleBitsByVcpuId(c, vm)) {
          const vcpu = k.vcpus[bit]!; // kvm_get_vcpu(kvm, vcpu_id): an index lookup
          if (!vcpu.pswIo) continue;
          if (deliverable & vcpu.cr6) {
            const owner = ownerOfBit(c, vm, bit); // test_and_set_bit(vcpu_id, gi->kicked_mask): the bit vcpu_pre_run of that vcpu_id clears
            if (owner.kicked) return;
            owner.kicked = true;
            this.kvm_s390_vcpu_wakeup(c, vm, bit, fx);
            return;
          }
        }
      },
      __floating_irq_kick(c, vm, fx) {
        const bit = idleBitsByVcpuId(c, vm)[0];
        if (bit !== undefined) this.kvm_s390_vcpu_wakeup(c, vm, bit, fx); // dst_vcpu = kvm_get_vcpu(kvm, sigcpu)
      },
    },
    // the kicker wakes the vcpu whose index is the bit (the kicker's step ghost: not v6.17-rc4's scan): idle vcpu1's bit 0 finds vcpu0,
    // closed for ISC 3, and nobody is woken (NoLostWakeup for vcpu 1, a 7-step lasso); idle vcpu0's bit 1 finds vcpu1 and sets bit 1 of
    // kicked_mask, vcpu0's own, without waking vcpu0 (KickedNotAsleep, 6 steps: the kicker skips vcpu0 until it runs again)
    expectedViolations: ['KickedNotAsleep', 'KickerStepPostcondition', 'NoLostWakeup'],
  },
  {
    // issue 12: the reinject of a failed TPI store as the kvm_vcpu machine had it until the path tests showed the kernel kicks; configuration tpi-2
    id: 'planted-tpi-reinject-without-kick',
    description:
      'planted bug: handle_tpi reinjects an interruption whose store failed with __inject_io alone, no __floating_irq_kick (kvm_s390_reinject_io_int calling __inject_io instead of __inject_vm): the IPM bit is set again but the idle vcpu is not woken. No wake-up is lost (the kicker, armed while the bit is pending, wakes it), but the step does not do what interrupt.c says',
    cite: 'planted: arch/s390/kvm/interrupt.c kvm_s390_reinject_io_int (v6.17-rc4: "return __inject_vm(kvm, inti);") as "return __inject_io(kvm, inti);"',
    configuration: 'tpi-2',
    configurations: ['tpi-2'],
    kernel: {
      handle_tpi(c, vm, vcpu, outcome) {
        const isc = this.kvm_s390_get_io_int(c, vm, c.vms[vm]!.vcpus[vcpu]!.cr6, outcome === 'nomem');
        if (isc < 0) return 0;
        if (outcome === 'store-fails') this.__inject_io(c, vm, isc);
        return 1;
      },
    },
    // the IPM ledger's TPI step: a reinject kicks the first idle vcpu as kvm_s390_inject_vm does
    expectedViolations: ['AdapterInterruptionLedger'],
  },
  {
    // issue 12: the coarse kicker's choice where CR6 masks overlap (configuration airq-overlap)
    id: 'planted-kick-first-idle',
    description:
      'planted bug: __airqs_kick_single_vcpu stops at the first idle vcpu with I/O enabled and kicks it without testing its gcr[6] (as __floating_irq_kick picks for software injection). With vcpu0 open for ISC 3 and vcpu1 for ISC 3 and 5, an interruption on ISC 5 while both are idle kicks vcpu0 on every expiry; vcpu0 finds nothing it may take and sleeps again, and vcpu1 sleeps with ISC 5 pending. An interruption on ISC 3 is taken either way: where the masks overlap, waking the wrong one of the vcpus open for the ISC loses nothing',
    cite: 'planted: arch/s390/kvm/interrupt.c __airqs_kick_single_vcpu (v6.17-rc4) without "if (deliverable_mask & (u8)(vcpu->arch.sie_block->gcr[6] >> 24))"; the coarse form of kick-wait-2\'s planted-kick-scan-ignores-gcr6',
    configuration: 'airq-overlap',
    configurations: ['airq-overlap', 'airq'],
    kernel: {
      __airqs_kick_single_vcpu(c, vm, _deliverable, fx) {
        const k = c.vms[vm]!;
        const idx = k.vcpus.findIndex((v) => v.idle && v.pswIo);
        if (idx < 0) return;
        const v = k.vcpus[idx]!;
        if (v.kicked) return;
        v.kicked = true;
        this.kvm_s390_vcpu_wakeup(c, vm, idx, fx);
      },
    },
    // the kicker's step ghost (v6.17-rc4 passes over a vcpu closed for every pending ISC) and NoLostWakeup for vcpu 1;
    // airq (disjoint masks, vcpu0 open for ISC 5 only) loses ISC 3 the same way
    expectedViolations: ['KickerStepPostcondition', 'NoLostWakeup'],
    expectedViolationsIn: { airq: ['KickerStepPostcondition', 'NoLostWakeup'] },
  },
  {
    // issue 12: zPCI adapter-event forwarding without the kicker restart (configuration aen)
    id: 'planted-aen-no-kicker-restart',
    description:
      'planted bug: aen_host_forward sets the forwarded ISC\'s IPM bit but does not restart gi->timer (no hrtimer_cancel / hrtimer_start(&gi->timer, 0)). A software-set IPM bit raises no alert (gisa_set_ipm_gisc does not look at the IAM), so an idle vcpu open for the ISC is woken by nobody: it sleeps with the interruption pending',
    cite: 'planted: arch/s390/kvm/interrupt.c aen_host_forward (v6.17-rc4) without "if (hrtimer_active(&gi->timer)) hrtimer_cancel(&gi->timer); hrtimer_start(&gi->timer, 0, HRTIMER_MODE_REL);"',
    configuration: 'aen',
    configurations: ['aen'],
    kernel: {
      aen_host_forward(c, vm, isc) {
        const k = c.vms[vm]!;
        this.gisa_set_ipm_gisc(c, vm, isc);
        const taker = k.vcpus.findIndex((v) => v.inSie && v.pswIo && (v.cr6 & (0x80 >> isc)) !== 0);
        if (taker >= 0) {
          k.gisa.ipm &= ~(0x80 >> isc);
          k.vcpus[taker]!.pswIo = false;
        }
      },
    },
    // the ledger's aen step (the kicker not armed) at once; NoLostWakeup for vcpu 1 (open for ISC 3) sleeping with ISC 3 pending
    expectedViolations: ['AdapterInterruptionLedger', 'NoLostWakeup'],
  },
  {
    // issue 12: the switch in the composed guest, under QEMU's order (configuration pv)
    id: 'planted-gisa-disable-without-destroy',
    description:
      'planted bug: kvm_s390_gisa_disable (KVM_PV_ENABLE on a host whose ultravisor lacks AIV) clears ECA_AIV and gd and then only sets gi->origin = NULL instead of calling kvm_s390_gisa_destroy: no gisa_set_iam(0), no process_gib_alert_list when the GISA is still on the GIB alert list, no hrtimer_cancel. QEMU\'s reset before the switch frees every AQIC resource, but an alert raised before it can leave the GISA listed: it stays listed while disabled, and the teardown\'s kvm_s390_gisa_destroy returns at once (origin NULL), so sie_page2 is freed with the GIB list still reaching it',
    cite: 'planted: arch/s390/kvm/interrupt.c kvm_s390_gisa_disable (v6.17-rc4) with "gi->origin = NULL" in place of "kvm_s390_gisa_destroy(kvm)"',
    configuration: 'pv',
    configurations: ['pv'],
    kernel: {
      kvm_s390_gisa_disable(c, vm) {
        const g = c.vms[vm]!.gisa;
        if (!g.origin) return;
        g.origin = false;
      },
    },
    // the switch's postcondition at once (10 steps: an alert before QEMU's reset leaves the GISA listed, KVM_PV_ENABLE leaves it listed with
    // gi->origin NULL); a failed KVM_PV_ENABLE re-initialises it listed (10); the teardown frees it listed (14) and the GAL handler walks it (15)
    expectedViolations: ['PvSwitchLeavesGisa', 'GisaInitNotListed', 'FreedGisaNotInAlertList', 'NoGisaUseAfterFree'],
  },
  // issue 12 (apassign): assigning into a running guest (pqap-assign, vfio_ap_hotplug.threads.ts)
  {
    id: 'planted-assign-validate-keeps-bit',
    description: 'planted bug: assign_adapter_store / assign_domain_store leaving the bit in the matrix when vfio_ap_mdev_validate_masks refuses it (-EADDRNOTAVAIL, -EADDRINUSE): the APQN is in the matrix, yet goto done skipped the link, so the bound queue is not in the qtable (the store returned an error for a change it kept)',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c assign_adapter_store (v6.17-rc4) without the clear_bit_inv after a failed vfio_ap_mdev_validate_masks',
    configuration: 'pqap-assign',
    configurations: ['pqap-assign'],
    threads: (threads, k) => editFunction(editFunction(threads, 'adapter', 'assign_adapter_store', (f) => validateKeepsBit(f, k)), 'domain', 'assign_domain_store', (f) => validateKeepsBit(f, k)),
    expectedViolations: ['MatrixQueueLinked', 'ApThreadStepPostcondition'],
  },
  {
    id: 'planted-assign-filter-keeps-unbound',
    description: 'planted bug: vfio_ap_mdev_filter_matrix copying the matrix into the guest\'s APCB without _queue_passable: after the domain store adds an APQI whose APQN on queue 0\'s APID is not bound to vfio_ap, the APID stays in the guest\'s APCB',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c vfio_ap_mdev_filter_matrix (v6.17-rc4) without the for_each_set_bit_inv loop over _queue_passable',
    configuration: 'pqap-assign',
    configurations: ['pqap-assign'],
    threads: (threads, k) => editFunction(editFunction(threads, 'adapter', 'assign_adapter_store', (f) => filterWithoutPassable(f, k)), 'domain', 'assign_domain_store', (f) => filterWithoutPassable(f, k)),
    expectedViolations: ['ApcbQueueBound', 'ApThreadStepPostcondition'],
  },
  {
    id: 'planted-assign-filter-without-reset',
    description: 'planted bug: an assign store that filters an APID out of the guest\'s APCB without reset_queues_for_apids: the queue the guest had enabled keeps its interruptions, GISC registration and pinned NIB after the guest lost it',
    cite: 'planted: drivers/s390/crypto/vfio_ap_ops.c assign_domain_store (v6.17-rc4) without reset_queues_for_apids(matrix_mdev, apm_filtered)',
    configuration: 'pqap-assign',
    configurations: ['pqap-assign'],
    threads: (threads) => editFunction(editFunction(threads, 'adapter', 'assign_adapter_store', filterWithoutReset), 'domain', 'assign_domain_store', filterWithoutReset),
    expectedViolations: ['ApThreadStepPostcondition'],
  },
  {
    // issue 12: VcpuThreadStepPostcondition's planted variant on the failed delivery (configuration kick-wait-fault)
    id: 'planted-pre-run-ignores-delivery-rc',
    description:
      'planted bug: vcpu_pre_run drops the return code of kvm_s390_deliver_pending_interrupts ("if (guestdbg_exit_pending(vcpu)) return rc;" without "rc ||"): after a delivery into a guest lowcore that is not accessible, whose IPM bit __deliver_io already test-and-cleared, the vcpu clears its kicked_mask bit and enters SIE: the interruption is lost while KVM_RUN reports nothing',
    cite: 'planted: arch/s390/kvm/kvm-s390.c vcpu_pre_run (v6.17-rc4: "if (rc || guestdbg_exit_pending(vcpu)) return rc;")',
    configuration: 'kick-wait-fault',
    configurations: ['kick-wait-fault'],
    threads: (threads) =>
      editFunction(threads, 'vcpu0', '__vcpu_run', (f) => ({
        ...f,
        steps: f.steps.map((s) => (s.at !== VCPU_PC.deliver ? s : replantStep({ ...s, next: [{ goto: VCPU_PC.clearKicked }] }, FAULT.VCPU_THREAD_STEP_POST, vcpuPosts, (inner) => inner))),
      })),
    expectedViolations: ['VcpuThreadStepPostcondition'],
  },
  // issue 12 (vcpuio): the TPI window's fix and planted bugs (machines/vcpu/kvm_s390_get_io_int.threads.ts)
  ...tpiWindowVariants,
];
