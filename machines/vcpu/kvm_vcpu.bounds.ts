// Configuration of the vcpu machine: one vcpu, guest ISC 3 registered, interruptions from outside.
import { iscBit } from '../context.ts';
import type { CoreConfiguration } from '../system/spec.ts';
import { PvNoInjectionOnContinuation } from './kvm_vcpu.invariants.ts';

const VCPU = [
  'kvm_s390_vcpu_start', 'kvm_s390_vcpu_stop', 'vcpu_pre_run', 'vcpu_post_run', 'kvm_s390_handle_wait', 'STOSM_IO',
  'kvm_s390_vcpu_wakeup', 'kvm_vcpu_check_block', 'GISA_ADAPTER_INTERRUPTION',
];

export const vcpuConfigurations: CoreConfiguration[] = [
  {
    id: 'one-vcpu',
    description: '1 vcpu with CR6 open for ISC 3, registered by a driver; adapter interruptions and wakeups come from outside',
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [3], preRegistered: [3] },
    bounds: {
      types: [
        'kvm_s390_vcpu_start', 'kvm_s390_vcpu_stop', 'vcpu_pre_run', 'vcpu_post_run', 'kvm_s390_handle_wait', 'STOSM_IO',
        'kvm_s390_vcpu_wakeup', 'kvm_vcpu_check_block', 'GISA_ADAPTER_INTERRUPTION',
      ],
    },
  },
  {
    // issue 14: with one ISC any scan finds it; ISC 0 and ISC 7 are the ends of the priority scan (get_top_gisa_isc,
    // __deliver_io's deliverable_irqs order), so a scan that starts one late, stops one early or takes the wrong end shows
    id: 'two-iscs',
    description: '1 vcpu with CR6 open for ISC 0 and ISC 7, both registered; adapter interruptions on either, the guest\'s TPI (priv.c handle_tpi -> kvm_s390_get_io_int: the highest-priority ISC first)',
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [0, 7], preRegistered: [0, 7] },
    bounds: { types: [...VCPU, 'TPI'] },
  },
  {
    // issue 12: the guest's own I/O enablement as state: STNSM, LCTL(G) of CR6 (closed, open for ISC 3), and QEMU's initial reset
    id: 'guest-masks',
    description: '1 vcpu, ISC 3 registered; the guest disables I/O in its PSW (STNSM) and loads CR6 closed or open for ISC 3 (LCTL: SIE, or priv.c kvm_s390_handle_lctl), userspace resets the stopped vcpu (kvm_arch_vcpu_ioctl_initial_reset: PSW and CR6 0); adapter interruptions and the guest\'s TPI',
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [3], preRegistered: [3], guestMasks: [0, iscBit(3)] },
    bounds: { types: [...VCPU, 'TPI', 'STNSM_IO', 'LCTL_CR6', 'KVM_S390_INITIAL_RESET'] },
  },
  {
    // issue 12: __do_deliver_io failing on a guest lowcore that is not accessible (premise: the prefix pages lost their backing
    // after the guest set its prefix: the VMM unmapped or removed that memory); ISC 0 and ISC 7 so that a lost ISC and the one
    // left pending differ
    id: 'lowcore-fault',
    description: '1 vcpu with CR6 open for ISC 0 and ISC 7, both registered; vcpu_pre_run delivers or finds the guest lowcore not accessible (outcome lowcore-fault: __deliver_io test-and-cleared the IPM bit, __do_deliver_io fails, -EFAULT before clear_bit(kicked_mask), KVM_RUN ends and userspace may run the vcpu again)',
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [0, 7], preRegistered: [0, 7] },
    bounds: { types: VCPU, lowcoreFault: true },
  },
  {
    // issue 12: delivery to a protected vcpu through the ultravisor (iictl, one at a time) and the PSW fence of PV intercepts
    id: 'pv-delivery',
    // ISC 0 and ISC 7: the ends of the priority scan, and ISC 0's injection is iictl's lowest value (a test for NONE that is off by one shows)
    description: '1 protected (PV) vcpu of a VM whose ultravisor has AIV (the GISA in use), CR6 open for ISC 0 and ISC 7, both registered; adapter interruptions on either; the guest\'s PV instruction intercepts (ICPT_PV_INSTR / ICPT_PV_PREF: KVM\'s PSW copy fenced until the next exit, the next entry a continuation); KVM injects through sie_block->iictl, the ultravisor presents at entry',
    params: { vms: 1, vcpus: 1, queues: 0, iscs: [0, 7], preRegistered: [0, 7], pvVcpus: true },
    bounds: { types: [...VCPU, 'ICPT_PV_INSTR'] },
    invariants: [PvNoInjectionOnContinuation],
  },
];
