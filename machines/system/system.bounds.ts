// Configurations of the composed guest: coarse (every kernel function one step) and
// fine-grained (machines/kthread.ts: the vcpu's KVM_RUN loop and the gisa_vcpu_kicker hrtimer
// as threads, step by step).
import { iscBit, type Params, type SystemContext } from '../context.ts';
import type { Kernel } from '../kernel.ts';
import type { ThreadDef } from '../kthread.ts';
import { gisaVcpuKicker } from '../gisa/kvm_s390_gisa_interrupt.threads.ts';
import { GisaInitNotListed, KickerSeesLiveGisa } from '../gisa/kvm_s390_gisa_interrupt.invariants.ts';
import { AQIC_OUTCOMES } from '../vfio-ap/vfio_ap_queue.bounds.ts';
import { kickedNotAsleep, noLostWakeupAtSleep } from '../vcpu/kvm_vcpu.invariants.ts';
import { vcpuThread, vcpuThreadName } from '../vcpu/kvm_vcpu.threads.ts';
import { WokenFromSchedule } from '../vcpu/kvm_vcpu.liveness.ts';
import type { CoreConfiguration } from './spec.ts';
import { tpiWindowConfigurations } from '../vcpu/kvm_s390_get_io_int.threads.ts';
import type { FineParts } from './system.machine.ts';
import { airqLiveness, CleanTeardownReachable } from './system.liveness.ts';
import { pqapCloseThreads, pqapMdevRemoveThreads, pqapOpenThreads, pqapCloseWorkThreads, pqapProbeQueueThreads, pqapRemoveQueueThreads, pqapResetWorkThreads, type ResetAnswers } from '../vfio-ap/vfio_ap_ops.threads.ts';
import { FreedMdevHoldsNothing, NoMatrixMdevUseAfterFree } from '../vfio-ap/ap_matrix_mdev.invariants.ts';
import { ApThreadStepPostcondition } from '../vfio-ap/vfio_ap_ops.stepghost.ts';
import { pqapDmaUnmapThreads, pqapMdevEpermThreads } from '../vfio-ap/vfio_ap_mdev.threads.ts';
import { RefusedOpenLeavesNoHook } from '../vfio-ap/ap_matrix_mdev.invariants.ts';
import { NoNibAfterDmaUnmap } from '../vfio-ap/vfio_ap_queue.invariants.ts';
import { pqapAssignInitial, pqapAssignThreads } from '../vfio-ap/vfio_ap_hotplug.threads.ts';
import { ApcbQueueBound, MatrixQueueLinked } from '../vfio-ap/vfio_ap_hotplug.invariants.ts';
import { unplugPqapThreads, unplugStaleThreads } from '../vfio-ap/vfio_ap_hotunplug.threads.ts';
import { UnpluggedQueueHoldsNothing } from '../vfio-ap/vfio_ap_hotunplug.invariants.ts';
import { apNotifierOpenThreads, apNotifierThreads, notifierInitial, notifierInvariants, NotifierScanCompletes } from '../vfio-ap/vfio_ap_notifier.threads.ts';
import { deviceResetInvariants, FreedQueueHoldsNothing, PqapWithoutAivGoesToUserspace, NoAqicResourcesAfterUnsetKvm, NoResetWorkAfterUnsetKvm, NoAqicResourcesWithoutKvmReference, NoPqapHookUseAfterClear, NoQueueUseAfterFree } from '../vfio-ap/vfio_ap_queue.invariants.ts';

/** The coarse events the kick/wait threads replace (the regions leave their transitions out). */
const KICK_WAIT_REPLACED = new Set(['gisa_vcpu_kicker', 'vcpu_pre_run', 'vcpu_post_run', 'kvm_s390_handle_wait', 'kvm_vcpu_check_block', 'kvm_s390_vcpu_start', 'STOSM_IO']);

/** The kicker of VM vm (`kicker`, or `kicker1` with several VMs). */
const kickerName = (vms: number, vm: number): string => (vms > 1 ? `kicker${vm}` : 'kicker');

/**
 * The kick/wait threads: per VM the gisa_vcpu_kicker hrtimer callback, per vcpu its KVM_RUN
 * loop (kvm_vcpu.threads.ts), every vcpu started and outside SIE at first.
 */
function kickWait(params: { vms: number; vcpus: number }, k: Kernel): FineParts {
  const threads: ThreadDef<SystemContext>[] = [];
  for (let vm = 0; vm < params.vms; vm++) {
    const kicker = kickerName(params.vms, vm);
    threads.push({ name: kicker, actor: 'timer', ix: { vm }, fns: [gisaVcpuKicker(vm, kicker, k)] });
    for (let vcpu = 0; vcpu < params.vcpus; vcpu++) threads.push(vcpuThread(params.vms, vm, vcpu, k));
  }
  const kickers = threads.filter((t) => t.actor === 'timer').map((t) => t.name);
  return {
    threads,
    gib: { kickers, omit: KICK_WAIT_REPLACED, design: k.design },
    gisa: () => ({ omit: KICK_WAIT_REPLACED }),
    vcpuThread: () => true,
    initial: (c) => {
      for (const vmc of c.vms) for (const v of vmc.vcpus) v.stopped = false;
    },
  };
}

/** The properties of the kick/wait windows, in the form that reads the threads' program counters. */
/** Issue 12 (kick-wait-fault): the kick/wait threads with each delivery of the vcpu threads answering delivered or lowcore-fault. */
function kickWaitFault(params: { vms: number; vcpus: number }, k: Kernel): FineParts {
  const fine = kickWait(params, k);
  const threads = fine.threads.map((t) => (t.actor === 'kernel' && t.ix?.vcpu !== undefined ? vcpuThread(params.vms, t.ix.vm!, t.ix.vcpu, k, { lowcoreFault: true }) : t));
  return { ...fine, threads };
}

function kickWaitInvariants(vms: number, vcpus: number) {
  const threads = Array.from({ length: vms }, (_, vm) => Array.from({ length: vcpus }, (_, vcpu) => ({ vm, vcpu, name: vcpuThreadName(vms, vm, vcpu) }))).flat();
  const kickers = Array.from({ length: vms }, (_, vm) => ({ vm, name: kickerName(vms, vm) }));
  return [kickedNotAsleep(threads), noLostWakeupAtSleep(threads, kickers), KickerSeesLiveGisa];
}

/** The environment of the kick/wait configurations: the AP (millicode), the GAL handler, QEMU's FLIC CLEAR_IRQS. */
const KICK_WAIT_ENV = ['GISA_ADAPTER_INTERRUPTION', 'gib_alert_irq_handler', 'process_gib_alert_list', 'kvm_s390_gisa_clear'];

const VCPU = ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'vcpu_post_run', 'kvm_s390_handle_wait', 'STOSM_IO', 'kvm_vcpu_check_block'];
const GIB = ['gisa_vcpu_kicker', 'gib_alert_irq_handler', 'process_gib_alert_list'];
const TEARDOWN = ['kvm_s390_vcpu_stop', 'kvm_vm_release', 'kvm_s390_gisa_destroy', 'free_page_sie_page2', 'kvm_destroy_devices'];
/** QEMU's interrupt reset at start and reset: KVM_DEV_FLIC_CLEAR_IRQS -> kvm_s390_clear_float_irqs -> kvm_s390_gisa_clear. */
const FLIC = ['kvm_s390_gisa_clear'];
const VFIO_AP = [
  'assign_adapter_store', 'assign_domain_store', 'vfio_ap_mdev_open_device', 'vfio_ap_mdev_close_device',
  'PQAP_AQIC', 'PQAP_ZAPQ', 'AP_ADAPTER_INTERRUPTION', 'vfio_ap_mdev_remove_queue',
];

/** Every event of the guest's life, from vcpu start and QEMU's interrupt reset to teardown, with every ap_aqic outcome. */
const GUEST_LIFETIME = { types: [...VCPU, ...GIB, ...FLIC, ...TEARDOWN, ...VFIO_AP], outcomes: AQIC_OUTCOMES };

/**
 * Issue 12: the guest lifetime of `answered` (no OTHER response: upstream's leak would hide the switch's own results) plus
 * QEMU's KVM_PV_ENABLE and KVM_PV_DISABLE (kvm_s390_handle_pv) on a host whose ultravisor lacks AIV; without the AP bus
 * removing the queue and the guest's own PQAP(ZAPQ), which only free or turn off what the switch could find held (every
 * result the same without them, measured; 2,040 -> 1,035 states upstream with QEMU's order).
 */
const PV_LIFETIME = {
  types: [...GUEST_LIFETIME.types.filter((t) => t !== 'vfio_ap_mdev_remove_queue' && t !== 'PQAP_ZAPQ'), 'KVM_PV_ENABLE', 'KVM_PV_DISABLE'],
  outcomes: AQIC_OUTCOMES.filter((o) => o !== 'OTHER'),
};

/** The coarse events the pqap-close threads replace: the regions leave their transitions out. */
const PQAP_CLOSE_REPLACED = new Set(['PQAP_AQIC', 'vfio_ap_mdev_close_device', 'vfio_ap_mdev_open_device']);

/** Where pqap-close starts: queue 0 assigned, the mdev open for VM 0 (hook, KVM reference, pointer), the VM fd open. */
function mdevOpen(c: SystemContext): void {
  Object.assign(c.queues[0]!, { apid: true, apqi: true });
  c.mdev = { kvm: 0, kvmRef: true, hook: 0, kvmBusy: false };
  c.vms[0]!.users += 1;
}

/** The threads of pqap-close (machines/vfio-ap/vfio_ap_ops.threads.ts), the era from the design. */
function pqapClose(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapCloseThreads(k),
    initial: mdevOpen,
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** Where pqap-open starts: queue 0 assigned, the mdev closed (no hook, no pointer, no reference), the VM fd open. */
function queueAssigned(c: SystemContext): void {
  Object.assign(c.queues[0]!, { apid: true, apqi: true });
}

/** The threads of pqap-open (machines/vfio-ap/vfio_ap_ops.threads.ts): the PQAP intercept against vfio_ap_mdev_set_kvm, the era from the design. */
function pqapOpen(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapOpenThreads(k),
    initial: queueAssigned,
    mdev: { initial: 'closed', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** The coarse events the pqap-remove-queue threads replace. */
const PQAP_REMOVE_QUEUE_REPLACED = new Set([...PQAP_CLOSE_REPLACED, 'vfio_ap_mdev_remove_queue']);

/** The threads of pqap-remove-queue (machines/vfio-ap/vfio_ap_ops.threads.ts): the PQAP intercept against vfio_ap_mdev_remove_queue, the mdev open for VM 0, queue 0 not freed. */
function pqapRemoveQueue(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapRemoveQueueThreads(k),
    initial: (c) => {
      mdevOpen(c);
      c.queues[0]!.freed = false;
    },
    mdev: { initial: 'open', omit: PQAP_REMOVE_QUEUE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_REMOVE_QUEUE_REPLACED, removedBy: true }),
  };
}

/** What the queue-removal and mdev-removal pairs share: 1 VM, no vcpu region (the vcpu is a thread), queue 0, no coarse event, no liveness (no teardown here, and POR is on). */
const PQAP_FINE = { params: { vms: 1, vcpus: 0, queues: 1, iscs: [3] }, bounds: { types: [] }, liveness: [] };

/** The threads of pqap-mdev-remove: the PQAP intercept, QEMU's close, the mdev's removal after it; the mdev open for VM 0, not freed. */
function pqapMdevRemove(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapMdevRemoveThreads(k),
    initial: (c) => {
      mdevOpen(c);
      c.mdev.freed = false;
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** The threads of pqap-mdev-eperm (vfio_ap_mdev.threads.ts): mdev 0 open for VM 0 with queue 0, a second mdev (no APQN) closed, not freed. */
function pqapMdevEperm(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapMdevEpermThreads(k),
    initial: (c) => {
      mdevOpen(c);
      c.mdev1 = { kvm: -1, hook: -1, refused: false, freed: false };
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** The threads of pqap-dma-unmap (vfio_ap_mdev.threads.ts): the mdev open for VM 0 with queue 0, the NIB's IOVA mapped. */
function pqapDmaUnmap(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapDmaUnmapThreads(k),
    initial: (c) => {
      mdevOpen(c);
      c.mdev.nibUnmapped = false;
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** The threads of pqap-probe-queue: the PQAP intercept against vfio_ap_mdev_probe_queue; the APQN assigned to the mdev open for VM 0, queue 0 not yet probed (not in the qtable). */
function pqapProbeQueue(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapProbeQueueThreads(k),
    initial: (c) => {
      mdevOpen(c);
      c.queues[0]!.linked = false;
      c.queues[0]!.inApcb = false; // issue 12 (apassign): the probe's vfio_ap_mdev_filter_matrix puts the APID in the guest's APCB
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** issue 12 (apassign): the threads of pqap-assign: the PQAP intercept against userspace assigning queue 0's APID and a second APQI; the mdev open for VM 0, queue 0 probed with its APQI assigned, not linked, outside the guest's APCB. */
function pqapAssign(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapAssignThreads(k),
    initial: (c) => {
      mdevOpen(c);
      pqapAssignInitial(c);
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** The threads of pqap-reset-work: the PQAP intercept, QEMU's VFIO_DEVICE_RESET, queue 0's reset work; the mdev open for VM 0, the work not queued. */
function pqapResetWork(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapResetWorkThreads(k),
    initial: (c) => {
      mdevOpen(c);
      c.queues[0]!.work = 'idle';
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/**
 * issue 12: every answer of the AP the fine-grained reset branches on, in the coarse machine's vocabulary (as device-reset,
 * device-reset-warn and reset-warn send them): ZAPQ (vfio_ap_mdev_reset_queue's switch, and the work's ZAPQ again) NORMAL,
 * IN_PROGRESS, DECONFIGURED, INVALID; the work's TAPQ (apq_status_check) BUSY, DONE, ASSOC, INVALID.
 */
const RESET_ANSWERS: ResetAnswers = { zapq: ['NORMAL', 'IN_PROGRESS', 'DECONFIGURED', 'INVALID'], tapq: ['BUSY', 'DONE', 'ASSOC', 'INVALID'] };

/** The threads of pqap-reset-work-answers: as pqap-reset-work, the AP answering RESET_ANSWERS; q->reset_status and VFIO_DEVICE_RESET's return code are state. */
function pqapResetWorkAnswers(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapResetWorkThreads(k, RESET_ANSWERS),
    initial: (c) => {
      mdevOpen(c);
      Object.assign(c.queues[0]!, { work: 'idle', resetStatus: 'NORMAL' });
      c.mdev.resetRc = null;
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** The threads of pqap-close-work-answers: as pqap-close-work, the AP answering RESET_ANSWERS (the close drops vfio_ap_mdev_reset_queues' return). */
function pqapCloseWorkAnswers(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapCloseWorkThreads(k, RESET_ANSWERS),
    initial: (c) => {
      mdevOpen(c);
      c.queues[0]!.work = 'idle';
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** The threads of pqap-close-work: the PQAP intercept, QEMU's close (the reset of queue 0 as ZAPQ and flush_work), queue 0's reset work; the mdev open for VM 0, the work not queued. */
function pqapCloseWork(_params: Params, k: Kernel): FineParts {
  return {
    threads: pqapCloseWorkThreads(k),
    initial: (c) => {
      mdevOpen(c);
      c.queues[0]!.work = 'idle';
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** Where the hot-unplug configurations start: every queue of the one adapter linked to the mdev (qtable and q->matrix_mdev) and in the guest's APCB (shadow_apcb), not freed. */
function queuesLinked(c: SystemContext): void {
  for (const q of c.queues) Object.assign(q, { apid: true, apqi: true, linked: true, inApcb: true, matrixMdev: true, freed: false });
}

/** The threads of unplug-pqap (machines/vfio-ap/vfio_ap_hotunplug.threads.ts): the PQAP intercept against the host unplugging queue 0's adapter or domain; the mdev open for VM 0. */
function unplugPqap(_params: Params, k: Kernel): FineParts {
  return {
    threads: unplugPqapThreads(k),
    initial: (c) => {
      mdevOpen(c);
      queuesLinked(c);
    },
    mdev: { initial: 'open', omit: PQAP_REMOVE_QUEUE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_REMOVE_QUEUE_REPLACED, removedBy: true }),
  };
}

/** The threads of unplug-stale: queue 1 unbound, the adapter or queue 0's domain unplugged, the mdev removed, queue 0 unbound; the mdev closed (no guest), not freed. */
function unplugStale(_params: Params, k: Kernel): FineParts {
  return {
    threads: unplugStaleThreads(k),
    initial: (c) => {
      queuesLinked(c);
      c.mdev.freed = false;
    },
    mdev: { initial: 'closed', omit: PQAP_REMOVE_QUEUE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_REMOVE_QUEUE_REPLACED, removedBy: true }),
  };
}

/** The threads of ap-notifier (machines/vfio-ap/vfio_ap_notifier.threads.ts): the AP bus scan's notifiers against QEMU opening the mdev and the guest's PQAP(AQIC); the mdev closed, queue 0 in its shadow APCB. */
function apNotifier(_params: Params, k: Kernel): FineParts {
  return {
    threads: apNotifierThreads(k),
    initial: notifierInitial,
    mdev: { initial: 'closed', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

/** The threads of ap-notifier-open: the AP bus scan's notifiers (stack zeroed) against the guest's PQAP(AQIC); the mdev open for VM 0, queue 0 in its shadow APCB. */
function apNotifierOpen(_params: Params, k: Kernel): FineParts {
  return {
    threads: apNotifierOpenThreads(k),
    initial: (c) => {
      mdevOpen(c);
      notifierInitial(c);
    },
    mdev: { initial: 'open', omit: PQAP_CLOSE_REPLACED },
    queue: () => ({ initial: 'assigned', omit: PQAP_CLOSE_REPLACED }),
  };
}

export const systemConfigurations: CoreConfiguration[] = [
  {
    id: 'default',
    description: '1 VM with 1 vcpu, 1 AP queue on the mdev, guest ISC 3, every ap_aqic outcome; QEMU may close anything at any time',
    params: { vms: 1, vcpus: 1, queues: 1, iscs: [3] },
    bounds: GUEST_LIFETIME,
  },
  {
    id: 'airq',
    description: '1 VM with 2 vcpus, vcpu0 open for ISC 5 only, vcpu1 for ISC 3 only, both ISCs registered; up to 3 adapter interruptions on either ISC at any time',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [iscBit(5), iscBit(3)], preRegistered: [3, 5], airqs: 3 },
    bounds: { types: [...VCPU, ...GIB, 'GISA_ADAPTER_INTERRUPTION'] },
    liveness: airqLiveness,
  },
  {
    id: 'inject',
    description: 'as airq, but the adapter interruptions are injected by software (kvm_s390_inject_vm: QEMU\'s KVM_S390_INTERRUPT / FLIC AIRQ_INJECT or an irqfd adapter route): __inject_io sets the IPM bit without the IAM check or an alert, __floating_irq_kick wakes the first idle vcpu whatever its CR6; up to 2 injections',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [iscBit(5), iscBit(3)], preRegistered: [3, 5], airqs: 2 },
    bounds: { types: [...VCPU, ...GIB, 'kvm_s390_inject_vm'] },
    liveness: airqLiveness,
  },
  {
    // issue 12: zPCI adapter-event forwarding, a second producer of IPM bits that alerts nobody but restarts the kicker
    id: 'aen',
    description: 'as inject, but the adapter interruptions are zPCI events forwarded by the host (gib_alert_irq_handler with forward set, aism 0 -> aen_process_gait -> aen_host_forward: gisa_set_ipm_gisc, no alert, the gisa_vcpu_kicker restarted at 0; the ISCs registered as kvm_s390_pci_aif_enable registers the device\'s); up to 2 forwarded events',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [iscBit(5), iscBit(3)], preRegistered: [3, 5], airqs: 2 },
    bounds: { types: [...VCPU, ...GIB, 'aen_process_gait'] },
    liveness: airqLiveness,
  },
  {
    id: 'tpi',
    description: '1 VM with 1 vcpu open for ISC 3 (registered), up to 2 adapter interruptions; the guest may take one with TPI (priv.c handle_tpi: stored, the store fails and it is reinjected, or kvm_s390_get_io_int\'s kzalloc fails and the IPM bit is set again)',
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [3], preRegistered: [3], airqs: 2 },
    bounds: { types: [...VCPU, ...GIB, 'GISA_ADAPTER_INTERRUPTION', 'TPI'] },
    liveness: airqLiveness,
  },
  {
    id: 'kick-wait',
    description:
      'fine-grained, 2 threads: the gisa_vcpu_kicker hrtimer callback (its __airqs_kick_single_vcpu: the idle_mask scan, then test_and_set_bit of kicked_mask with the wake-up) against the vcpu\'s KVM_RUN loop (vcpu_pre_run, the wait intercept, kvm_s390_handle_wait: kvm_arch_vcpu_runnable, the IAM restore, __set_cpu_idle, kvm_vcpu_block\'s set_current_state / kvm_vcpu_check_block / schedule, __unset_cpu_idle); 1 vcpu open for ISC 3 (registered), up to 2 adapter interruptions, the GAL handler, FLIC CLEAR_IRQS',
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [3], preRegistered: [3], airqs: 2 },
    bounds: { types: KICK_WAIT_ENV },
    fine: kickWait,
    invariants: kickWaitInvariants(1, 1),
    // the lost wake-up as safety (NoLostWakeupAtSleep) and as liveness (WokenFromSchedule, weak fairness): the liveness check
    // explores every interleaving, which costs nothing here (the reduction keeps all 7,556 states); the traces: test/system/kick-wait.test.ts
    liveness: [WokenFromSchedule],
  },
  {
    // issue 12: a delivery into a guest lowcore that is not accessible returns -EFAULT from vcpu_pre_run before clear_bit(kicked_mask):
    // a kicked_mask bit the kicker set after the vcpu left the wait stays set while KVM_RUN is out; the wake-ups after it
    id: 'kick-wait-fault',
    description:
      'fine-grained, 2 threads as kick-wait (1 adapter interruption, no FLIC CLEAR_IRQS); each delivery in vcpu_pre_run answers delivered or lowcore-fault (the guest lowcore not accessible: __deliver_io test-and-clears the IPM bit, __do_deliver_io fails, vcpu_pre_run returns -EFAULT before clear_bit(kicked_mask), KVM_RUN returns it and userspace issues KVM_RUN again)',
    // 1 adapter interruption (1,273 states; 6,346 with 2): enough for the bit left set at the -EFAULT return, and KickedNotAsleep
    // holding in every state after it is what "the bit stops no later wake-up" needs (the kicker reads it only for vcpus in idle_mask)
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [3], preRegistered: [3], airqs: 1 },
    bounds: { types: KICK_WAIT_ENV.filter((t) => t !== 'kvm_s390_gisa_clear') },
    fine: kickWaitFault,
    invariants: kickWaitInvariants(1, 1),
    liveness: [WokenFromSchedule],
  },
  {
    // issue 11/12 (gisconc2): which vcpu the kicker picks; the liveness check needs every interleaving (the reduction keeps all states anyway: the invariants read every thread's pc)
    id: 'kick-wait-2',
    description:
      'fine-grained, 3 threads: the gisa_vcpu_kicker hrtimer callback against two vcpus\' KVM_RUN loops (as kick-wait); vcpu0 open for ISC 5 only, vcpu1 for ISC 3 only, ISC 3 registered, 1 adapter interruption on ISC 3, the GAL handler (no FLIC CLEAR_IRQS): __airqs_kick_single_vcpu must pass over idle vcpu0 (gcr[6] closed for ISC 3) and kick vcpu1',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3], cr6: [iscBit(5), iscBit(3)], preRegistered: [3], airqs: 1 },
    bounds: { types: KICK_WAIT_ENV.filter((t) => t !== 'kvm_s390_gisa_clear') },
    fine: kickWait,
    invariants: kickWaitInvariants(1, 2),
    liveness: [WokenFromSchedule],
  },
  {
    // issue 12: CR6 masks that overlap (airq's are disjoint): several idle vcpus can qualify for one ISC, and the kicker takes the lowest vcpu_idx (symmetry.ts VCPU_ORDER_NOTE)
    id: 'airq-overlap',
    description: '1 VM with 2 vcpus whose CR6 masks overlap: vcpu0 open for ISC 3, vcpu1 for ISC 3 and ISC 5, both ISCs registered; 1 adapter interruption on either ISC',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3, 5], cr6: [iscBit(3), iscBit(3) | iscBit(5)], preRegistered: [3, 5], airqs: 1 },
    bounds: { types: [...VCPU, ...GIB, 'GISA_ADAPTER_INTERRUPTION'] },
    liveness: airqLiveness,
  },
  {
    // issue 12: the reinject of a failed TPI store kicks (kvm_s390_reinject_io_int is __inject_vm); with one vcpu nobody is idle to kick
    id: 'tpi-2',
    description: '1 VM with 2 vcpus, both open for ISC 3 (registered), up to 2 adapter interruptions; no SIE exit but the wait intercept and no STOSM (a vcpu that took one keeps I/O off in its PSW); it may take the second with TPI while the other is idle, and the store fails (outcome store-fails only; tpi has the others): kvm_s390_reinject_io_int -> __inject_vm sets the IPM bit again and __floating_irq_kick wakes the first idle vcpu',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3], preRegistered: [3], airqs: 2 },
    bounds: { types: [...VCPU.filter((t) => t !== 'vcpu_post_run' && t !== 'STOSM_IO'), ...GIB, 'GISA_ADAPTER_INTERRUPTION', 'TPI'], tpi: ['store-fails'] },
    liveness: airqLiveness,
  },
  {
    // issue 12: userspace chooses vcpu_id (KVM_CREATE_VCPU), KVM the dense vcpu_idx; v6.17-rc4 reads only the index
    id: 'vcpu-ids',
    description: '1 VM with 2 vcpus that userspace created with vcpu_ids 1 and 0 (vcpu_idx 0 has vcpu_id 1), vcpu0 open for ISC 5 only, vcpu1 for ISC 3 only, ISC 3 registered; 1 adapter interruption on ISC 3, the GAL handler and the kicker: which vcpu __airqs_kick_single_vcpu wakes for an idle_mask bit',
    params: { vms: 1, vcpus: 2, queues: 0, iscs: [3], cr6: [iscBit(5), iscBit(3)], preRegistered: [3], airqs: 1, vcpuIds: [1, 0] },
    bounds: { types: [...VCPU, ...GIB, 'GISA_ADAPTER_INTERRUPTION'] },
    liveness: airqLiveness,
  },
  {
    id: 'two-queues',
    description: '1 VM with 1 vcpu, 2 AP queues on the mdev, guest ISC 3, every ap_aqic outcome; symmetry-reduced over the queues (exact); NoLostWakeup is checked in default and airq, on the full graph',
    params: { vms: 1, vcpus: 1, queues: 2, iscs: [3] },
    bounds: GUEST_LIFETIME,
    liveness: [CleanTeardownReachable],
    symmetry: true,
  },
  {
    id: 'smp',
    description: '1 VM with 2 vcpus, 2 AP queues on the mdev, guest ISC 3, every ap_aqic outcome; symmetry-reduced over the queues (exact) and the vcpus (approximate: the lowest vcpu_idx wins); NoLostWakeup is checked in airq, on the full graph',
    params: { vms: 1, vcpus: 2, queues: 2, iscs: [3] },
    bounds: GUEST_LIFETIME,
    liveness: [CleanTeardownReachable],
    symmetry: true,
  },
  {
    // issue 14: aqic-v4's release through the NULL matrix_mdev->kvm that kvm_destroy_devices' group notifier left, and
    // the hook it leaves on the freed VM, on the smallest guest that reaches them (default's aqic-v4 path suite would be 43,000 paths)
    id: 'teardown',
    description: '1 VM with 1 vcpu, 1 AP queue on the mdev, guest ISC 3, ap_aqic NORMAL only; the vcpu enters and leaves SIE (where it issues PQAP), QEMU assigns, opens and closes the mdev and closes the VM fd at any time, and the VM is torn down; no interruptions, no GIB, no FLIC',
    params: { vms: 1, vcpus: 1, queues: 1, iscs: [3] },
    bounds: {
      types: ['kvm_s390_vcpu_start', 'vcpu_pre_run', 'vcpu_post_run', ...TEARDOWN, 'assign_adapter_store', 'assign_domain_store', 'vfio_ap_mdev_open_device', 'vfio_ap_mdev_close_device', 'PQAP_AQIC'],
      outcomes: ['NORMAL'],
    },
  },
  {
    id: 'pqap-close',
    description: 'fine-grained, 2 threads: the guest\'s PQAP(AQIC) ir=1 intercept (priv.c handle_pqap through kvm->arch.crypto.pqap_hook into vfio_ap handle_pqap: queue lookup, vfio_ap_irq_enable with NIB pin and kvm_s390_gisc_register) against QEMU closing the mdev (vfio_ap_mdev_close_device -> vfio_ap_mdev_unset_kvm: hook cleared, queues reset, kvm_put_kvm); 1 VM with its fd open, queue 0 assigned, the mdev open for the VM; the locks of the design\'s era (upstream: pqap_hook_rwsem, guests_lock, kvm->lock, mdevs_lock; v5.3: matrix_dev->lock only, the hook read without a lock)',
    params: { vms: 1, vcpus: 0, queues: 1, iscs: [3] },
    bounds: { types: [] },
    fine: pqapClose,
    // no teardown and no interruptions here: the guest lifetime's liveness properties do not apply (and would need every interleaving)
    liveness: [],
    invariants: [NoPqapHookUseAfterClear, NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    // issue 14: upstream's default-response leak (OTHER) breaks EveryNibPinReleasedOnce, GiscRefcountMatchesSavedIscs,
    // AlertMaskZeroAtDestroy and CleanTeardownReachable in default, which hides every other leak there; here the baseline holds them
    id: 'answered',
    description: 'default without the OTHER response of ap_aqic (the one upstream leaks on): 1 VM with 1 vcpu, 1 AP queue on the mdev, guest ISC 3; QEMU may close anything at any time',
    params: { vms: 1, vcpus: 1, queues: 1, iscs: [3] },
    bounds: { ...GUEST_LIFETIME, outcomes: AQIC_OUTCOMES.filter((o) => o !== 'OTHER') },
  },
  {
    // issue 12: protected virtualization in the composed guest; QEMU's order (reset first) as an environment guard
    id: 'pv',
    description: 'answered plus QEMU switching the guest into and out of protected virtualization (KVM_PV_ENABLE: kvm_s390_cpus_to_pv, on a host whose ultravisor lacks AIV kvm_s390_gisa_disable, or a vcpu create fails and kvm_s390_cpus_from_pv re-enables; KVM_PV_DISABLE: kvm_s390_cpus_from_pv, kvm_s390_gisa_enable), each only after QEMU\'s subsystem_reset reset the vfio-ap device with the CPUs paused (s390_machine_reset, S390_RESET_PV and EXTERNAL/REIPL): no queue holds AQIC resources for the VM at the switch; while the GISA is disabled the vcpus lack ECA_AIV and PQAP(AQIC) goes to userspace',
    params: { vms: 1, vcpus: 1, queues: 1, iscs: [3], pv: true, uvAiv: false, pvResetFirst: true },
    bounds: PV_LIFETIME,
    invariants: [GisaInitNotListed],
  },
  {
    // issue 12: the same without QEMU's order: a VMM that switches with a queue's interruptions enabled
    id: 'pv-unordered',
    description: 'as pv, but the VMM may switch at any time, also while a queue holds AQIC resources (interruptions enabled, ISC registered, NIB pinned) for the VM',
    params: { vms: 1, vcpus: 1, queues: 1, iscs: [3], pv: true, uvAiv: false },
    bounds: PV_LIFETIME,
    invariants: [GisaInitNotListed],
  },
  {
    id: 'pqap-open',
    description: 'fine-grained, 2 threads: the guest\'s PQAP(AQIC) ir=1 intercept (priv.c handle_pqap through kvm->arch.crypto.pqap_hook into vfio_ap handle_pqap) against QEMU opening the mdev (vfio_ap_mdev_open_device -> vfio_ap_mdev_set_kvm: upstream stores the hook under pqap_hook_rwsem, then takes guests_lock, kvm->lock, mdevs_lock for kvm_get_kvm and matrix_mdev->kvm; v5.3: one step under matrix_dev->lock); 1 VM with its fd open, queue 0 assigned, the mdev closed. In the window where the hook is set and matrix_mdev->kvm is NULL the guest is answered rc 01 (AP_RESPONSE_Q_NOT_AVAIL) and nothing is set up',
    params: { vms: 1, vcpus: 0, queues: 1, iscs: [3] },
    bounds: { types: [] },
    fine: pqapOpen,
    liveness: [],
    invariants: [NoAqicResourcesWithoutKvmReference, NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    id: 'pqap-remove-queue',
    description: 'fine-grained, 2 threads: the guest\'s PQAP(AQIC) ir=1 intercept (priv.c handle_pqap under pqap_hook_rwsem into vfio_ap handle_pqap: mdevs_lock, the qtable lookup, vfio_ap_irq_enable) against the AP bus removing the queue from vfio_ap (vfio_ap_mdev_remove_queue: get_update_locks_for_queue takes guests_lock, kvm->lock, mdevs_lock; reset, unlink, kfree(q) under them); 1 VM with its fd open, queue 0 assigned, the mdev open for the VM. The guest either enables first (the remove resets it) or finds no queue (rc 01)',
    ...PQAP_FINE,
    fine: pqapRemoveQueue,
    invariants: [NoQueueUseAfterFree, FreedQueueHoldsNothing, ApThreadStepPostcondition],
  },
  {
    id: 'pqap-mdev-remove',
    description: 'fine-grained, 3 threads: the guest\'s PQAP(AQIC) ir=1 intercept (priv.c handle_pqap under pqap_hook_rwsem, *pqap_hook loaded from the ap_matrix_mdev, vfio_ap handle_pqap) against QEMU closing the mdev (vfio_ap_mdev_unset_kvm) and userspace removing it (vfio_ap_mdev_remove: vfio_unregister_group_dev waits for the close; guests_lock, mdevs_lock, reset, unlink, list_del; vfio_put_device frees the mdev); 1 VM with its fd open, queue 0 assigned, the mdev open for the VM',
    ...PQAP_FINE,
    fine: pqapMdevRemove,
    invariants: [NoMatrixMdevUseAfterFree, FreedMdevHoldsNothing, NoPqapHookUseAfterClear, NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    // issue 12 (apmdev): vfio_ap_mdev_set_kvm's -EPERM with two mdevs (finding, machines/vfio-ap/README.md)
    id: 'pqap-mdev-eperm',
    description: 'fine-grained, 3 threads, two mdevs: mdev 0 open for VM 0 (queue 0 assigned); QEMU opens a second mdev (no APQN) for the same VM (vfio_ap_mdev_set_kvm: the hook stored under pqap_hook_rwsem, then guests_lock, kvm->lock, mdevs_lock and the mdev_list scan: -EPERM), userspace then removes it (vfio_ap_mdev_remove, vfio_put_device), against the guest\'s PQAP(AQIC) ir=1 intercept (priv.c handle_pqap loads *pqap_hook from the mdev the hook points into)',
    ...PQAP_FINE,
    fine: pqapMdevEperm,
    invariants: [RefusedOpenLeavesNoHook, NoMatrixMdevUseAfterFree, ApThreadStepPostcondition],
  },
  {
    // issue 12 (apmdev): vfio_ap_mdev_dma_unmap of the NIB's IOVA range after the guest enabled interruptions
    id: 'pqap-dma-unmap',
    description: 'fine-grained, 2 threads: the guest\'s PQAP(AQIC) ir=1 intercept enables queue 0\'s interruptions (NIB pinned, ISC 3 registered), then userspace unmaps the IOVA range holding the NIB (VFIO_IOMMU_UNMAP_DMA -> vfio_ap_mdev_dma_unmap: under mdevs_lock, vfio_ap_irq_disable of each queue whose saved_iova lies in the range); 1 VM with its fd open, the mdev open for the VM',
    ...PQAP_FINE,
    fine: pqapDmaUnmap,
    invariants: [NoNibAfterDmaUnmap, ApThreadStepPostcondition],
  },
  {
    id: 'pqap-probe-queue',
    description: 'fine-grained, 2 threads: the guest\'s PQAP(AQIC) ir=1 intercept (priv.c handle_pqap under pqap_hook_rwsem into vfio_ap handle_pqap: mdevs_lock, the qtable lookup, vfio_ap_irq_enable) against the AP bus probing the queue into vfio_ap while its APQN is assigned to the mdev (vfio_ap_mdev_probe_queue: saved_isc initialised, get_update_locks_by_apqn takes guests_lock, kvm->lock, mdevs_lock; the link into the qtable under them); 1 VM with its fd open, the mdev open for the VM. The guest finds no queue (rc 01) until the link, then enables; v5.3: the probe is one step, the queue findable after driver_bound',
    ...PQAP_FINE,
    fine: pqapProbeQueue,
    invariants: [NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition, ApcbQueueBound],
  },
  {
    id: 'pqap-reset-work',
    description: 'fine-grained, 3 threads: the guest\'s PQAP(AQIC) ir=1 intercept (handle_pqap: mdevs_lock, lookup, vfio_ap_irq_enable) against QEMU\'s VFIO_DEVICE_RESET (vfio_ap_mdev_ioctl under mdevs_lock: vfio_ap_mdev_reset_queues, ZAPQ then queue_work, flush_work) and the reset work (apq_reset_check on system_long_wq, no lock: TAPQ, then vfio_ap_free_aqic_resources if saved_isc is valid); 1 VM with its fd open, queue 0 assigned, the mdev open for the VM; upstream only (the reset work came in v6.6)',
    ...PQAP_FINE,
    fine: pqapResetWork,
    invariants: [NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    id: 'pqap-close-work',
    description: 'fine-grained, 3 threads: the guest\'s PQAP(AQIC) ir=1 intercept against QEMU closing the mdev (vfio_ap_mdev_unset_kvm: the hook cleared under pqap_hook_rwsem; guests_lock, kvm->lock, mdevs_lock; vfio_ap_mdev_reset_queues as ZAPQ with queue_work, then flush_work; kvm_put_kvm, matrix_mdev->kvm = NULL) and the reset work (apq_reset_check, no lock: TAPQ, vfio_ap_free_aqic_resources through q->matrix_mdev->kvm); 1 VM with its fd open, queue 0 assigned, the mdev open for the VM; upstream only',
    ...PQAP_FINE,
    fine: pqapCloseWork,
    invariants: [NoPqapHookUseAfterClear, NoAqicResourcesAfterUnsetKvm, NoResetWorkAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    id: 'pqap-reset-work-answers',
    description: 'pqap-reset-work with every answer of the AP the reset branches on: ZAPQ (vfio_ap_mdev_reset_queue\'s switch: NORMAL or in progress queue the work, DECONFIGURED/CHECKSTOPPED frees at once, any other code WARNs) and the work\'s TAPQ (apq_status_check: BUSY loops, done, ASSOC issues ZAPQ again, any other code WARNs and returns -EIO) and its ZAPQ again; q->reset_status and VFIO_DEVICE_RESET\'s return code are state; upstream only',
    ...PQAP_FINE,
    fine: pqapResetWorkAnswers,
    invariants: [NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition, ...deviceResetInvariants],
  },
  {
    id: 'pqap-close-work-answers',
    description: 'pqap-close-work with every answer of the AP the reset branches on (as pqap-reset-work-answers): the close waits in flush_work, ignores vfio_ap_mdev_reset_queues\' return and goes on to kvm_put_kvm; upstream only',
    ...PQAP_FINE,
    fine: pqapCloseWorkAnswers,
    invariants: [NoPqapHookUseAfterClear, NoAqicResourcesAfterUnsetKvm, NoResetWorkAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    id: 'pqap-no-aiv',
    description: 'fine-grained, 2 threads, as pqap-close on a host without the AIV facility (no GIB, the VM without a GISA, so its vcpus without ECA_AIV): vfio_ap\'s handle_pqap returns -EOPNOTSUPP before mutex_lock(&matrix_dev->mdevs_lock) and priv.c passes it up (the PQAP goes to userspace, gr1 and the cc untouched), against QEMU closing the mdev; the locks of the design\'s era',
    params: { vms: 1, vcpus: 0, queues: 1, iscs: [3], aiv: false },
    bounds: { types: [] },
    fine: pqapClose,
    liveness: [],
    invariants: [PqapWithoutAivGoesToUserspace, NoPqapHookUseAfterClear, NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition],
  },  {
    id: 'ap-notifier',
    description: 'fine-grained, 3 threads: the AP bus scan (ap_scan_bus) calling vfio_ap_on_cfg_changed (guests_lock; vfio_ap_mdev_cfg_remove: matrix_mdev->kvm->lock, mdevs_lock; vfio_ap_mdev_cfg_add) and, after the adapter scan, vfio_ap_on_scan_complete (guests_lock; vfio_ap_mdev_hot_plug_cfg: matrix_mdev->kvm->lock, mdevs_lock, the filter, reset_queues_for_apids), QCI answering an unassigned adapter removed, a domain of the mdev added or only a control domain of the mdev added, against QEMU opening the mdev (vfio_ap_mdev_set_kvm) and the guest\'s PQAP(AQIC) ir=1 (handle_pqap); 1 VM with its fd open, the mdev closed (no guest yet), queue 0 assigned and in the shadow APCB; upstream locking',
    ...PQAP_FINE,
    fine: apNotifier,
    invariants: [...notifierInvariants, ApThreadStepPostcondition],
  },
  {
    id: 'ap-notifier-open',
    description: 'fine-grained, 2 threads: as ap-notifier, the mdev already open for the VM (matrix_mdev->kvm set, no NULL to find) and the kernel built with CONFIG_INIT_STACK_ALL_ZERO (apm_filtered empty where the filter is skipped), the AP bus scan against the guest\'s PQAP(AQIC) ir=1: upstream holds, so the notifier\'s steps are measured by the properties and the step postconditions',
    ...PQAP_FINE,
    fine: apNotifierOpen,
    liveness: [NotifierScanCompletes],
    invariants: [...notifierInvariants, NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    id: 'pqap-assign',
    description: 'fine-grained, 3 threads (issue 12): the guest\'s PQAP(AQIC) ir=1 intercept (handle_pqap: mdevs_lock, the qtable lookup, vfio_ap_irq_enable) against userspace assigning queue 0\'s APID (assign_adapter_store) and a second APQI (assign_domain_store), each under get_update_locks_for_mdev (guests_lock, kvm->lock, mdevs_lock): vfio_ap_mdev_validate_masks (its answer: 0, -EADDRNOTAVAIL, -EADDRINUSE; the domain\'s: the new APQN on queue 0\'s APID bound to vfio_ap or not), the link into the qtable, vfio_ap_mdev_filter_matrix, the guest\'s APCB and the reset of an APID filtered out; 1 VM with its fd open, the mdev open for the VM, queue 0 probed with its APQI assigned; upstream only',
    ...PQAP_FINE,
    fine: pqapAssign,
    invariants: [ApcbQueueBound, MatrixQueueLinked, NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    // issue 12 (apunplug): the hot unplug of a queue the guest uses, against its PQAP(AQIC)
    id: 'unplug-pqap',
    description: 'fine-grained, 2 threads: the guest\'s PQAP(AQIC) ir=1 intercept (handle_pqap: mdevs_lock, the qtable lookup, vfio_ap_irq_enable) against the host unplugging the queue (unassign_adapter_store, unassign_domain_store or ap_config_store without the adapter: get_update_locks_for_mdev, vfio_ap_mdev_unlink_adapter / _domain out of the qtable, the guest\'s APCB, vfio_ap_mdev_reset_qlist, q->matrix_mdev = NULL); 1 VM with its fd open, queue 0 assigned, linked and in the guest\'s APCB, the mdev open for the VM; upstream only (hot unplug came in v6.0)',
    ...PQAP_FINE,
    fine: unplugPqap,
    invariants: [UnpluggedQueueHoldsNothing, NoAqicResourcesAfterUnsetKvm, ApThreadStepPostcondition],
  },
  {
    // issue 12 (apunplug): the candidate finding: a queue unplugged while filtered out of the guest's APCB keeps q->matrix_mdev
    id: 'unplug-stale',
    description: 'fine-grained, 4 threads: two queues of one adapter on a closed mdev (no guest), both linked and in the mdev\'s shadow APCB; the AP bus unbinds queue 1 (vfio_ap_mdev_remove_queue: the adapter leaves the shadow APCB, both queues reset, queue 0 stays linked), the host unplugs the adapter or queue 0\'s domain (unassign_adapter_store, unassign_domain_store: a queue outside the shadow APCB leaves the qtable and keeps q->matrix_mdev), userspace removes the mdev after the stores (vfio_ap_mdev_remove: vfio_ap_mdev_unlink_fr_queues clears the pointer only of the qtable\'s queues; vfio_put_device), and the AP bus unbinds queue 0 (get_update_locks_for_queue loads q->matrix_mdev->kvm); every function holds guests_lock throughout; upstream only',
    ...PQAP_FINE,
    params: { ...PQAP_FINE.params, queues: 2 },
    fine: unplugStale,
    invariants: [NoMatrixMdevUseAfterFree, UnpluggedQueueHoldsNothing, FreedQueueHoldsNothing, ApThreadStepPostcondition],
  },
  // issue 12 (vcpuio): TPI's kvm_s390_get_io_int step by step against a waiting vcpu and the kicker (machines/vcpu/kvm_s390_get_io_int.threads.ts)
  ...tpiWindowConfigurations,
];
