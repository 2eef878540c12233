// State-dependent footprints of the coarse composed guest's events (issue 19), for the
// partial-order reduction of src/check/por-modal.ts. A coarse event is one kernel function run
// as one step; which VM it reaches depends on the state: a queue's PQAP(AQIC) and its removal
// reach the VM `matrix_mdev->kvm` names (vfio_ap_ops.c vfio_ap_irq_enable ->
// kvm_s390_gisc_register(vcpu->kvm...), vfio_ap_free_aqic_resources -> kvm_s390_gisc_unregister(
// q->matrix_mdev->kvm...)), the AP's interruption the GISA it was given (aqic_gisa.gisa:
// `q->hwGisa`), the close the VM it holds (vfio_ap_mdev_unset_kvm: kvm_put_kvm(matrix_mdev->kvm)),
// the GAL handler and process_gib_alert_list every GISA on the alert list (interrupt.c:
// `while ((gisa = gisa_get_next_alert(gib...)))`). So each event has modes, decided by the
// fields its `mode` function reads (those fields are among the reads of every mode's
// footprint), and per mode a footprint that holds in every state where the event is in that
// mode: the objects its guards and kernel functions read and write there. An event in one mode
// is, for the reduction, a transition of its own (its guard: the mode); por-modal.ts explains why
// that makes the stubborn sets sound. test/check/por-modal.test.ts checks every declaration with
// the recording proxy of the footprint verification (src/check/footprint.ts) on every state of
// the small configurations.
//
// Paths: context paths, and the machine's regions as ['@', region, ...] ('@', 'vm0', 'vcpu1').
// The footprints are per object (a VM's GISA word and struct kvm_s390_gisa_interrupt, one vcpu,
// one queue, the mdev, the GIB): the measurement in machines/system/README.md found the
// independence between objects, not within one.
import type { EventObject } from 'xstate';
import type { Path, StateFootprints } from '../../src/spec.ts';
import type { Params, SystemContext } from '../context.ts';
import type { Design } from '../design.ts';

/** An event of the coarse system model (payload fields as machines/system/events.ts enumerates them). */
export interface CoarseEvent {
  type: string;
  vm?: number;
  vcpu?: number;
  q?: number;
  isc?: number;
}

export interface ModalFootprint {
  reads: Path[];
  writes: Path[];
  /** What decides whether the event is enabled in this mode (its guards, its source regions); default: its reads. */
  enables?: Path[];
}

/** Per event type: how many modes, which one a state is in, and the footprint of each. */
export interface ModalDeclaration {
  /** Number of modes (default 1). */
  modes?: (p: Params) => number;
  /** The event's mode in context `c` (default 0); what it reads must be among the mode's footprint reads. */
  mode?: (c: SystemContext, e: CoarseEvent) => number;
  /** What `mode` reads. */
  decides?: (e: CoarseEvent) => Path[];
  footprint: (e: CoarseEvent, mode: number, p: Params, d: Design) => ModalFootprint;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The GIB: its alert list, origin, pending GAL interruption, and its region. */
const GIB: Path[] = [['gib'], ['@', 'gib']];
/** struct kvm of VM vm (users_count, the fd, freed) and its region. */
const KVM_USERS = (vm: number): Path[] => [['vms', vm, 'users'], ['vms', vm, 'freed'], ['@', `vm${vm}`, 'kvm']];
const KVM = (vm: number): Path[] => [['vms', vm, 'users'], ['vms', vm, 'fd'], ['vms', vm, 'freed'], ['@', `vm${vm}`, 'kvm']];
/** VM vm's GISA word and struct kvm_s390_gisa_interrupt (protected-virtualization state with it), its faults, its region. */
const KVM_REGION = (vm: number): Path => ['@', `vm${vm}`, 'kvm'];
const GISA = (vm: number): Path[] => [['vms', vm, 'gisa'], ['vms', vm, 'pv'], ['vms', vm, 'faults'], ['@', `vm${vm}`, 'gisa']];
const VCPU = (vm: number, vcpu: number): Path[] => [['vms', vm, 'vcpus', vcpu], ['@', `vm${vm}`, `vcpu${vcpu}`]];
const VCPUS = (vm: number, p: Params): Path[] => range(p.vcpus).flatMap((k) => VCPU(vm, k));
const MDEV: Path[] = [['mdev'], ['@', 'matrix_mdev']];
const QUEUE = (q: number): Path[] => [['queues', q], ['@', `q${q}`]];
const QUEUES = (p: Params): Path[] => range(p.queues).flatMap(QUEUE);
/** What never changes: the configuration, the number of VMs, vcpus and queues. */
const FIXED: Path[] = [['params'], ['vms', 'length'], ['queues', 'length'], ['vms', '*', 'vcpus', 'length']];

/** A whole VM as a vcpu's or its own steps see it: struct kvm, the GISA, every vcpu. */
const VM = (vm: number, p: Params): Path[] => [...KVM(vm), ...GISA(vm), ...VCPUS(vm, p)];
/**
 * The VMs of alert-list bit mask `list`, each as process_gib_alert_list reaches it: its GISA
 * (upstream: hrtimer_start of the kicker), and with the GIB series' strategies v2..v5 its vcpus
 * (kicked from the loop: __find_vcpu_for_floating_irq, __floating_airqs_kick).
 */
const LISTED = (list: number, p: Params, d: Design): Path[] => range(p.vms).filter((vm) => list & (1 << vm)).flatMap((vm) => (d.gib === 'upstream' ? GISA(vm) : VM(vm, p)));

const same = (paths: Path[]): ModalFootprint => ({ reads: [...FIXED, ...paths], writes: paths });

/** Modes over the alert list: bit v set, VM v's GISA is listed (gib->alert_list_origin ... next_alert). */
const byList = { modes: (p: Params) => 1 << p.vms, mode: (c: SystemContext) => c.gib.list, decides: () => [['gib', 'list']] };
/** What vfio_ap reaches of a VM through matrix_mdev->kvm: struct kvm (kvm_put_kvm, freed), the GISA (kvm_s390_gisc_register/unregister). */
const AP_VM = (vm: number): Path[] => [...KVM_USERS(vm), ...GISA(vm)];
/**
 * Modes over matrix_mdev->kvm and the VM whose kvm->arch.crypto.pqap_hook the mdev installed
 * (`mdev.hook`; priv.c handle_pqap runs on a vcpu of that VM): (kvm + 1) * (vms + 1) + hook + 1.
 */
const byMdev = {
  modes: (p: Params) => (p.vms + 1) * (p.vms + 1),
  mode: (c: SystemContext) => (c.mdev.kvm + 1) * (c.params.vms + 1) + c.mdev.hook + 1,
  decides: () => [['mdev', 'kvm'], ['mdev', 'hook'], ['params', 'vms']],
};
/** The VM matrix_mdev->kvm names in mode `mode` of byMdev (none: []). */
const mdevKvm = (mode: number, p: Params): Path[] => {
  const kvm = Math.floor(mode / (p.vms + 1)) - 1;
  return kvm >= 0 ? AP_VM(kvm) : [];
};
/** The VM whose pqap_hook is installed in mode `mode` of byMdev (none: []). */
const mdevHook = (mode: number, p: Params): Path[] => {
  const hook = (mode % (p.vms + 1)) - 1;
  return hook >= 0 ? [['vms', hook, 'freed'], ...VCPUS(hook, p)] : [];
};
/** gi->origin of the VM whose pqap_hook is installed in mode `mode` of byMdev: its vcpus' ECA_AIV (vfio_ap handle_pqap, eca_aiv). */
const hookOrigin = (mode: number, p: Params): Path[] => {
  const hook = (mode % (p.vms + 1)) - 1;
  return hook >= 0 ? [['vms', hook, 'gisa', 'origin']] : [];
};
/** The faults of the VM whose pqap_hook is installed in mode `mode` of byMdev. */
const hookFaults = (mode: number, p: Params): Path[] => {
  const hook = (mode % (p.vms + 1)) - 1;
  return hook >= 0 ? [['vms', hook, 'faults']] : [];
};
/** Reads `reads` (and what it writes), writes `writes`. */
const rw = (reads: Path[], writes: Path[]): ModalFootprint => ({ reads: [...FIXED, ...reads, ...writes], writes });

/** A VM's own step (its GISA, struct kvm, vcpus kicked), the GIB it may enqueue into. */
const vmStep: ModalDeclaration = { footprint: (e, _m, p) => same([...VM(e.vm!, p), ...GIB]) };
/** A VM's step that may call process_gib_alert_list: every listed VM too. */
const vmStepWithList: ModalDeclaration = { ...byList, footprint: (e, m, p, d) => same([...VM(e.vm!, p), ...GIB, ...LISTED(m, p, d), ...MDEV]) };
/** The PV switch (kvm_s390_handle_pv): a VM's step that may call process_gib_alert_list, its environment guard reading the queues. */
const pvSwitch: ModalDeclaration = {
  ...byList,
  footprint: (e, m, p, d) => {
    const f = vmStepWithList.footprint(e, m, p, d);
    return { ...f, reads: [...f.reads, ...QUEUES(p)] };
  },
};
/** Fields of VM vm's GISA word and struct kvm_s390_gisa_interrupt. */
const G = (vm: number, ...fields: string[]): Path[] => fields.map((f) => ['vms', vm, 'gisa', f]);
/** VM vm's GISA as a whole (fields, faults, protected-virtualization state, region). */
const GISA_ALL = GISA;
/** Footprint of a vcpu's own step: reads `reads` of its VM besides its own vcpu and writes `writes` besides it. */
const vcpuOwn = (reads: (vm: number) => Path[], writes: (vm: number) => Path[] = () => [], enables: (vm: number) => Path[] = () => []): ModalDeclaration => ({
  footprint: (e) => ({ ...rw([...reads(e.vm!), ['vms', e.vm!, 'fd']], [...VCPU(e.vm!, e.vcpu!), ...writes(e.vm!)]), enables: [...FIXED, ...VCPU(e.vm!, e.vcpu!), ...enables(e.vm!)] }),
});
/** The GISA fields a vcpu's delivery and wait read: the IPM, IAM, alert mask, origin (interrupt.c kvm_s390_vcpu_has_irq, gisa_get_ipm_or_restore_iam). */
const GISA_READ = (vm: number): Path[] => [...G(vm, 'ipm', 'iam', 'mask', 'origin', 'freed'), ['@', `vm${vm}`, 'gisa']];
/** kvm->arch.float_int.lists[] of the classic I/O interruptions (configurations with Params.classicIo; issue 12). */
const FIO = (vm: number): Path => ['vms', vm, 'fio'];

export const COARSE_FOOTPRINTS: Record<string, ModalDeclaration> = {
  // interrupt.c gib_alert_irq_handler / process_gib_alert_list: the GIB and every listed GISA (unlink, kicker or kicks)
  gib_alert_irq_handler: { ...byList, footprint: (_e, m, p, d) => same([...GIB, ...LISTED(m, p, d)]) },
  process_gib_alert_list: { ...byList, footprint: (_e, m, p, d) => same([...GIB, ...LISTED(m, p, d)]) },
  // interrupt.c gisa_vcpu_kicker: its VM's GISA and vcpus (__airqs_kick_single_vcpu), the alert list (gisa_get_ipm_or_restore_iam)
  gisa_vcpu_kicker: { footprint: (e, _m, p) => ({ ...rw(GIB, [...GISA_ALL(e.vm!), ...VCPUS(e.vm!, p)]), enables: [...FIXED, ...G(e.vm!, 'timer'), ['@', `vm${e.vm!}`, 'gisa']] }) },
  // millicode's adapter interruption, kvm_s390_inject_vm: IPM, alert (GIB), kick; airqs is the bound of the environment
  GISA_ADAPTER_INTERRUPTION: { footprint: (e, _m, p) => same([...VM(e.vm!, p), ...GIB, ['airqs']]) },
  kvm_s390_inject_vm: vmStep,
  // zPCI forwarding (aen_host_forward): the IPM, the kicker, a vcpu in SIE that takes it; airqs is the bound of the environment
  aen_process_gait: { footprint: (e, _m, p) => same([...VM(e.vm!, p), ...GIB, ['airqs']]) },
  kvm_s390_gisc_register: vmStep,
  kvm_s390_gisc_unregister: vmStep,
  // KVM_DEV_FLIC_CLEAR_IRQS -> kvm_s390_gisa_clear: the IPM
  kvm_s390_gisa_clear: { footprint: (e) => rw([...GISA_ALL(e.vm!), ...KVM(e.vm!)], G(e.vm!, 'ipm')) },
  KVM_DEV_FLIC_GET_ALL_IRQS: vmStep,
  // kvm_s390_handle_pv: as vmStepWithList; QEMU's order (params.pvResetFirst, subsystem_reset_first) reads every queue's AQIC resources
  KVM_PV_ENABLE: pvSwitch,
  KVM_PV_DISABLE: pvSwitch,
  // kvm_arch_destroy_vm's steps: kvm_s390_gisa_destroy (v6.6+: process_gib_alert_list when listed), free_page(sie_page2)
  // (each moves struct kvm's region on to the next step of kvm_destroy_vm)
  kvm_s390_gisa_destroy: {
    ...byList,
    footprint: (e, m, p, d) => ({
      ...(m & (1 << e.vm!) ? rw([...KVM(e.vm!), ...VCPUS(e.vm!, p)], [...GISA_ALL(e.vm!), ...GIB, ...LISTED(m, p, d), KVM_REGION(e.vm!)]) : rw([...KVM(e.vm!), ...VCPUS(e.vm!, p), ...GIB], [...GISA_ALL(e.vm!), KVM_REGION(e.vm!)])),
      // v5.2: kvm_s390_gisa_destroy waits while gisa_in_alert_list()
      enables: [...FIXED, KVM_REGION(e.vm!), ['@', `vm${e.vm!}`, 'gisa'], ['gib', 'list']],
    }),
  },
  free_page_sie_page2: { footprint: (e, _m, p) => ({ ...rw([...KVM(e.vm!), ...VCPUS(e.vm!, p)], [...GISA_ALL(e.vm!), KVM_REGION(e.vm!)]), enables: [...FIXED, KVM_REGION(e.vm!), ['@', `vm${e.vm!}`, 'gisa']] }) },
  // kvm_main.c kvm_vm_release -> kvm_put_kvm (-> kvm_destroy_vm) once every vcpu is stopped; kvm_destroy_devices (v4/v5.3: vfio_ap's group notifier)
  kvm_vm_release: { footprint: (e, _m, p) => rw(VCPUS(e.vm!, p), KVM(e.vm!)) },
  kvm_destroy_devices: { footprint: (e, _m, p) => ({ ...rw([...VCPUS(e.vm!, p), ...GISA_ALL(e.vm!)], [...KVM(e.vm!), ...MDEV]), enables: [...FIXED, KVM_REGION(e.vm!), ...MDEV] }) },
  kvm_get_kvm: vmStep,
  kvm_put_kvm: vmStep,
  // the vcpu's run loop (kvm-s390.c, interrupt.c): its own vcpu, what it reads of the GISA
  kvm_s390_vcpu_start: vcpuOwn(() => [], () => [], (vm) => [['vms', vm, 'fd']]),
  // (issue 12, tpi-window: kvm_s390_vcpu_has_irq and __deliver_io also see the classic lists, fi->lists[] as `fio`)
  kvm_s390_vcpu_stop: vcpuOwn((vm) => [...G(vm, 'ipm', 'origin'), FIO(vm)]),
  vcpu_pre_run: vcpuOwn((vm) => [...G(vm, 'ipm', 'origin'), FIO(vm)], (vm) => [...G(vm, 'ipm'), FIO(vm)]),
  vcpu_post_run: vcpuOwn(() => []),
  ICPT_PV_INSTR: vcpuOwn(() => []),
  // kvm_s390_handle_wait -> gisa_get_ipm_or_restore_iam: gisa_set_iam (refused while listed: the GIB)
  kvm_s390_handle_wait: vcpuOwn((vm) => [...G(vm, 'ipm', 'mask', 'origin'), ...GIB, FIO(vm)], (vm) => G(vm, 'iam')),
  TPI: vcpuOwn(GISA_READ, (vm) => G(vm, 'ipm')),
  STOSM_IO: vcpuOwn(GISA_READ, (vm) => G(vm, 'ipm')),
  // the guest's STNSM: its own PSW only; LCTL_CR6 presents what the new CR6 enables (__deliver_io); the initial reset: its own PSW and CR6
  STNSM_IO: vcpuOwn(() => []),
  LCTL_CR6: vcpuOwn(GISA_READ, (vm) => G(vm, 'ipm')),
  KVM_S390_INITIAL_RESET: vcpuOwn(() => []),
  kvm_vcpu_check_block: vcpuOwn((vm) => [...G(vm, 'ipm', 'origin'), FIO(vm)]),
  kicked_mask_clear: vcpuOwn(GISA_READ),
  // vfio_ap_ops.c: the mdev's open (set_kvm: kvm_get_kvm of the VM QEMU opens it for)
  vfio_ap_mdev_open_device: { footprint: (e) => ({ ...rw([['vms', e.vm!, 'fd'], ['vms', e.vm!, 'freed']], [...MDEV, ['vms', e.vm!, 'users']]), enables: [...FIXED, ['@', 'matrix_mdev'], ['vms', e.vm!, 'fd']] }) },
  // vfio_ap_mdev_unset_kvm: every queue reset (vfio_ap_mdev_reset_queues), kvm_put_kvm(matrix_mdev->kvm)
  // (kvm_s390_gisc_unregister: gisa_set_iam tests gisa_in_alert_list, the GIB)
  // (v4: the hook written through a NULL or freed matrix_mdev->kvm: a fault of the hook's VM)
  vfio_ap_mdev_close_device: { ...byMdev, footprint: (_e, m, p) => ({ ...rw(GIB, [...MDEV, ...QUEUES(p), ...mdevKvm(m, p), ...hookFaults(m, p)]), enables: [...FIXED, ...MDEV, ...QUEUES(p)] }) },
  flush_work: { ...byMdev, footprint: (_e, m, p) => rw(GIB, [...MDEV, ...QUEUES(p), ...mdevKvm(m, p), ...hookFaults(m, p)]) },
  // sysfs assign_adapter_store / assign_domain_store: only while no guest uses the mdev (its hook's struct kvm freed or none)
  assign_adapter_store: { ...byMdev, footprint: (e, m, p) => rw([...MDEV, ...mdevHook(m, p)], QUEUE(e.q!)) },
  assign_domain_store: { ...byMdev, footprint: (e, m, p) => rw([...MDEV, ...mdevHook(m, p)], QUEUE(e.q!)) },
  // handle_pqap -> vfio_ap_irq_enable / vfio_ap_irq_disable: issued on a vcpu in SIE of the hook's VM (with ECA_AIV: its GISA enabled), the GISC
  // (un)registered through matrix_mdev->kvm
  PQAP_AQIC: { ...byMdev, footprint: (e, m, p) => rw([...MDEV, ...mdevHook(m, p), ...hookOrigin(m, p), ...GIB], [...QUEUE(e.q!), ...mdevKvm(m, p)]) },
  vfio_ap_mdev_remove_queue: { ...byMdev, footprint: (e, m, p) => rw([...MDEV, ...mdevHook(m, p), ...GIB], [...QUEUE(e.q!), ...mdevKvm(m, p)]) },
  apq_reset_check: { ...byMdev, footprint: (e, m, p) => rw([...MDEV, ...mdevHook(m, p), ...GIB], [...QUEUE(e.q!), ...mdevKvm(m, p)]) },
  // the machine's PQAP(ZAPQ) on a vcpu of the hook's VM: interruptions off
  PQAP_ZAPQ: { ...byMdev, footprint: (e, m, p) => rw([...MDEV, ...mdevHook(m, p)], QUEUE(e.q!)) },
  // the AP completing a reset the guest's PQAP(ZAPQ) started (guestReset): the queue's hwReset only
  AP_RESET_COMPLETE: { footprint: (e) => same(QUEUE(e.q!)) },
  // the AP's interruption: the NIB, then the GISA it was given (aqic_gisa.gisa, q->hwGisa): IPM, alert, kicks
  AP_ADAPTER_INTERRUPTION: {
    modes: (p) => p.vms + 1,
    mode: (c, e) => c.queues[e.q!]!.hwGisa + 1,
    decides: (e) => [['queues', e.q!, 'hwGisa']],
    footprint: (e, m, p) => same([...QUEUE(e.q!), ...(m > 0 ? [...VM(m - 1, p), ...GIB] : [])]),
  },
};

/** The state-dependent footprints of a coarse configuration with parameters `p` (Model.stateFootprints). */
export function coarseFootprints(p: Params, d: Design): StateFootprints<SystemContext> {
  const decl = (e: EventObject): ModalDeclaration => {
    const d = COARSE_FOOTPRINTS[e.type];
    if (!d) throw new Error(`no state-dependent footprint declared for event ${e.type} (machines/system/system.footprints.ts)`);
    return d;
  };
  return {
    modes: (e) => decl(e).modes?.(p) ?? 1,
    mode: (c, e) => decl(e).mode?.(c, e as CoarseEvent) ?? 0,
    decides: (e) => decl(e).decides?.(e as CoarseEvent) ?? [],
    footprint: (e, m) => decl(e).footprint(e as CoarseEvent, m, p, d),
  };
}
