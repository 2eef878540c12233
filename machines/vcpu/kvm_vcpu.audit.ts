// Kernel audit of kvm_vcpu: every pinned function that reads or writes a vcpu's stopped, SIE,
// idle and kicked state, its PSW I/O bit and CR6, or the GISA word on the wait and delivery
// paths, each branch marked (issue 12). Facts: machines/audit-kernel.ts.
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, entry, ignored, missing, modelled, modelledAs } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';
import { TPI } from '../gisa/kvm_s390_gisa_interrupt.audit.ts';
import { VCPU_PC } from './kvm_vcpu.threads.ts';

export const GUEST_PSW_CR6 =
  'the guest\'s PSW I/O bit and CR6 as state (issue 12, configurations with Params.guestMasks: vcpu guest-masks): the guest enables I/O (STOSM_IO) and disables it (STNSM_IO) in SIE, and loads CR6 (LCTL_CR6: SIE, or priv.c kvm_s390_handle_lctl when sie_block->lctl asks, both presenting what the new CR6 enables before the next instruction); elsewhere CR6 is a constant of the configuration (disjoint between the vcpus in airq, overlapping in airq-overlap)';
export const QEMU_WRITES_BACK =
  'QEMU writes back the PSW and control registers it read (kvm_arch_put_registers after kvm_arch_get_registers; migration: what the source read), i.e. the machine\'s pswIo and cr6: no modelled field changes; the values QEMU changes are the resets\' (KVM_S390_INITIAL_RESET), and CR6 changes otherwise come from the guest (LCTL_CR6)';
export const USER_CPU_STATE =
  'QEMU sets user_cpu_state_ctrl (KVM_SET_MP_STATE, kvm_s390_set_user_cpu_state_ctrl) before any reset, so kvm_arch_vcpu_ioctl_normal_reset never stops the vcpu itself; QEMU stops it (kvm_s390_vcpu_stop) and the machine resets only a stopped vcpu (the ioctl needs vcpu->mutex, which KVM_RUN holds)';
export const VCPU_RESET =
  'KVM_S390_INITIAL_RESET (and KVM_S390_CLEAR_RESET, which calls it) of a stopped vcpu (guest-masks): gpsw.mask 0 (I/O off) and gcr[6] 0 (no ISC open); the GISA is left alone (QEMU clears its IPM with KVM_DEV_FLIC_CLEAR_IRQS: kvm_s390_gisa_clear)';
export const LOWCORE_FAULT =
  'vcpu_pre_run\'s outcome lowcore-fault (issue 12, configuration lowcore-fault; premise: the guest\'s prefix pages lost their writable backing after the guest set its prefix, the VMM having unmapped or removed that memory: SET PREFIX itself refuses an address outside the memslots): __deliver_io test-and-clears the IPM bit, __do_deliver_io\'s lowcore writes fail, gpsw is kept, -EFAULT ends kvm_s390_deliver_pending_interrupts\' loop and vcpu_pre_run returns it before clear_bit(kicked_mask): no SIE entry, KVM_RUN returns -EFAULT (the vcpu stays outside_sie, which is also userspace running it again); the interruption is lost, never with rc 0 (AdapterInterruptionLedger, VcpuStepPostcondition; planted-deliver-io-drops-fault)';
export const VCPU_CREATE =
  'the vcpus are created before the first step, in vcpu_idx order: kvm_s390_vcpu_setup\'s cpuflags CPUSTAT_STOPPED is the region\'s initial state stopped (initialContext: stopped, not in SIE, not idle, kicked_mask bit clear); gd = kvm_s390_get_gisa_desc(kvm) is read as gi->origin (deliverableIpm; the vfio-ap machines\' eca_aiv guard for ECA_AIV, set "if (vcpu->arch.sie_block->gd)"): a VM without a GISA (Params.useGisa or aiv false: gi->origin NULL) gives its vcpus no gd and no ECA_AIV, so SIE presents no GISA interruption and handle_pqap answers -EOPNOTSUPP; no step of this machine changes gi->origin after creation (the PV switch, which rewrites gd and ECA_AIV of the online vcpus, is the composed guest\'s pv configurations, and creation against it at run time is the GISA machine\'s pv-enable-create-vcpu, OnlineVcpuGdFollowsGisa); the format-1 bit (sclp.has_gisaf) selects the GISA layout, no modelled field; icpua = vcpu_id is read by SIGP and the SCA, not modelled (Params.vcpuIds, configuration vcpu-ids: no modelled v6.17-rc4 path reads vcpu_id); ECA_APIE (crypto.apie) is the AP instruction interpretation the vfio-ap machines take as given; a vcpu being created cannot be idle (kvm_wait_for_vcpu_online holds its ioctls on vcpu->mutex until online_vcpus++), so the kicker\'s scan up to online_vcpus misses no waiting vcpu';
export const TPI_WINDOW =
  'the coarse TPI event takes the GISA\'s interruption only, in one step; the classic lists beside the GISA and kvm_s390_get_io_int statement by statement (get_top_io_int, get_top_gisa_isc\'s test-and-clear, the set again or the kzalloc and kvm_s390_reinject_io_int) against a waiting vcpu\'s KVM_RUN loop are the composed guest\'s fine-grained tpi-window and tpi-window-gisa-first (system machine, machines/vcpu/kvm_s390_get_io_int.threads.ts: TpiIoLedger, IoInterruptionLedger, NoLostWakeupAtSleep, WokenFromSchedule, ClassicWakeupAtSleep)';
export const OTHER_IRQS_ABSTRACTED =
  'virtio, service signal, pfault done and floating machine checks go on float lists and bits no machine here models (fi->lists[FIRQ_LIST_VIRTIO/PFAULT], fi->srv_signal, fi->mchk: the flic-ais machine\'s), then __floating_irq_kick wakes the first idle vcpu: that wake-up is the machine\'s environment event kvm_s390_vcpu_wakeup (any time, to a halted vcpu, which re-checks and sleeps again when no modelled interruption is deliverable); a vcpu that takes such an interruption leaves the wait and re-enters SIE, which only ends a wait the properties watch (NoLostWakeup: "or the vcpu leaves idle"). CPUSTAT_EXT_INT / STOP_INT (a floating machine check) make the vcpu in SIE exit, a vcpu_post_run the machine allows at any time';
export const SPLIT_WAIT =
  'kvm_s390_handle_wait is one step in this machine, whose kicks come from its environment; the kernel\'s IAM restore, __set_cpu_idle, set_current_state and the block as separate steps, with the real kicker\'s idle_mask scan and test_and_set_bit between them (a kick finding the vcpu not yet blocked: kvm_vcpu_wake_up returns false, the kicked bit stays set), are the composed guest\'s kick-wait configurations (system machine, the vcpu thread of kvm_vcpu.threads.ts; NoLostWakeupAtSleep)';
/** Delivery to a protected vcpu (issue 12, configuration pv-delivery): the ultravisor is an oracle of the machine. */
const PV_INJECT =
  'configuration pv-delivery (Params.pvVcpus): after gisa_tac_ipm_gisc __do_deliver_io sets iictl = IICTL_CODE_IO with the ISC\'s io_int_word, no PSW swap by KVM, and the loop reads deliverable_irqs again with the same PSW (the iictl mask stops it: one injection per entry). The ultravisor is an oracle: at the SIE entry it presents the injected interruption (sie64a_pv_entry: the guest\'s I/O new PSW disables I/O) and by the next exit it has consumed it (__vcpu_run: iictl NONE again). KVM writes IICTL_CODE_NONE nowhere in v6.17-rc4, so firmware clears it; KVM reads it only outside SIE, after an exit. The GISA stays in use (an ultravisor with AIV); without AIV PV interruptions take the float lists (flic-ais), not modelled here';
const PV_SINGLE =
  'pv-delivery: "PV guest cpus can have a single interruption injected at a time": with iictl busy the I/O class is masked (the external and machine-check classes are not modelled), so the loop injects one ISC and the next waits for the next entry; without the mask a second __deliver_io overwrites the injection and the first interruption is lost (planted-pv-deliverable-ignores-iictl: AdapterInterruptionLedger, 6 steps); the entry\'s VcpuStepPostcondition (issue 14) checks that iictl holds exactly the highest-priority ISC the unfenced PSW copy and gcr[6] allow (the same 6 steps there)';
const PV_FENCE =
  'pv-delivery: the event ICPT_PV_INSTR (standing for ICPT_PV_PREF as well: the same fence, and the prefix import writes nothing modelled) leaves SIE and fences KVM\'s copy of the PSW (PSW_INT_MASK) until the next exit refreshes it; the next entry continues the instruction (the ultravisor\'s cont), and the fence keeps vcpu_pre_run from injecting into it (PvNoInjectionOnContinuation: planted-pv-no-fence, 5 steps); SIE presents a GISA interruption the guest\'s real PSW allows once it runs. Every other exit refreshes the copy, the wait intercept too, so kvm_s390_handle_wait and the kicker never read a fenced PSW (planted-pv-fence-every-exit: the wait becomes a disabled wait, VcpuCanHalt)';
const PV_START =
  'pv-delivery: KVM\'s copy of the PSW fenced at start until the first exit; the first entry injects nothing and SIE presents a GISA interruption the guest\'s real PSW allows. The machine\'s PSW is the guest\'s real one: a RESTART the ultravisor interpreted while the vcpu was stopped (the stale copy the fence guards against) is not modelled';
const SPLIT_WAIT_FINE =
  'the vcpu thread (kvm_vcpu.threads.ts, composed guest kick-wait): kvm_arch_vcpu_runnable, the IAM restore, __set_cpu_idle, set_current_state(TASK_INTERRUPTIBLE), kvm_vcpu_check_block and schedule() are steps; the kicker\'s idle_mask scan and its test_and_set_bit with the wake-up interleave between them, and a wake-up of a task not yet TASK_INTERRUPTIBLE does nothing';

/**
 * The audit of kvm_vcpu's functions; with `fine`, also the names of the steps of the vcpu
 * thread (kvm_vcpu.threads.ts), which the composed guest runs in its kick-wait configuration
 * (the kvm_vcpu machine has no fine-grained configuration).
 */
const own = (fine: boolean): KernelAudit => {
  /** The names of the vcpu thread's steps, when the machine runs it. */
  const f = (...names: string[]): string[] => (fine ? names : []);
  return {
    machine: 'kvm_vcpu',
    pinned: PINNED_AUDIT,
    files: [FILE.interrupt, FILE.kvmS390, FILE.kvmS390h, FILE.intercept, FILE.priv, FILE.kvmMain],
    modelledFields: [F.stopped, F.inSie, F.idle, F.wait, F.kicked, F.psw, F.cr6, F.vcpuTask, F.ipm, F.iam],
    nonKernel: {
      vcpu_mine: 'event routing: the event is about this vcpu',
      kvm_vm_alive: 'environment: QEMU starts vcpus only while the VM fd is open',
      lowcore_not_accessible: 'environment (issue 12, configuration lowcore-fault): vcpu_pre_run\'s event says the guest\'s lowcore (the two prefix pages) has no writable backing, so a delivery\'s put_guest_lc/write_guest_lc fail',
      PROG_IN_SIE: 'the vcpu entered SIE (sie_block->prog0c & PROG_IN_SIE): what vcpu_pre_run returning 0 lets __vcpu_run do; the region follows it after a delivery that may fail',
      sie64a_pv_entry: 'not kernel code (issue 12, pv-delivery): the ultravisor\'s SIE entry of a PV vcpu, the oracle: it presents the interruption KVM injected (iictl), else SIE presents a GISA one the guest\'s real PSW and CR6 allow',
      ...(fine ? { [`${VCPU_PC.setState} after the check`]: 'planted race (variant planted-check-block-before-set_current_state): kvm_vcpu_block\'s set_current_state moved after its kvm_vcpu_check_block' } : {}),
    },
    entries: [
      entry(K.GISA_ADAPTER_INTERRUPTION, {
        sie: modelled('GISA_ADAPTER_INTERRUPTION', ...f(VCPU_PC.sie)),
        ipm: modelled('GISA_ADAPTER_INTERRUPTION'),
        alert: modelledAs('environment of this machine: the alert list itself is the GISA machine\'s', 'GISA_ADAPTER_INTERRUPTION'),
        gal: ignored('the GAL interruption is the GIB\'s (kvm_s390_gib)'),
        noAlert: modelled('GISA_ADAPTER_INTERRUPTION'),
        freed: abstracted('this machine has no VM teardown'),
      }),
      entry(K.STOSM_IO, {
        enable: modelled('STOSM_IO', 'psw_ioint_disabled'),
        disable: modelledAs(GUEST_PSW_CR6, 'STNSM_IO'),
      }),
      entry(K.kvm_s390_handle_lpsw, {
        pstate: ignored('a program interruption: no modelled field'),
        load: modelledAs(`the new PSW's I/O bit: on is STOSM_IO (SIE presents what CR6 enables), off is STNSM_IO; the other PSW fields are not modelled. ${GUEST_PSW_CR6}`, 'STOSM_IO', 'STNSM_IO'),
        sie: modelledAs(GUEST_PSW_CR6, 'STOSM_IO', 'STNSM_IO'),
      }),
      entry(K.kvm_s390_handle_lctl, {
        pstate: ignored('a program interruption: no modelled field'),
        load: modelledAs(`the intercept, gcr[6] and the re-entry's delivery are one guest step. ${GUEST_PSW_CR6}`, 'LCTL_CR6', 'kvm_s390_handle_lctl'),
        sie: modelledAs(GUEST_PSW_CR6, 'LCTL_CR6', 'kvm_s390_handle_lctl'),
      }),
      entry(K.psw_ioint_disabled, modelled('psw_ioint_disabled')),
      entry(K.pending_irqs, {
        gisa: abstracted('deliverableIpm reads the GISA part; float and local interruptions are not modelled'),
        noGisa: abstracted('without gi->origin deliverableIpm is empty (no gd: SIE presents no GISA interruption either); the float and local lists are not modelled'),
      }),
      entry(K.deliverable_irqs, {
        io: modelledAs('deliverableIpm: IPM & CR6 when the PSW enables I/O', 'kvm_arch_vcpu_runnable', 'kvm_s390_handle_wait', 'vcpu_pre_run', ...f(VCPU_PC.deliver, VCPU_PC.runnable, VCPU_PC.checkBlock)),
        ioOff: modelledAs('deliverableIpm is 0 with the PSW I/O bit off', 'vcpu_pre_run', 'STOSM_IO', ...f(VCPU_PC.deliver)),
        pv: modelledAs(PV_SINGLE, 'deliverable_irqs', 'vcpu_pre_run', 'kvm_arch_vcpu_runnable', 'kvm_s390_pv_cpu_is_protected'),
      }),
      entry(K.kvm_s390_vcpu_has_irq, {
        deliverable: modelled('kvm_arch_vcpu_runnable', ...f(VCPU_PC.runnable, VCPU_PC.checkBlock)),
        timer: ignored('reads the guest timers, which are not modelled; writes nothing'),
        extcall: ignored('reads only: external calls are not modelled'),
        stop: ignored('reads only: a SIGP STOP is modelled as kvm_s390_vcpu_stop'),
        none: modelled('kvm_arch_vcpu_runnable', ...f(VCPU_PC.runnable, VCPU_PC.checkBlock)),
      }),
      entry(K.kvm_arch_vcpu_runnable, {
        clear: modelled('kvm_vcpu_check_block', 'kvm_s390_handle_wait', 'kvm_s390_vcpu_stop', ...f(VCPU_PC.runnable, VCPU_PC.checkBlock)),
        has: modelled('kvm_arch_vcpu_runnable', ...f(VCPU_PC.runnable, VCPU_PC.checkBlock)),
      }),
      entry(K.gisa_get_ipm_or_restore_iam, {
        pending: modelled('kvm_s390_handle_wait', ...f(VCPU_PC.restore)),
        restore: modelled('kvm_s390_handle_wait', ...f(VCPU_PC.restore)),
        stale: abstracted('the READ_ONCE of alert.mask and the cmpxchg are one step here; with kvm_s390_gisc_register/unregister between them they are steps of the GISA machine\'s fine-grained configurations (kicker-unregister, register-kicker, register-unregister-kicker: kvm_s390_gisa_interrupt.threads.ts)'),
      }),
      entry(K.gisa_tac_ipm_gisc, modelled('vcpu_pre_run', ...f(VCPU_PC.deliver))),
      entry(K.kvm_s390_handle_wait, {
        runnable: modelled('kvm_s390_handle_wait', 'kvm_arch_vcpu_runnable', ...f(VCPU_PC.runnable)),
        disabled: modelledAs('the machine\'s wait PSW enables I/O, so only with a fenced PSW copy (a PV vcpu, pv-delivery): -EOPNOTSUPP, a disabled wait to userspace, the vcpu does not halt; upstream the wait intercept refreshed the copy first, so it does not happen (planted-pv-fence-every-exit: VcpuCanHalt)', 'kvm_s390_handle_wait'),
        gisaPending: modelledAs('with the wait PSW enabling I/O and only GISA interruptions, this return coincides with the fast path; the IAM restore when nothing registered is pending is modelled', 'kvm_s390_handle_wait', ...f(VCPU_PC.restore)),
        noTimer: modelled('kvm_s390_handle_wait', ...f(VCPU_PC.setIdle)),
        expired: ignored('writes nothing: back to SIE; the machine\'s vcpus have no timers'),
        timer: abstracted('guest timers are not modelled: a wait with a timer is a wait without one, so a lost wake-up stays lost in the machine where the kernel would wake on the guest\'s timer'),
        woke: modelled('kvm_vcpu_check_block', 'kvm_s390_vcpu_stop', ...f(VCPU_PC.unsetIdle)),
        window: fine ? modelledAs(SPLIT_WAIT_FINE, VCPU_PC.restore, VCPU_PC.setIdle, VCPU_PC.setState, VCPU_PC.checkBlock, VCPU_PC.schedule) : abstracted(SPLIT_WAIT),
      }),
      entry(K.is_vcpu_idle, modelled('is_vcpu_idle')),
      entry(K.__set_cpu_idle, modelled('kvm_s390_handle_wait', ...f(VCPU_PC.setIdle))),
      entry(K.__unset_cpu_idle, modelled('kvm_vcpu_check_block', 'kvm_s390_vcpu_stop', ...f(VCPU_PC.unsetIdle))),
      entry(K.kvm_s390_vcpu_wakeup, {
        asleep: modelled('kvm_s390_vcpu_wakeup', ...f(VCPU_PC.schedule)),
        awake: fine ? modelledAs(`${SPLIT_WAIT_FINE}: the wake-up clears TASK_INTERRUPTIBLE only when set`, 'kvm_s390_vcpu_wakeup', VCPU_PC.setState) : abstracted(SPLIT_WAIT),
        vsie: ignored('vSIE is not modelled; writes nothing'),
      }),
      entry(K.kvm_s390_idle_wakeup, {
        early: ignored('re-arms the vcpu\'s clock-comparator timer: no modelled field'),
        wake: abstracted('guest timers are not modelled; the per-object machine\'s environment kvm_s390_vcpu_wakeup stands for a wakeup from any source'),
      }),
      entry(K.kvm_vcpu_check_block, {
        runnable: modelled('kvm_vcpu_check_block', 'kvm_arch_vcpu_runnable', ...f(VCPU_PC.checkBlock)),
        timer: abstracted('guest timers are not modelled'),
        signal: modelledAs('QEMU\'s signal ahead of a stop or an ioctl: folded into kvm_s390_vcpu_stop from idle', 'kvm_s390_vcpu_stop'),
        unblock: abstracted('KVM_REQ_UNBLOCK is not used on s390; kicked_mask is cleared as by every check'),
        block: modelled('kvm_vcpu_check_block', ...f(VCPU_PC.checkBlock)),
      }),
      entry(K.kvm_vcpu_block, { loop: modelled('kvm_s390_vcpu_wakeup', 'kvm_vcpu_check_block', ...f(VCPU_PC.setState, VCPU_PC.checkBlock, VCPU_PC.schedule)) }),
      entry(K.kvm_vcpu_halt, {
        poll: abstracted('halt polling re-checks before blocking: a poll that sees the interruption is a re-check the machine takes after a wakeup'),
        block: modelled('kvm_vcpu_check_block', ...f(VCPU_PC.setState, VCPU_PC.checkBlock, VCPU_PC.schedule)),
      }),
      entry(K.__airqs_kick_single_vcpu, {
        skipIo: ignored('writes nothing'),
        kicked: ignored('writes nothing'),
        kick: modelledAs('the environment event kvm_s390_vcpu_wakeup of this machine (the kicker is the GISA machine\'s)', 'kvm_s390_vcpu_wakeup'),
        none: ignored('writes nothing'),
      }),
      entry(K.__floating_irq_kick, {
        none: ignored('no vcpu'),
        idle: modelledAs('the first vcpu in idle_mask, PSW and CR6 not looked at (system configuration inject: the wake-up goes to a vcpu closed for the ISC, NoLostWakeup)', '__floating_irq_kick'),
        rr: modelledAs('the round-robin target is not idle, so not in kvm_vcpu_block: kvm_vcpu_wake_up finds it running and no modelled field changes; next_rr_cpu and the all-stopped case (nobody kicked) are left out for that reason', '__floating_irq_kick'),
        aiGisa: modelledAs('no CPUSTAT_IO_INT: SIE presents the IPM bit to a vcpu in SIE enabled for it (__inject_io)', '__inject_io'),
        wake: modelled('__floating_irq_kick', 'kvm_s390_vcpu_wakeup'),
      }),
      entry(K.__deliver_io, {
        float: modelledAs('kvm_s390_deliver_pending_interrupts takes a classic interruption of fi->lists[isc] first (the GISA not looked at), with the PSW swap that disables I/O, and kvm_s390_vcpu_has_irq sees the lists (configurations with Params.classicIo: the composed guest\'s tpi-window*, issue 12); CPUSTAT_IO_INT / LCTL_CR6 intercept requests are not modelled (the vcpu thread delivers at its next vcpu_pre_run)', 'vcpu_pre_run', ...f(VCPU_PC.deliver)),
        gisa: modelledAs('deliverOne: the highest-priority deliverable ISC, and the I/O new PSW disables I/O', 'vcpu_pre_run', ...f(VCPU_PC.deliver)),
        fault: modelledAs(`${LOWCORE_FAULT}. The GISA branch only: a classic interruption's delivery into the same lowcore (dequeued from fi->lists[] first, then __do_deliver_io fails: lost the same way, -EFAULT) is not combined with it, as no configuration has both Params.classicIo and the lowcore-fault outcome (kvm_s390_deliver_pending_interrupts returns 0 after a classic delivery)`, 'vcpu_pre_run', '__deliver_io', 'lowcore_not_accessible', ...f(VCPU_PC.deliver)),
        pv: modelledAs(PV_INJECT, 'vcpu_pre_run', 'kvm_s390_deliver_pending_interrupts', 'sie64a_pv_entry', '__vcpu_run'),
        none: modelled('vcpu_pre_run', ...f(VCPU_PC.deliver)),
      }),
      entry(K.kvm_s390_deliver_pending_interrupts, {
        loop: modelledAs('one ISC per vcpu_pre_run: the I/O new PSW is assumed to disable I/O, as Linux\'s does; a guest whose I/O new PSW enables I/O takes every deliverable ISC in one loop', 'vcpu_pre_run', ...f(VCPU_PC.deliver)),
        indicators: ignored('intercept indicators of classic I/O: not modelled'),
        err: modelledAs(LOWCORE_FAULT, 'vcpu_pre_run', 'kvm_s390_deliver_pending_interrupts', 'lowcore_not_accessible', ...f(VCPU_PC.deliver)),
      }),
      entry(K.vcpu_pre_run, {
        deliver: modelled('vcpu_pre_run', ...f(VCPU_PC.deliver)),
        delErr: modelledAs(`${LOWCORE_FAULT}. A guest-debug exit pending (guestdbg_exit_pending: single-stepping after a delivery) returns 0 here and KVM_EXIT_DEBUG from KVM_RUN: guest debugging is not modelled, and that return writes no modelled field`, 'vcpu_pre_run', 'PROG_IN_SIE', 'lowcore_not_accessible', ...f(VCPU_PC.deliver, VCPU_PC.runError)),
        reqErr: ignored('writes nothing: KVM_RUN ends before SIE and the kicked bit stays until the next entry'),
        clear: modelled('vcpu_pre_run', ...f(VCPU_PC.clearKicked)),
      }),
      entry(K.__vcpu_run, {
        enter: modelled('vcpu_pre_run', ...f(VCPU_PC.sie)),
        exit: modelled('vcpu_post_run', 'kvm_s390_handle_wait', ...f(VCPU_PC.waitIntercept)),
        pvFence: modelledAs(PV_FENCE, 'ICPT_PV_INSTR', '__vcpu_run', 'vcpu_post_run', 'kvm_s390_pv_cpu_is_protected'),
        leave: fine
          ? modelledAs('the vcpu thread of the composed guest\'s kick-wait-fault: a failed delivery goes to kvm_arch_vcpu_ioctl_run@return -EFAULT (KVM_RUN returned; userspace issues it again: vcpu_pre_run); signals and guest-debug exits are not modelled', VCPU_PC.runError)
          : abstracted('returning to userspace and calling KVM_RUN again is outside_sie in the machine'),
      }),
      entry(K.vcpu_post_run, {
        mcck: ignored('host machine check: writes nothing modelled'),
        icpt: modelled('vcpu_post_run', ...f(VCPU_PC.waitIntercept)),
        fault: modelled('vcpu_post_run'),
      }),
      entry(K.kvm_handle_sie_intercept, {
        wait: modelled('kvm_s390_handle_wait', ...f(VCPU_PC.waitIntercept)),
        stop: modelledAs('SIGP STOP intercept: vcpu_post_run, then kvm_s390_vcpu_stop', 'kvm_s390_vcpu_stop'),
        inst: abstracted('an instruction intercept is a vcpu_post_run exit; PQAP(AQIC) is modelled in vfio_ap_queue, LPSW, LCTL and TPI are audited on their own'),
        intEnable: modelledAs('the guest enabled I/O while a classic interruption was pending; GISA interruptions are presented by SIE (STOSM_IO)', 'vcpu_post_run'),
        ioreq: modelled('vcpu_post_run'),
        other: modelled('vcpu_post_run'),
      }),
      entry(K.handle_stop, {
        delay: ignored('writes nothing'),
        none: ignored('writes nothing'),
        stop: modelled('kvm_s390_vcpu_stop'),
      }),
      entry(K.kvm_s390_vcpu_start, {
        running: ignored('writes nothing'),
        pvErr: ignored('PV: the ultravisor refuses; writes nothing'),
        start: modelled('kvm_s390_vcpu_start', 'kvm_vm_alive'),
        pvFence: modelledAs(PV_START, 'kvm_s390_vcpu_start'),
      }),
      entry(K.kvm_s390_vcpu_stop, {
        stopped: ignored('writes nothing'),
        pvErr: ignored('PV: the ultravisor refuses; writes nothing'),
        stop: modelledAs('from outside SIE, or from idle once QEMU\'s signal ended kvm_vcpu_block (runnable checked, __unset_cpu_idle) and KVM_RUN returned', 'kvm_s390_vcpu_stop'),
      }),
      entry(K.kvm_arch_vcpu_ioctl_set_mpstate, {
        stopped: modelled('kvm_s390_vcpu_stop'),
        operating: modelled('kvm_s390_vcpu_start'),
        load: ignored('PV only: writes nothing modelled'),
        other: ignored('-ENXIO: writes nothing'),
      }),
      entry(K.kvm_arch_vcpu_ioctl_run, {
        dumping: ignored('-EINVAL: writes nothing'),
        immediate: ignored('-EINTR: writes nothing'),
        badRegs: ignored('-EINVAL: writes nothing'),
        autoStart: abstracted('QEMU controls the cpu state (KVM_SET_MP_STATE): kvm_s390_vcpu_start stands for any start'),
        stoppedErr: ignored('-EINVAL: writes nothing'),
        sync: abstracted(QEMU_WRITES_BACK),
        run: modelled('vcpu_pre_run', 'vcpu_post_run', ...f(VCPU_PC.deliver, VCPU_PC.waitIntercept)),
      }),
      entry(K.kvm_arch_vcpu_ioctl_initial_reset, {
        normal: abstracted(`${USER_CPU_STATE}; kvm_s390_clear_local_irqs drops local interruptions, which are not modelled`),
        regs: modelledAs(VCPU_RESET, 'KVM_S390_INITIAL_RESET', 'kvm_arch_vcpu_ioctl_initial_reset'),
        gisa: ignored('writes nothing: the GISA is not reset with a vcpu'),
      }),
      entry(K.kvm_arch_vcpu_ioctl_normal_reset, {
        stop: abstracted(USER_CPU_STATE),
        local: ignored('local interruptions, RI, pfault: not modelled'),
      }),
      entry(K.kvm_arch_vcpu_ioctl_set_sregs, abstracted(QEMU_WRITES_BACK)),
      entry(K.kvm_arch_vcpu_create, {
        nomem: ignored('writes nothing'),
        setup: abstracted(VCPU_CREATE),
        pvFail: ignored('writes nothing modelled'),
      }),
      entry(K.kvm_vm_ioctl_create_vcpu, {
        badId: ignored('writes nothing'),
        nomem: ignored('writes nothing'),
        exists: ignored('writes nothing'),
        ok: abstracted('the vcpus are created before the first step, in vcpu_idx order, stopped; vcpu_id is the configuration\'s Params.vcpuIds (default: the index), which no modelled v6.17-rc4 path reads (system configuration vcpu-ids; variant idle-mask-vcpu_id-v5.14 indexes idle_mask by it); creation at run time: kvm_arch_vcpu_create\'s entry'),
        fdFail: ignored('error path: the reference is dropped again; no vcpu field'),
      }),
      entry(K.kvm_s390_inject_vm, {
        nomem: ignored('writes nothing'),
        einval: ignored('writes nothing'),
        io: modelled('kvm_s390_inject_vm', '__inject_io', '__floating_irq_kick'),
        other: abstracted(OTHER_IRQS_ABSTRACTED),
        busy: ignored('writes nothing'),
      }),
      entry(K.kvm_s390_get_io_int, {
        none: ignored('the GISA is not touched'),
        gisa: modelled('kvm_s390_get_io_int', 'handle_tpi', 'TPI'),
        classicFirst: abstracted(TPI_WINDOW),
        gisaFirst: abstracted(TPI_WINDOW),
        nomem: modelledAs('TPI outcome nomem: the test-and-clear and the set again are one step (see window)', 'kvm_s390_get_io_int', 'TPI'),
        window: abstracted(TPI_WINDOW),
      }),
      entry(K.handle_tpi, {
        none: ignored('nothing taken'),
        gisa: modelledAs('the PSW I/O mask is not looked at; the TPI intercept and the return into SIE are one step', 'handle_tpi', 'TPI'),
        fault: modelledAs('TPI outcome store-fails: kvm_s390_reinject_io_int -> __inject_vm in the same step: __inject_io, then __floating_irq_kick wakes the first idle vcpu (system configuration tpi-2)', 'handle_tpi', '__inject_io', '__floating_irq_kick', 'TPI'),
      }),
      entry(K.kvm_arch_crypto_set_masks, {
        block: abstracted('the forced SIE exit is a vcpu_post_run, which the machine allows at any time; being kept out of SIE until the unblock is not modelled'),
        masks: ignored('the guest\'s AP masks: not modelled'),
      }),
      entry(K.kvm_arch_crypto_clear_masks, {
        block: abstracted('the forced SIE exit is a vcpu_post_run, which the machine allows at any time'),
        masks: ignored('the guest\'s AP masks: not modelled'),
      }),
    ],
  };
};

export const vcpuAudit: KernelAudit = own(false);
/** With the vcpu thread's steps, for the composed guest (its kick-wait configuration runs the thread). */
export const vcpuFineAudit: KernelAudit = own(true);
