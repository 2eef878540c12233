// The data every machine of the core spec reads and writes: the kernel's own fields (the
// GISA word, alert.mask, ref_count, idle_mask, kicked_mask, users_count, saved_isc ...),
// abstracted to small JSON values, plus the lifetime tracker's findings. Control flow
// (which function a vcpu or a VM teardown is in) lives in the state values; the data the
// kernel and millicode read across objects lives here, so every region reads only context.
import type { ThreadsContext } from './kthread.ts';

/** Configuration of a composed guest: how many of each object, and which guest ISCs exist. */
export interface Params {
  /** VMs (struct kvm), each with one GISA. */
  vms: number;
  /** vcpus per VM. */
  vcpus: number;
  /** AP queues bound to vfio_ap. */
  queues: number;
  /** Guest ISCs the bounds enumerate (0..7), e.g. [3] as Linux guests use for AP. */
  iscs: readonly number[];
  /** CR6 ISC mask of each vcpu (bits 0x80 >> isc); a vcpu without an entry enables every ISC of `iscs`. */
  cr6?: readonly number[];
  /**
   * The CR6 ISC masks the guest may load (LCTL_CR6 payloads, issue 12): with it the guest also
   * disables I/O in its PSW (STNSM_IO) and userspace resets stopped vcpus (KVM_S390_INITIAL_RESET),
   * and each vcpu's CR6 is observed. Without it CR6 is a constant of the configuration.
   */
  guestMasks?: readonly number[];
  /**
   * The vcpu_id userspace gave KVM_CREATE_VCPU for the vcpu created k-th (vcpu_idx k), distinct,
   * in any order and sparse (issue 12); without it vcpu_id == vcpu_idx. v6.17-rc4 reads it in no
   * modelled path (idle_mask, kicked_mask and the scans use vcpu_idx); kernels before a3e03bc1368c
   * indexed idle_mask and kicked_mask by it (system variant idle-mask-vcpu_id-v5.14).
   */
  vcpuIds?: readonly number[];
  /** ISCs registered (kvm_s390_gisc_register) by a driver before the first step: configurations without queues. */
  preRegistered?: readonly number[];
  /** Bound on the references an environment driver takes (per-object machines): ref_count and users_count stay finite. */
  maxRefs?: number;
  /**
   * Bound on GISA_ADAPTER_INTERRUPTION events (configurations without queues): the environment
   * eventually stops interrupting, so a liveness violation is a real lost wake-up, not a
   * vcpu starved by an endless stream of interruptions for another.
   */
  airqs?: number;
  /** css_general_characteristics.aiv of the host (default true): without it kvm_s390_gib_init and kvm_s390_gisa_init return early, no VM gets a GISA. */
  aiv?: boolean;
  /** The kvm module parameter use_gisa when kvm_arch_init_vm runs (default true): false leaves gi->origin NULL. */
  useGisa?: boolean;
  /** use_gisa when kvm_s390_cpus_from_pv reads it (default useGisa): the parameter is writable at runtime. */
  useGisaAtPvExit?: boolean;
  /** The ultravisor supports AIV for protected guests (default true): without it kvm_s390_cpus_to_pv disables the GISA. */
  uvAiv?: boolean;
  /** Configurations with protected-virtualization switches (KVM_PV_ENABLE/DISABLE): each VM's context gets `pv`. */
  pv?: boolean;
  /**
   * QEMU's order around the switch (composed guest, configuration `pv`; issue 12): hw/s390x/s390-virtio-ccw.c
   * s390_machine_reset runs subsystem_reset (the AP bridge's cold reset: vfio-ap's VFIO_DEVICE_RESET) with every CPU
   * paused before s390_machine_protect (KVM_PV_ENABLE) and before s390_machine_unprotect (KVM_PV_DISABLE). An
   * environment guard: the switch only while no queue holds AQIC resources for the VM (as the reset left them).
   */
  pvResetFirst?: boolean;
  /**
   * Configurations with the AP's answers to ZAPQ, TAPQ and AQIC ir=0 as payloads (vfio_ap_queue
   * `ap-answers`, `reset-warn`, `aqic-off-warn`): each queue's context gets `work` (its reset_work),
   * the mdev's `unsetting`, and PQAP's status to the guest is checked (GUEST_TOLD_SUCCESS).
   */
  apAnswers?: boolean;
  /**
   * Configurations with QEMU's VFIO_DEVICE_RESET (vfio_ap_queue `device-reset`, `device-reset-warn`; with apAnswers):
   * the mdev's context gets `resetting` and `resetRc`, each queue's `resetStatus` (q->reset_status).
   */
  deviceReset?: boolean;
  /**
   * Configurations with the guest's own PQAP(ZAPQ) as an asynchronous reset (vfio_ap_queue `guest-zapq`): each queue's
   * context gets `hwReset` (the reset the guest's ZAPQ started, until the AP completes it) and `told` (the ISC the
   * guest's last PQAP(AQIC) ir=1 was answered 0 for: its GR1 as state).
   */
  guestReset?: boolean;
  /**
   * Configurations with PQAP(AQIC)'s refusals as the guest sees them (vfio_ap_queue `pqap-refusals`, `pqap-no-fac65`; issue 12,
   * branch appqap): PQAP_AQIC is taken in every state of the queue region and runs priv.c handle_pqap from its ECA_APIE test;
   * each VM's context gets `apie` (kvm->arch.crypto.apie, ECA_APIE of its vcpus: the KVM_S390_VM_CRYPTO_ENABLE_APIE /
   * DISABLE_APIE events), each queue's `gr1` (what the guest reads after its last PQAP(AQIC)), `pqapPath` (which branch
   * answered it, a ghost) and `told` (the ISC a 0 in GR1 promised, AqicAnswerHolds).
   */
  guestStatus?: boolean;
  /** test_kvm_facility(kvm, 65), AP interruption control in the VM's CPU model (guestStatus configurations; default true). */
  fac65?: boolean;
  /** guestStatus: the guest issues PQAP(AQIC) only while the mdev's hook is installed (pqap-refusals-hooked: priv.c's no-hook branch, the finding, left out so that a bug in the other answers shows). */
  aqicNeedsHook?: boolean;
  /** The guest is protected (kvm_s390_pv_cpu_is_protected, on an ultravisor with AIV: the GISA kept): vfio_ap_irq_enable's ensure_nib_shared runs (the AQIC payload NIB_NOT_SHARED). */
  pvGuest?: boolean;
  /**
   * The vcpus are protected (PV) cpus from the first step (issue 12, kvm_vcpu configuration `pv-delivery`): the VM went
   * protected on an ultravisor with AIV, so the GISA stays in use. Each vcpu's context gets `iictl`, `fenced` and `cont`:
   * KVM hands an interruption to the ultravisor (sie_block->iictl) instead of swapping the PSW, one at a time, and its
   * copy of the PSW is fenced after a PV instruction or prefix intercept and at start (kvm-s390.c __vcpu_run, kvm_s390_vcpu_start).
   */
  pvVcpus?: boolean;
  /**
   * Classic (non-adapter) I/O interruptions queued on fi->lists[isc] before the first step, one ISC per
   * interruption (issue 12, configurations tpi-window*: a vfio-ccw or virtio-ccw subchannel's KVM_S390_INT_IO that
   * QEMU injected with kvm_s390_inject_vm): each VM's context gets `fio`.
   */
  classicIo?: readonly number[];
}

/** MAX_ISC in arch/s390/include/asm/kvm_host.h. */
export const MAX_ISC = 7;
/** VFIO_AP_ISC_INVALID in drivers/s390/crypto/vfio_ap_private.h, modelled as -1. */
export const ISC_INVALID = -1;
/**
 * Bound of the exploration: the guest issues PQAP(AQIC) ir=1 only while its queue holds fewer
 * than this many pins and its ISC fewer registrations, so leaks (a pin or a GISC registration
 * never released) keep the state space finite; the first leak already breaks the invariants.
 */
export const COUNT_CAP = 3;

/** The IPM/IAM bit of a guest ISC: `0x80 >> isc`. */
export const iscBit = (isc: number): number => 0x80 >> isc;

/** Lifetime tracker findings, as KASAN or a WARN would report them (bit flags). */
export const FAULT = {
  /** millicode or the AP wrote an IPM bit into a freed sie_page2 (GISA) */
  GISA_WRITE_AFTER_FREE: 1,
  /** kvm_s390_gisc_register/unregister called with a freed struct kvm */
  GISC_CALL_AFTER_FREE: 2,
  /** vfio_unpin_pages of a NIB that is not pinned */
  UNPIN_NOT_PINNED: 4,
  /** the AP wrote the NIB while it was not pinned */
  NIB_WRITE_UNPINNED: 8,
  /** a NIB was unpinned while its GISC was still registered (unregister must come first) */
  UNPIN_BEFORE_UNREGISTER: 16,
  /** kvm_s390_gisa_destroy found alert.mask != 0 (the WARN of f87ef5723536) */
  DESTROY_WITH_ALERT_MASK: 32,
  /** kvm_s390_gisc_unregister returned -EINVAL: ref_count already 0 */
  GISC_UNREGISTER_UNBALANCED: 64,
  /** a second NIB pinned while one was still saved (the first one can never be unpinned) */
  PIN_LEAK: 128,
  /** struct kvm freed while a GISC of its GISA was still registered by a queue */
  GISC_REGISTERED_AT_FREE: 256,
  /** gisa_vcpu_kicker dereferenced gi->origin after kvm_s390_gisa_destroy set it NULL, or the freed sie_page2 (fine-grained configurations) */
  KICKER_ON_DEAD_GISA: 512,
  /** priv.c handle_pqap dereferenced kvm->arch.crypto.pqap_hook after vfio_ap cleared it (a NULL pointer oops; fine-grained configurations) */
  PQAP_HOOK_USE_AFTER_CLEAR: 1024,
  /** kvm_s390_gisa_init (re-enable after PV) memset a GISA the GIB alert list still reaches: its next_alert becomes itself and process_gib_alert_list loops on it */
  GISA_INIT_WHILE_LISTED: 2048,
  /** PQAP(AQIC) answered the guest 0 (AP_RESPONSE_NORMAL) but the AP's interruptions are not as it asked (configurations with apAnswers) */
  GUEST_TOLD_SUCCESS: 4096,
  /** ghost (issue 14, machines/gisa/kvm_s390_gisa_interrupt.invariants.ts ledger): a step made an adapter interruption pending, presented or cleared it other than its kernel function says (the IPM ledger did not balance) */
  IRQ_LEDGER: 8192,
  /** ghost (issue 14): KVM_PV_ENABLE / KVM_PV_DISABLE left the GISA other than kvm_s390_handle_pv says */
  PV_SWITCH_POST: 16384,
  /** ghost (issue 14): a vcpu step (wait intercept, kvm_vcpu_check_block, vcpu_pre_run) left the halt, halted or entered SIE other than the kernel says */
  VCPU_STEP_POST: 32768,
  /** ghost (issue 14): kvm_s390_gisc_register / unregister answered or changed ref_count[], alert.mask or the IAM other than the kernel says */
  GISC_STEP_POST: 65536,
  /** ghost (issue 14, machines/gisa/kvm_s390_gisa_interrupt.stepghost.ts): a step of a fine-grained GISA kernel function (the kicker, gisc register/unregister, gisa_destroy, the GAL handler) did other than its C statement */
  GISA_THREAD_STEP_POST: 131072,
  /** vfio_ap (fine-grained pqap-remove-queue): a step used a struct vfio_ap_queue after vfio_ap_mdev_remove_queue's kfree(q) (vfio_ap_irq_enable through a queue pointer found before mdevs_lock) */
  QUEUE_USE_AFTER_FREE: 262144,
  /** vfio_ap (fine-grained pqap-mdev-remove, pqap-mdev-eperm): priv.c handle_pqap loaded through kvm->arch.crypto.pqap_hook into a struct ap_matrix_mdev vfio_ap_mdev_remove had freed (vfio_put_device): after a remove that did not wait for the close, or after a second mdev's refused open left the hook pointing at it (vfio_ap_mdev_set_kvm's -EPERM); (unplug-stale) vfio_ap_mdev_remove_queue's get_update_locks_for_queue / release_update_locks_for_mdev loaded through a q->matrix_mdev the hot unplug left pointing at the freed mdev */
  MDEV_USE_AFTER_FREE: 524288,
  /** ghost (issue 14): gisa_vcpu_kicker restored the IAM, re-armed, or kicked a vcpu other than interrupt.c says */
  KICKER_STEP_POST: 1048576,
  /** ghost (issue 14): gib_alert_irq_handler / process_gib_alert_list left the GIB alert list, the GAL interruption or a kicker other than interrupt.c says */
  GIB_STEP_POST: 2097152,
  /** ghost (issue 14, machines/gisa/kvm_s390_gisa_interrupt.stepghost.ts): a step of the vcpu's fine-grained KVM_RUN loop did other than its C statement */
  VCPU_THREAD_STEP_POST: 4194304,
  /** process_gib_alert_list (a second caller's walk: the GAL handler, or another VM's kvm_s390_gisa_destroy) unlinked or armed the kicker of a GISA whose kvm_s390_gisa_destroy had already set gi->origin NULL or whose sie_page2 was freed (fine-grained gal-destroy, two-vms-destroy) */
  GAL_WALK_ON_DEAD_GISA: 8388608,
  /** ghost (issue 14, apconc3): handle_pqap's vfio_ap_irq_enable / vfio_ap_irq_disable left the queue, the pins, the GISC registrations or the guest's status other than vfio_ap_ops.c says */
  AQIC_STEP_POST: 16777216,
  /** ghost (issue 14, apconc3): vfio_ap_mdev_unset_kvm (its resets, flush_work, the put) or vfio_ap_mdev_remove_queue left the queues or the KVM reference other than vfio_ap_ops.c says */
  RESET_STEP_POST: 33554432,
  /** kvm_s390_gisc_register/unregister called gisa_set_iam through gi->origin after a PV switch's kvm_s390_gisa_disable -> kvm_s390_gisa_destroy set it NULL behind their unlocked -ENODEV check (a NULL-pointer access; fine-grained pv-enable-* configurations) */
  GISA_NULL_ORIGIN_USE: 67108864,
  /** ghost (issue 14, apmut; machines/vfio-ap/vfio_ap_ops.stepghost.ts): a step of a fine-grained vfio_ap kernel function (handle_pqap's lookup and vfio_ap_irq_enable, set_kvm's and unset_kvm's hook stores, the probe's link, the remove, the reset and its work) did other than its C statement in v6.17-rc4 */
  AP_THREAD_STEP_POST: 134217728,
  /** VFIO_DEVICE_RESET returned 0 while a queue of the mdev still had AP interruptions, a saved ISC (GISC registration), a pinned NIB or its reset work queued (configurations with deviceReset) */
  RESET_REPORTED_UNDONE: 536870912,
} as const;

/** struct kvm_s390_gib: the alert list, as the set of listed VMs, and the GAL interruption. */
export interface GibContext {
  /**
   * gib->alert_list_origin: NULL_GISA_ADDR (empty, GAL interruptions enabled), a list built
   * while they were enabled, or NONE_GISA_ADDR (cut off by process_gib_alert_list).
   */
  origin: 'NULL_GISA_ADDR' | 'alert_list' | 'NONE_GISA_ADDR';
  /** Bit v: the GISA of VM v is linked into the alert list (its next_alert is not itself). */
  list: number;
  /** A GAL interruption was raised and the host has not taken it yet. */
  galPending: boolean;
}

/** struct kvm_s390_gisa_interrupt and the GISA word it points to. */
export interface GisaContext {
  /** gi->origin != NULL */
  origin: boolean;
  /** gisa->ipm: interruption pending mask */
  ipm: number;
  /** gisa->iam: interruption alert mask, as millicode sees it */
  iam: number;
  /** gi->alert.mask: the IAM restore value */
  mask: number;
  /** gi->alert.ref_count[isc] */
  ref: number[];
  /** hrtimer_active(&gi->timer): gisa_vcpu_kicker is armed */
  timer: boolean;
  /** sie_page2 (holding the GISA) has been freed */
  freed: boolean;
}

/** The s390 parts of struct kvm_vcpu this spec reads. */
export interface VcpuContext {
  /** CPUSTAT_STOPPED */
  stopped: boolean;
  /** PROG_IN_SIE: running in SIE, where millicode delivers GISA interruptions itself */
  inSie: boolean;
  /** the vcpu's bit of kvm->arch.idle_mask (__set_cpu_idle): bit vcpu_idx, bit vcpu_id before a3e03bc1368c; one bit per vcpu either way, so these flags are the bitmap */
  idle: boolean;
  /** the vcpu's bit of gi->kicked_mask, indexed as idle_mask */
  kicked: boolean;
  /** guest PSW I/O mask bit (psw_ioint_disabled is its negation) */
  pswIo: boolean;
  /** guest CR6 ISC subclass mask, bits 0x80 >> isc */
  cr6: number;
  /**
   * The vcpu thread's task state is TASK_INTERRUPTIBLE inside kvm_vcpu_block: set by its
   * set_current_state() before kvm_vcpu_check_block, cleared by a wake-up (kvm_vcpu_wake_up:
   * wake_up_process) or when the loop breaks. Written only by the fine-grained vcpu thread
   * (machines/vcpu/kvm_vcpu.threads.ts) and kvm_s390_vcpu_wakeup; the coarse region's
   * halted/woken states stand for it there, so it stays false.
   */
  interruptible: boolean;
  /** sie_block->iictl of a PV vcpu (params.pvVcpus): -1 IICTL_CODE_NONE, else the ISC of the I/O interruption KVM injected (IICTL_CODE_IO, io_int_word) for the ultravisor; the firmware consumes it (KVM reads it only after a SIE exit, when it is NONE again) */
  iictl?: number;
  /** KVM's copy of a PV vcpu's PSW has PSW_INT_MASK (EXT, IO, MCHECK) cleared: after an ICPT_PV_INSTR or ICPT_PV_PREF exit (__vcpu_run) and at kvm_s390_vcpu_start, until the next SIE exit refreshes it */
  fenced?: boolean;
  /** the ultravisor's state, not KVM's: the PV vcpu's current or next SIE run continues an intercepted PV instruction or prefix access (from that exit until the next exit) */
  cont?: boolean;
}

/** struct kvm and its arch part, per VM. */
export interface KvmContext {
  /** users_count */
  users: number;
  /** the VM fd is open (QEMU holds it) */
  fd: boolean;
  /** struct kvm has been freed (end of kvm_destroy_vm) */
  freed: boolean;
  gisa: GisaContext;
  vcpus: VcpuContext[];
  /** lifetime tracker findings for this VM, FAULT bits */
  faults: number;
  /** kvm_s390_pv_is_protected(kvm); present only in configurations with `params.pv` */
  pv?: boolean;
  /** sie_block->eca & ECA_AIV of the VM's one vcpu thread (fine-grained pv-enable-pqap only): set with gd by kvm_s390_vcpu_setup / kvm_s390_gisa_enable, cleared by kvm_s390_gisa_disable */
  aiv?: boolean;
  /** the vcpu KVM_CREATE_VCPU creates while the VM runs (fine-grained pv-enable-create-vcpu only; issue 12) */
  created?: CreatedVcpuContext;
  /** guestStatus configurations only: kvm->arch.crypto.apie, and so ECA_APIE of every vcpu (kvm_s390_vcpu_crypto_reset_all writes them together, the vcpus blocked out of SIE) */
  apie?: boolean;
  /** guestStatus configurations only (ghost, harness): what userspace's last KVM_S390_VM_CRYPTO_ENABLE_APIE / DISABLE_APIE asked for (true before any) */
  apieAsked?: boolean;
  /** kvm->arch.float_int.lists[FIRQ_LIST_IO_ISC_0 + isc]: how many classic I/O interruptions are queued per ISC 0..7 (configurations with `params.classicIo` only; issue 12) */
  fio?: number[];
  /** ghost (configurations with `params.classicIo`): per ISC, the classic I/O interruptions and the adapter interruptions handed to the guest (TPI's store, __deliver_io, SIE's presentation) */
  ioGiven?: number[];
  aiGiven?: number[];
}

/** A vcpu being created by kvm_vm_ioctl_create_vcpu (virt/kvm/kvm_main.c, arch/s390/kvm/kvm-s390.c v6.17-rc4). */
export interface CreatedVcpuContext {
  /** kvm->created_vcpus counts it (the first kvm->lock section of kvm_vm_ioctl_create_vcpu) */
  counted: boolean;
  /** sie_block->gd != 0 (kvm_arch_vcpu_create: kvm_s390_get_gisa_desc), and so ECA_AIV (kvm_s390_vcpu_setup sets it exactly when gd is; kvm_s390_gisa_disable/enable write both together) */
  gd: boolean;
  /** the vcpu is a protected (PV) cpu: kvm_s390_pv_create_cpu succeeded for it */
  pvCpu: boolean;
  /** xa_insert'ed below kvm->online_vcpus: kvm_for_each_vcpu reaches it, vcpu ioctls may run */
  online: boolean;
}

/** struct ap_matrix_mdev (one mediated device). */
export interface MdevContext {
  /** matrix_mdev->kvm: index of the VM, -1 for NULL */
  kvm: number;
  /** vfio_ap holds a reference (kvm_get_kvm) on that VM */
  kvmRef: boolean;
  /** the VM whose kvm->arch.crypto.pqap_hook points to this mdev's hook, -1 for none */
  hook: number;
  /** matrix_mdev->kvm_busy (v5.13..v5.14 only, 0cc00c8d4050..86956e70761b): set_kvm/unset_kvm dropped matrix_dev->lock mid-way; false in every other era (present from the start: the collapse-compressed explorer needs a fixed shape) */
  kvmBusy: boolean;
  /** apAnswers configurations only: vfio_ap_mdev_unset_kvm waits in vfio_ap_mdev_reset_queues' flush_work(&q->reset_work), holding guests_lock, kvm->lock and mdevs_lock */
  unsetting?: boolean;
  /** pqap-mdev-remove only: vfio_ap_mdev_remove's vfio_put_device freed the struct ap_matrix_mdev */
  freed?: boolean;
  /** deviceReset configurations only: vfio_ap_mdev_ioctl(VFIO_DEVICE_RESET) waits in vfio_ap_mdev_reset_queues' flush_work, holding mdevs_lock */
  resetting?: boolean;
  /** deviceReset configurations only: what the last VFIO_DEVICE_RESET returned to userspace (null: none returned yet, or one in flight) */
  resetRc?: number | null;
  /** pqap-dma-unmap only: userspace unmapped the IOVA range holding the NIB (vfio_ap_mdev_dma_unmap ran for it) */
  nibUnmapped?: boolean;
  /** ap-notifier only: what vfio_ap_mdev_cfg_add left in matrix_mdev->apm_add/aqm_add/adm_add for vfio_ap_on_scan_complete ('none': all empty; 'apqn': a domain of the mdev's matrix; 'cdom': only a control domain) */
  added?: 'none' | 'apqn' | 'cdom';
}

/** pqap-mdev-eperm only: a second struct ap_matrix_mdev (mdev 1, no APQN assigned), opened for the VM mdev 0 is attached to. */
export interface SecondMdevContext {
  /** matrix_mdev->kvm of mdev 1: index of the VM, -1 for NULL */
  kvm: number;
  /** the VM whose kvm->arch.crypto.pqap_hook points to mdev 1's hook, -1 for none (a VM has one pointer: mdev.hook and this are never the same VM) */
  hook: number;
  /** vfio_ap_mdev_open_device of mdev 1 returned -EPERM (vfio_ap_mdev_set_kvm found another mdev attached to the VM) */
  refused: boolean;
  /** vfio_ap_mdev_remove's vfio_put_device freed mdev 1 */
  freed: boolean;
}

/** struct vfio_ap_queue plus what the AP firmware holds for it. */
export interface QueueContext {
  /** APID assigned to the mdev (assign_adapter_store) */
  apid: boolean;
  /** APQI assigned to the mdev (assign_domain_store) */
  apqi: boolean;
  /** q->saved_isc, ISC_INVALID when none */
  isc: number;
  /** q->saved_iova != 0: a pinned NIB is saved for vfio_ap_free_aqic_resources to unpin */
  nib: boolean;
  /** NIB pages pinned for this queue and not yet unpinned (saved or leaked) */
  pins: number;
  /** the AP has interruptions enabled (AQIC ir=1 succeeded, no reset or disable since) */
  irq: boolean;
  /** the guest ISC the AP makes pending (aqic_gisa.gisc) */
  hwIsc: number;
  /** the VM whose GISA origin the AP was given (aqic_gisa.gisa), -1 for none */
  hwGisa: number;
  /** lifetime tracker findings for this queue, FAULT bits */
  faults: number;
  /**
   * apAnswers configurations only: q->reset_work (apq_reset_check): 'idle' (not queued), or
   * queued after a ZAPQ whose stored q->reset_status is 'zapped' (NORMAL or any code the
   * loop does not re-ZAPQ on) or 'in-progress' (RESET_IN_PROGRESS, BUSY, STATE_CHANGE_IN_PROGRESS)
   */
  work?: ResetWork;
  /** apAnswers configurations only: vfio_ap_mdev_remove_queue unlinked and kfree'd q (vfio_ap_mdev_reset_queues no longer finds it) */
  freed?: boolean;
  /** deviceReset configurations only: q->reset_status.response_code as the last ZAPQ left it, by the answer class (vfio_ap_mdev_reset_queue, apq_reset_check's ZAPQ again) */
  resetStatus?: ZapqClass;
  /** guestReset configurations only: the AP is resetting the queue after the guest's own PQAP(ZAPQ) (TAPQ answers RESET_IN_PROGRESS, so does AQIC) until AP_RESET_COMPLETE */
  hwReset?: boolean;
  /** guestReset configurations only: the guest ISC the guest's last PQAP(AQIC) ir=1 was answered 0 for (handle_pqap's memcpy into GR1), ISC_INVALID after any other answer or a reset of the queue */
  told?: number;
  /** pqap-probe-queue and pqap-assign only: q->matrix_mdev set and q in matrix_mdev->qtable (vfio_ap_mdev_link_queue, from vfio_ap_mdev_probe_queue or an assign store's vfio_ap_mdev_link_adapter/_domain); false: not linked, handle_pqap's lookup finds no queue */
  linked?: boolean;
  /** the APQN is in matrix_mdev->shadow_apcb (the guest's APCB) */
  inApcb?: boolean;
  /** pqap-assign only: the matrix holds a second APQI (assign_domain_store) whose APQN on q's APID has no queue bound to vfio_ap (abstracted: no vfio_ap_queue of its own), so vfio_ap_mdev_filter_matrix filters the APID out */
  siblingUnbound?: boolean;
  /** guestStatus configurations only: what the guest's last PQAP(AQIC) for this APQN left it (GuestPqap: a program interruption, the intercept gone to userspace, or cc and the response code it reads in GR1 bits 32-63) */
  gr1?: GuestPqap;
  /** guestStatus configurations only (ghost, harness): the branch of priv.c / vfio_ap handle_pqap that answered the last PQAP(AQIC) for this APQN */
  pqapPath?: PqapPath;
  /** hot-unplug configurations only (vfio_ap_hotunplug.threads.ts): q->matrix_mdev points at the mdev (vfio_ap_mdev_link_queue set it; vfio_ap_unlink_mdev_fr_queue and vfio_ap_mdev_unlink_fr_queues clear it); `linked` is then the qtable membership alone, which the unplug's hash_del ends without clearing this pointer */
  matrixMdev?: boolean;
}

/**
 * What a PQAP(AQIC) leaves the guest: 'none' (none issued yet), 'USERSPACE' (the intercept handler returned -EOPNOTSUPP:
 * QEMU handles the instruction), 'PGM_SPECIFICATION' (a program interruption), or `cc<c> rc<xx>`: the condition code and
 * the response code the guest reads in the AP queue status word, GR1 bits 32-63 (union ap_queue_status_reg).
 */
export type GuestPqap = string;

/** The branch that answered a PQAP(AQIC) (QueueContext.pqapPath): priv.c's refusals, vfio_ap handle_pqap's, or vfio_ap_irq_enable/disable. */
export type PqapPath = 'none' | 'no-apie' | 'no-fac65' | 'no-hook' | 'no-aiv' | 'no-kvm' | 'no-queue' | 'nib-not-shared' | 'vfio_ap';


/** The class of a stored ZAPQ response code (QueueContext.resetStatus): NORMAL is 0, every other class non-zero. */
export type ZapqClass = 'NORMAL' | 'IN_PROGRESS' | 'DECONFIGURED' | 'INVALID';

/** The state of a queue's reset_work (QueueContext.work). */
export type ResetWork = 'idle' | 'zapped' | 'in-progress';

export interface SystemContext {
  params: Params;
  /** GISA_ADAPTER_INTERRUPTION events the bounds still allow, -1 for unbounded */
  airqs: number;
  gib: GibContext;
  vms: KvmContext[];
  mdev: MdevContext;
  /** pqap-mdev-eperm only: the second mdev */
  mdev1?: SecondMdevContext;
  queues: QueueContext[];
  /** Fine-grained configurations only: locks, thread locals and lock-rule faults (machines/kthread.ts). */
  threads?: ThreadsContext;
}

/** vcpu->vcpu_id of the vcpu with vcpu_idx `vcpu` (kvm_vm_ioctl_create_vcpu stores userspace's id, kvm_vcpu_init the creation index). */
export function vcpuIdOf(params: Params, vcpu: number): number {
  return params.vcpuIds?.[vcpu] ?? vcpu;
}

export function cr6Of(params: Params, vcpu: number): number {
  const all = params.iscs.reduce((m, isc) => m | iscBit(isc), 0);
  return params.cr6?.[vcpu] ?? all;
}

/** The state right after kvm_arch_init_vm + kvm_s390_gisa_init for each VM and vfio_ap probe of each queue. */
export function initialContext(params: Params): SystemContext {
  return {
    params,
    airqs: params.airqs ?? -1,
    gib: { origin: 'NULL_GISA_ADDR', list: 0, galPending: false },
    vms: Array.from({ length: params.vms }, () => ({
      users: 1,
      fd: true,
      freed: false,
      gisa: { origin: (params.aiv ?? true) && (params.useGisa ?? true), ipm: 0, iam: 0, mask: 0, ref: [0, 0, 0, 0, 0, 0, 0, 0], timer: false, freed: false },
      vcpus: Array.from({ length: params.vcpus }, (_, k) => ({
        stopped: true,
        inSie: false,
        idle: false,
        kicked: false,
        pswIo: true,
        cr6: cr6Of(params, k),
        interruptible: false,
        ...(params.pvVcpus ? { iictl: -1, fenced: false, cont: false } : {}),
      })),
      faults: 0,
      ...(params.pv ? { pv: false } : {}),
      ...(params.guestStatus ? { apie: true, apieAsked: true } : {}),
      ...(params.classicIo ? { fio: Array.from({ length: MAX_ISC + 1 }, (_, isc) => params.classicIo!.filter((i) => i === isc).length), ioGiven: Array<number>(MAX_ISC + 1).fill(0), aiGiven: Array<number>(MAX_ISC + 1).fill(0) } : {}),
    })),
    mdev: { kvm: -1, kvmRef: false, hook: -1, kvmBusy: false, ...(params.apAnswers ? { unsetting: false } : {}), ...(params.deviceReset ? { resetting: false, resetRc: null } : {}) },
    queues: Array.from({ length: params.queues }, () => ({
      apid: false,
      apqi: false,
      isc: ISC_INVALID,
      nib: false,
      pins: 0,
      irq: false,
      hwIsc: ISC_INVALID,
      hwGisa: -1,
      faults: 0,
      ...(params.apAnswers ? { work: 'idle' as ResetWork, freed: false } : {}),
      ...(params.deviceReset ? { resetStatus: 'NORMAL' as ZapqClass } : {}),
      ...(params.guestReset ? { hwReset: false, told: ISC_INVALID } : {}),
      ...(params.guestStatus ? { told: ISC_INVALID, gr1: 'none', pqapPath: 'none' as PqapPath } : {}),
    })),
  };
}
