// Configurations of the GISA machine: one VM, one guest ISC, a driver that registers at most
// twice (coarse: every kernel function one step); and the fine-grained configurations, where
// the gisa_vcpu_kicker hrtimer callback, kvm_s390_gisc_unregister and kvm_s390_gisa_destroy run
// on their own CPUs, step by step (machines/gisa/kvm_s390_gisa_interrupt.threads.ts).
import type { FineParts } from '../system/system.machine.ts';
import type { CoreConfiguration } from '../system/spec.ts';
import type { Kernel } from '../kernel.ts';
import type { KFunction, ThreadDef } from '../kthread.ts';
import type { SystemContext } from '../context.ts';
import { AlertListNotStranded, AlertMaskZeroAtDestroy, EcaAivImpliesGisa, GalWalkSeesLiveGisa, GiscCallSeesGisa, GisaInitNotListed, KickerSeesLiveGisa, NoGisaUseAfterFree, NoStaleIamAfterUnregister, CreateVcpuReturnsOnline, OnlineVcpuGdFollowsGisa, OnlineVcpuPvMatchesVm, ProtectedVmWithoutUvAivHasNoGisa, PvDisableReinitialisesGisa, PvEnableDisablesGisa, RegisteredIscAlerts } from './kvm_s390_gisa_interrupt.invariants.ts';
import { aqicDriver, galHandler, gisa_destroy, gisaVcpuKicker, gisc_unregister } from './kvm_s390_gisa_interrupt.threads.ts';
import { destroyWalker, GAL_THREAD } from './kvm_s390_gisa_interrupt.invariants.ts';
import { kvm_s390_handle_pv_disable, kvm_s390_handle_pv_enable, kvm_s390_handle_pv_enable_create, kvm_vm_ioctl_create_vcpu, kvmRunPqap, resetWorkUnregister } from './kvm_s390_pv.threads.ts';

/** The coarse events the threads replace: the regions leave their transitions out. */
const REPLACED = new Set(['gisa_vcpu_kicker', 'kvm_s390_gisc_register', 'kvm_s390_gisc_unregister', 'kvm_s390_gisa_destroy', 'gisa_get_ipm_or_restore_iam']);

/**
 * The threads of each VM (named with the VM's index when there are several): `kicker` (the
 * hrtimer callback, on whatever CPU the timer fires), `driver` (vfio_ap freeing its AQIC
 * resources: kvm_s390_gisc_unregister of ISC 3, once), `destroy` (kvm_arch_destroy_vm:
 * kvm_s390_gisa_destroy, once; after the driver when there is one).
 */
function fine(which: { driver: boolean; destroy: boolean; initial?: (c: SystemContext) => void }) {
  return (params: { vms: number }, k: Kernel): FineParts => {
    const threads: ThreadDef<SystemContext>[] = [];
    const name = (base: string, vm: number) => (params.vms > 1 ? `${base}${vm}` : base);
    for (let vm = 0; vm < params.vms; vm++) {
      const kicker = name('kicker', vm);
      threads.push({ name: kicker, actor: 'timer', ix: { vm }, fns: [gisaVcpuKicker(vm, kicker, k)] });
      if (which.driver) threads.push({ name: name('driver', vm), actor: 'kernel', ix: { vm }, once: true, fns: [gisc_unregister(vm, 3, k)] });
      if (which.destroy) {
        const destroy = gisa_destroy(vm, kicker, k);
        // vfio_ap unregisters before it drops its struct kvm reference, so the destroy runs after it
        const first = which.driver ? [{ ...destroy.steps[0]!, after: [name('driver', vm)] }] : [destroy.steps[0]!];
        threads.push({ name: name('destroy', vm), actor: 'kernel', ix: { vm }, once: true, fns: [{ ...destroy, steps: [...first, ...destroy.steps.slice(1)] }] });
      }
    }
    const kickers = threads.filter((t) => t.actor === 'timer').map((t) => t.name);
    return { threads, gib: { kickers, omit: REPLACED, design: k.design }, gisa: () => ({ omit: REPLACED }), ...(which.initial ? { initial: which.initial } : {}) };
  };
}

/**
 * The register-kicker configurations: `kicker` (the hrtimer callback, armed) and `driver` (vfio_ap
 * registering ISC 3, with `disable` unregistering it after, once), one VM.
 */
function aqic(which: { disable: boolean; gal?: boolean }) {
  return (_params: { vms: number }, k: Kernel): FineParts => {
    const threads: ThreadDef<SystemContext>[] = [
      { name: 'kicker', actor: 'timer', ix: { vm: 0 }, fns: [gisaVcpuKicker(0, 'kicker', k)] },
      { name: 'driver', actor: 'kernel', ix: { vm: 0 }, once: true, fns: [aqicDriver(0, 3, k, which.disable)] },
    ];
    // the GAL interruption handler on a CPU of its own: the GIB region leaves its two passes to the thread
    if (which.gal) threads.push({ name: GAL_THREAD, actor: 'kernel', fns: [galHandler(['kicker'], k)] });
    const omit = which.gal ? new Set([...REPLACED, 'gib_alert_irq_handler', 'process_gib_alert_list']) : REPLACED;
    return { threads, gib: { kickers: ['kicker'], omit, design: k.design }, gisa: () => ({ omit: REPLACED }), ...(which.gal ? {} : { initial: kickerArmed }) };
  };
}

/**
 * The walk configurations (issue 11, two callers of process_gib_alert_list): each VM's
 * kvm_arch_destroy_vm thread (`destroy_vm`, `destroy_vm<vm>`) runs kvm_s390_gisa_destroy with its
 * process_gib_alert_list step by step, `kicker` (`kicker<vm>`) the hrtimer callback the walks arm,
 * and with `gal` the GAL interruption handler on a CPU of its own. The coarse GAL events are left
 * out (a walk is the threads' business).
 */
function walks(which: { gal: boolean; kickers: boolean }) {
  return (params: { vms: number }, k: Kernel): FineParts => {
    const names = Array.from({ length: params.vms }, (_, vm) => (params.vms > 1 ? `kicker${vm}` : 'kicker'));
    // without kicker threads a timer a walk arms stays armed and never fires (the walk's hrtimer_start is what GalWalkSeesLiveGisa checks)
    const kickers = which.kickers ? names : [];
    const threads: ThreadDef<SystemContext>[] = [];
    for (let vm = 0; vm < params.vms; vm++) {
      if (which.kickers) threads.push({ name: names[vm]!, actor: 'timer', ix: { vm }, fns: [gisaVcpuKicker(vm, names[vm]!, k)] });
      threads.push({ name: destroyWalker(vm, params.vms), actor: 'kernel', ix: { vm }, once: true, fns: [gisa_destroy(vm, names[vm]!, k, { kickers })] });
    }
    if (which.gal) threads.push({ name: GAL_THREAD, actor: 'kernel', fns: [galHandler(kickers, k)] });
    const omit = new Set([...REPLACED, 'gib_alert_irq_handler', 'process_gib_alert_list']);
    return { threads, gib: { kickers, omit, design: k.design, initial: 'alert_list' }, gisa: () => ({ omit: REPLACED }), initial: allListed };
  };
}

/**
 * ISC 3 alerted on every VM before the driver unregistered it (alert.mask 0, IAM 0 since the alert, ISC 3 pending): every GISA
 * is on the alert list, built on NULL_GISA_ADDR, and the GAL interruption it raised is pending.
 */
const allListed = (c: SystemContext) => {
  for (const k of c.vms) Object.assign(k.gisa, { ipm: 0x10, iam: 0 });
  Object.assign(c.gib, { origin: 'alert_list', list: (1 << c.vms.length) - 1, galPending: true });
};

/** After an alert, the driver has unregistered ISC 3 and the kicker is still armed with ISC 3 pending (IAM 0, unlinked). */
const kickerArmed = (c: SystemContext) => {
  for (const k of c.vms) Object.assign(k.gisa, { timer: true, ipm: 0x10, iam: 0 });
};

/** The events besides the threads' steps: the AP (millicode), the GAL handler, a vcpu taking an ISC, the page freed. */
/** The coarse events of one-isc: a driver registering, the AP, the kicker, a vcpu's wait and delivery, QEMU's CLEAR_IRQS, the teardown, the GAL handler. */
const COARSE = [
  'kvm_s390_gisc_register', 'kvm_s390_gisc_unregister', 'GISA_ADAPTER_INTERRUPTION', 'gisa_vcpu_kicker', 'gisa_get_ipm_or_restore_iam',
  'kvm_s390_gisa_clear', 'gisa_tac_ipm_gisc', 'kvm_s390_gisa_destroy', 'free_page_sie_page2', 'gib_alert_irq_handler', 'process_gib_alert_list',
];

const ENV = ['GISA_ADAPTER_INTERRUPTION', 'gib_alert_irq_handler', 'process_gib_alert_list', 'gisa_tac_ipm_gisc'];

// ---- issue 12 (branch pvswitch): KVM_PV_ENABLE against the GISA's users, statement by statement ----

/**
 * `pv` (KVM_PV_ENABLE: kvm->lock, kvm_s390_gisa_disable with kvm_s390_gisa_destroy inlined) against
 * `driver` (vfio_ap's reset work unregistering ISC 3, registered at start) or `vcpu` (KVM_RUN under
 * vcpu->mutex intercepting PQAP(AQIC) ir=1 for ISC 3, ECA_AIV set at start), one VM, no kicker.
 */
function pvEnable(other: 'reset-work' | 'pqap') {
  return (_params: { vms: number }, k: Kernel): FineParts => {
    const pqap = other === 'pqap';
    const threads: ThreadDef<SystemContext>[] = [
      { name: 'pv', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [kvm_s390_handle_pv_enable(0, k, pqap)] },
      pqap
        ? { name: 'vcpu', actor: 'guest', ix: { vm: 0 }, once: true, fns: [kvmRunPqap(0, 3, k)] }
        : { name: 'driver', actor: 'kernel', ix: { vm: 0 }, once: true, fns: [resetWorkUnregister(0, 3, k)] },
    ];
    return { threads, gib: { kickers: [], omit: REPLACED, design: k.design }, gisa: () => ({ omit: REPLACED }), ...(pqap ? { initial: (c: SystemContext) => void (c.vms[0]!.aiv = true) } : {}) };
  };
}

/**
 * `pv` (KVM_PV_DISABLE: kvm->lock, kvm_s390_gisa_enable -> kvm_s390_gisa_init step by step) against
 * `driver` (the reset work unregistering ISC 3), one VM whose GISA KVM_PV_ENABLE disabled with ISC 3
 * registered: origin NULL (`useGisa: false` gives the disabled region), alert.mask 0, ref_count[3] = 1.
 */
function pvDisable() {
  return (_params: { vms: number }, k: Kernel): FineParts => ({
    threads: [
      { name: 'pv', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [kvm_s390_handle_pv_disable(0)] },
      { name: 'driver', actor: 'kernel', ix: { vm: 0 }, once: true, fns: [resetWorkUnregister(0, 3, k)] },
    ],
    gib: { kickers: [], omit: REPLACED, design: k.design },
    gisa: () => ({ omit: REPLACED }),
    // kvm_s390_gisa_destroy zeroed alert.mask and the IAM but not ref_count[]
    initial: (c: SystemContext) => void Object.assign(c.vms[0]!.gisa, { mask: 0, iam: 0 }),
  });
}

/**
 * Issue 12: `pv` (KVM_PV_ENABLE, its loops over the online vcpus) against `create`
 * (KVM_CREATE_VCPU of the VM's one vcpu, step by step), one VM with its GISA enabled and no vcpu online yet.
 */
function pvEnableCreateVcpu(serialised = false) {
  // serialised: the VMM issues the two ioctls one after the other (QEMU holds the BQL across both): each starts only while the other is idle or done
  const first = (f: KFunction<SystemContext>, other: string): KFunction<SystemContext> =>
    serialised ? { ...f, steps: f.steps.map((s, i) => (i ? s : { ...s, waitsFor: [other] })) } : f;
  return (_params: { vms: number }, k: Kernel): FineParts => ({
    threads: [
      { name: 'pv', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [first(kvm_s390_handle_pv_enable_create(0, k), 'create')] },
      { name: 'create', actor: 'userspace', ix: { vm: 0 }, once: true, fns: [first(kvm_vm_ioctl_create_vcpu(0), 'pv')] },
    ],
    gib: { kickers: [], omit: REPLACED, design: k.design },
    gisa: () => ({ omit: REPLACED }),
    initial: (c: SystemContext) => void Object.assign(c.vms[0]!, { pv: false, created: { counted: false, gd: false, pvCpu: false, online: false } }),
  });
}

const pvSwitchConfigurations: CoreConfiguration[] = [
  {
    id: 'pv-enable-unregister',
    description: 'fine-grained, 2 threads: KVM_PV_ENABLE on a host whose ultravisor lacks AIV (kvm_s390_handle_pv under kvm->lock: kvm_s390_cpus_to_pv -> kvm_s390_gisa_disable -> kvm_s390_gisa_destroy, step by step) against vfio_ap\'s reset work (apq_reset_check -> vfio_ap_free_aqic_resources -> kvm_s390_gisc_unregister of ISC 3, registered at start; VFIO_DEVICE_RESET holds mdevs_lock only); no adapter interruption, no kicker',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], preRegistered: [3], airqs: 0, uvAiv: false },
    bounds: { types: [] },
    fine: pvEnable('reset-work'),
    invariants: [GiscCallSeesGisa, PvEnableDisablesGisa, AlertMaskZeroAtDestroy],
  },
  {
    id: 'pv-enable-pqap',
    description: 'fine-grained, 2 threads: KVM_PV_ENABLE (as pv-enable-unregister, its kvm_s390_gisa_disable clearing ECA_AIV of the one vcpu under vcpu->mutex) against that vcpu\'s KVM_RUN (vcpu->mutex held) intercepting PQAP(AQIC) ir=1: vfio_ap handle_pqap\'s ECA_AIV test, then vfio_ap_irq_enable\'s kvm_s390_gisc_register of ISC 3 step by step; nothing registered at start, no adapter interruption, no kicker',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], airqs: 0, uvAiv: false },
    bounds: { types: [] },
    fine: pvEnable('pqap'),
    invariants: [GiscCallSeesGisa, EcaAivImpliesGisa, PvEnableDisablesGisa, AlertMaskZeroAtDestroy],
  },
  {
    id: 'pv-disable-unregister',
    description: 'fine-grained, 2 threads: KVM_PV_DISABLE (kvm_s390_handle_pv under kvm->lock: kvm_s390_cpus_from_pv -> kvm_s390_gisa_enable -> kvm_s390_gisa_init: gi->origin, alert.mask = 0, spin_lock_init(ref_lock), the memset, step by step) against vfio_ap\'s reset work unregistering ISC 3; the GISA was disabled by KVM_PV_ENABLE with ISC 3 registered (origin NULL, alert.mask 0, ref_count[3] = 1); no adapter interruption, no kicker',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], preRegistered: [3], airqs: 0, useGisa: false },
    bounds: { types: [] },
    fine: pvDisable(),
    invariants: [GiscCallSeesGisa, PvDisableReinitialisesGisa],
  },
  {
    id: 'pv-enable-create-vcpu',
    description: 'fine-grained, 2 threads: KVM_PV_ENABLE on a host whose ultravisor lacks AIV (kvm_s390_handle_pv under kvm->lock: kvm_s390_pv_init_vm, kvm_s390_cpus_to_pv -> kvm_s390_gisa_disable clearing gd and ECA_AIV of each online vcpu, kvm_s390_gisa_destroy step by step, then kvm_s390_pv_create_cpu of each online vcpu) against KVM_CREATE_VCPU of the VM\'s one vcpu (kvm_vm_ioctl_create_vcpu: created_vcpus++ under kvm->lock; kvm_arch_vcpu_create reading gi->origin into gd without it; kvm_s390_vcpu_setup\'s PV test under kvm->lock; xa_insert and online_vcpus++ under kvm->lock again); nothing registered, no adapter interruption, no kicker',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], airqs: 0, uvAiv: false },
    bounds: { types: [] },
    fine: pvEnableCreateVcpu(),
    invariants: [OnlineVcpuGdFollowsGisa, OnlineVcpuPvMatchesVm, CreateVcpuReturnsOnline, ProtectedVmWithoutUvAivHasNoGisa, AlertMaskZeroAtDestroy],
  },
  {
    // issue 12: upstream's finding in pv-enable-create-vcpu hides every mutant of the two ioctls; here upstream holds
    id: 'pv-enable-create-vcpu-serialised',
    description: 'as pv-enable-create-vcpu, but the VMM issues KVM_CREATE_VCPU and KVM_PV_ENABLE one after the other, in either order (QEMU creates vcpus and switches to PV under the BQL): the switch reaches the online vcpu (gd cleared, a PV cpu made), or the vcpu created after it reads the disabled GISA and makes itself a PV cpu',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], airqs: 0, uvAiv: false },
    bounds: { types: [] },
    fine: pvEnableCreateVcpu(true),
    invariants: [OnlineVcpuGdFollowsGisa, OnlineVcpuPvMatchesVm, CreateVcpuReturnsOnline, ProtectedVmWithoutUvAivHasNoGisa, AlertMaskZeroAtDestroy],
  },
];

export const gisaConfigurations: CoreConfiguration[] = [
  {
    id: 'one-isc',
    description: '1 VM, guest ISC 3 (plus ISC 8 for -ERANGE), a driver registering at most twice, no vcpus (every interruption alerts)',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], maxRefs: 2 },
    bounds: { types: COARSE, extraIscs: [8] },
  },
  {
    id: 'flic-get-all',
    description: 'one-isc plus QEMU\'s KVM_DEV_FLIC_GET_ALL_IRQS (get_all_floating_irqs test-and-clears the IPM into its buffer: the bits leave the GISA whether the copy-out succeeds or fails with -ENOMEM / -EFAULT)',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], maxRefs: 2 },
    bounds: { types: [...COARSE, 'KVM_DEV_FLIC_GET_ALL_IRQS'] },
  },
  {
    // issue 14: ISC 0 and ISC 7, the ends of get_all_floating_irqs' scan over the IPM (a loop that starts one late or stops one early shows)
    id: 'flic-get-all-two-iscs',
    description: 'flic-get-all with guest ISCs 0 and 7 (one registration each at most), no ISC-8 payload',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [0, 7], maxRefs: 1 },
    bounds: { types: [...COARSE, 'KVM_DEV_FLIC_GET_ALL_IRQS'] },
  },
  {
    id: 'no-aiv',
    description: 'a host without the AIV facility (kvm_s390_gib_init and kvm_s390_gisa_init return early): 1 VM without a GISA (gi->origin NULL from the start), a driver registering ISC 3 at most twice (-ENODEV), the coarse events of one-isc but the AP (no device has a GISA address) ',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], maxRefs: 2, aiv: false },
    bounds: { types: COARSE.filter((t) => t !== 'GISA_ADAPTER_INTERRUPTION') },
  },
  {
    id: 'pv-switch',
    description: 'protected virtualization on a host whose ultravisor lacks AIV: the coarse events of one-isc plus KVM_PV_ENABLE (kvm_s390_cpus_to_pv: kvm_s390_gisa_disable; or a vcpu create fails and kvm_s390_cpus_from_pv re-enables at once) and KVM_PV_DISABLE (kvm_s390_cpus_from_pv: kvm_s390_gisa_enable, use_gisa set); 1 VM, ISC 3 registered at most twice',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], maxRefs: 2, uvAiv: false, pv: true },
    bounds: { types: [...COARSE, 'KVM_PV_ENABLE', 'KVM_PV_DISABLE'] },
    invariants: [AlertMaskZeroAtDestroy, GisaInitNotListed],
  },
  {
    id: 'pv-use-gisa-cleared',
    description: 'as pv-switch, but use_gisa was cleared (/sys/module/kvm/parameters/use_gisa) after the VM was created: kvm_s390_cpus_from_pv does not re-enable the GISA disabled for PV',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], maxRefs: 2, uvAiv: false, pv: true, useGisaAtPvExit: false },
    bounds: { types: [...COARSE, 'KVM_PV_ENABLE', 'KVM_PV_DISABLE'] },
    invariants: [AlertMaskZeroAtDestroy, GisaInitNotListed],
  },
  {
    // issue 14: in pv-switch upstream already breaks AlertMaskIsRegisteredIscs, AlertMaskZeroAtDestroy, FreedGisaNotInAlertList and
    // GisaInitNotListed (a registration held across the switch), which hides every mutant of the switch; QEMU resets the AP queues
    // (vfio_ap unregisters) before it switches a guest to PV, so here no driver registers and upstream holds every property
    id: 'pv-switch-no-driver',
    description: 'as pv-switch, but no driver registers an ISC (QEMU resets the AP queues before KVM_PV_ENABLE): adapter interruptions only set IPM bits (IAM 0, nothing listed), QEMU\'s CLEAR_IRQS, the vcpu taking ISC 3, the PV switch, the teardown',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], maxRefs: 2, uvAiv: false, pv: true },
    bounds: { types: [...COARSE.filter((t) => t !== 'kvm_s390_gisc_register' && t !== 'kvm_s390_gisc_unregister'), 'KVM_PV_ENABLE', 'KVM_PV_DISABLE'] },
    invariants: [AlertMaskZeroAtDestroy, GisaInitNotListed],
  },
  {
    id: 'kicker-unregister',
    description: 'fine-grained, 2 threads: the gisa_vcpu_kicker callback against kvm_s390_gisc_unregister of ISC 3 (registered at start) under ref_lock; up to 2 adapter interruptions, a vcpu taking ISC 3, the GAL handler',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], preRegistered: [3], airqs: 2 },
    bounds: { types: ENV },
    fine: fine({ driver: true, destroy: false }),
    invariants: [KickerSeesLiveGisa],
  },
  {
    id: 'kicker-destroy',
    description: 'fine-grained, 2 threads: the gisa_vcpu_kicker callback against kvm_s390_gisa_destroy (its hrtimer_cancel); the driver has unregistered ISC 3, but the kicker is still armed with ISC 3 pending (IAM 0, unlinked), as after an alert; up to 2 adapter interruptions, a vcpu taking ISC 3, sie_page2 freed',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], airqs: 2 },
    bounds: { types: [...ENV, 'free_page_sie_page2'] },
    fine: fine({ driver: false, destroy: true, initial: kickerArmed }),
    invariants: [KickerSeesLiveGisa, AlertMaskZeroAtDestroy],
  },
  {
    id: 'two-vms-kicker-destroy',
    description: 'fine-grained, 4 threads: two VMs torn down at once, each with its gisa_vcpu_kicker still armed (ISC 3 pending, the driver gone) against its kvm_s390_gisa_destroy; a vcpu of each taking ISC 3, sie_page2 freed; the threads of different VMs share no data (the partial-order reduction case)',
    params: { vms: 2, vcpus: 0, queues: 0, iscs: [3], airqs: 0 },
    bounds: { types: ['gisa_tac_ipm_gisc', 'free_page_sie_page2'] },
    fine: fine({ driver: false, destroy: true, initial: kickerArmed }),
    invariants: [KickerSeesLiveGisa, AlertMaskZeroAtDestroy],
    // the walk's footprint is every VM's GISA and the GIB: left in, it would make the two VMs' threads dependent
    neverEnabled: {
      types: ['kvm_s390_gisa_destroy@process_gib_alert_list()'],
      why: 'no adapter interruption: no GISA is ever listed, so neither destroy\'s gisa_set_iam(origin, 0) answers -EBUSY and neither walks the alert list',
    },
  },
  {
    // issue 14: the WARN of the fine-grained kvm_s390_gisa_destroy taken in the baseline (elsewhere the driver unregisters first)
    id: 'destroy-registered',
    description: 'fine-grained, 2 threads: the gisa_vcpu_kicker callback against kvm_s390_gisa_destroy while ISC 3 is still registered (a driver that never unregistered): the destroy WARNs on alert.mask 0x10 and clears it; 1 adapter interruption, a vcpu taking ISC 3, the GAL handler, sie_page2 freed',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], preRegistered: [3], airqs: 1 },
    bounds: { types: [...ENV, 'free_page_sie_page2'] },
    fine: fine({ driver: false, destroy: true }),
    invariants: [KickerSeesLiveGisa, AlertMaskZeroAtDestroy],
  },
  {
    id: 'kicker-unregister-destroy',
    description: 'fine-grained, 3 threads: the gisa_vcpu_kicker callback, kvm_s390_gisc_unregister of ISC 3, then kvm_s390_gisa_destroy; up to 2 adapter interruptions, a vcpu taking ISC 3, the GAL handler, sie_page2 freed',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], preRegistered: [3], airqs: 2 },
    bounds: { types: [...ENV, 'free_page_sie_page2'] },
    fine: fine({ driver: true, destroy: true }),
    invariants: [KickerSeesLiveGisa, AlertMaskZeroAtDestroy],
  },
  {
    id: 'register-kicker',
    description: 'fine-grained, 2 threads: kvm_s390_gisc_register of ISC 3 (vfio_ap_irq_enable, ISC 3 not registered before) under ref_lock against the gisa_vcpu_kicker callback (its unlocked READ_ONCE of alert.mask and the try_cmpxchg restoring the IAM); the kicker is armed with ISC 3 pending (IAM 0, unlinked), as after an alert of an earlier registration; up to 2 adapter interruptions, a vcpu taking ISC 3, the GAL handler',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], airqs: 2 },
    bounds: { types: ENV },
    fine: aqic({ disable: false }),
    invariants: [RegisteredIscAlerts, NoStaleIamAfterUnregister],
  },
  {
    id: 'register-unregister-kicker',
    description: 'fine-grained, 2 threads: kvm_s390_gisc_register of ISC 3 and then kvm_s390_gisc_unregister of it (vfio_ap_irq_enable, then vfio_ap_irq_disable) on one CPU against the gisa_vcpu_kicker callback, armed as in register-kicker; 1 adapter interruption, a vcpu taking ISC 3, the GAL handler',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], airqs: 1 },
    bounds: { types: ENV },
    fine: aqic({ disable: true }),
    invariants: [RegisteredIscAlerts, NoStaleIamAfterUnregister],
  },
  {
    id: 'register-unregister-gal',
    description: 'fine-grained, 3 threads: the driver registering ISC 3 and then unregistering it, the GAL interruption handler (gib_alert_irq_handler -> process_gib_alert_list: each xchg of the alert list origin, each unlink, each hrtimer_start), and the gisa_vcpu_kicker callback it arms; the GISA starts unlisted with nothing registered, the kicker not armed; up to 2 adapter interruptions (millicode), a vcpu taking ISC 3',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], airqs: 2 },
    bounds: { types: ['GISA_ADAPTER_INTERRUPTION', 'gisa_tac_ipm_gisc'] },
    fine: aqic({ disable: true, gal: true }),
    invariants: [RegisteredIscAlerts, NoStaleIamAfterUnregister, AlertListNotStranded],
  },
  {
    id: 'gal-destroy',
    description: 'fine-grained, 2 threads, 2 callers of process_gib_alert_list: the GAL interruption handler (gib_alert_irq_handler -> process_gib_alert_list, each xchg, unlink and hrtimer_start a step) against kvm_s390_gisa_destroy, whose process_gib_alert_list on -EBUSY is split the same way; the GISA of the one VM is listed and the GAL interruption pending at start (ISC 3 alerted before the driver unregistered it); sie_page2 freed after the destroy; the timer the walks arm does not fire (a kicker armed after hrtimer_cancel is GalWalkSeesLiveGisa\'s business; kicker-unregister-destroy shows the kicker then running on gi->origin NULL)',
    params: { vms: 1, vcpus: 0, queues: 0, iscs: [3], airqs: 0 },
    bounds: { types: ['free_page_sie_page2'] },
    fine: walks({ gal: true, kickers: false }),
    invariants: [GalWalkSeesLiveGisa, AlertListNotStranded, NoGisaUseAfterFree],
  },
  {
    id: 'two-vms-destroy',
    description: 'fine-grained, 2 threads, 2 callers of process_gib_alert_list: two VMs torn down at once, each kvm_s390_gisa_destroy finding its GISA listed (both on one alert list, the GAL interruption not taken yet) and walking the list step by step; sie_page2 of each freed after its destroy; the timers the walks arm do not fire',
    params: { vms: 2, vcpus: 0, queues: 0, iscs: [3], airqs: 0 },
    bounds: { types: ['free_page_sie_page2'] },
    fine: walks({ gal: false, kickers: false }),
    invariants: [GalWalkSeesLiveGisa, AlertListNotStranded, NoGisaUseAfterFree],
  },
  ...pvSwitchConfigurations,
];
