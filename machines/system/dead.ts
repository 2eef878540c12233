// Dead variables of the composed guest (issue 19; `check --dead-variables`, src/check/dead.ts):
// fields no later step, property or observation reads, reset to their initial value so that
// states differing only there are one state. verifyDead proves it per configuration (every
// state and its reset have the same properties and the same reset successors), so a
// configuration where a variant reads them again is refused, not reduced wrongly.
// Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
import type { DeadVariables } from '../../src/spec.ts';
import type { SystemContext } from '../context.ts';

/**
 * A VM whose fd QEMU closed (kvm_main.c kvm_vm_release): the machine lets QEMU close it only
 * once every vcpu is stopped (guard kvm_vm_release_allowed) and start none after (kvm_vm_alive),
 * so its vcpus stay stopped (kvm_s390_vcpu_stop cleared the idle_mask bit: __unset_cpu_idle).
 * Their PSW I/O mask is read only on the way into SIE (vcpu_pre_run's delivery, STOSM in SIE)
 * and by the kicker and millicode for idle or in-SIE vcpus (__airqs_kick_single_vcpu scans
 * idle_mask; gisa_adapter_interruption's taker is in SIE); their kicked_mask bit only by the
 * kicker for idle vcpus and cleared on the way back in (kvm_arch_vcpu_runnable, vcpu_pre_run).
 * Reset: pswIo true, kicked false (the initial values).
 * (Resetting the kicked_mask bit of every vcpu that is not idle, open VM or not, reduces nothing: 1 x 1 x 1,
 * 1 x 2 x 1 and 2 x 1 x 1 reach no state with a kicked vcpu outside idle_mask; scale8, issue 19.)
 */
export const closedVmVcpus: DeadVariables<SystemContext> = {
  note: 'the PSW I/O mask and kicked_mask bit of the vcpus of a VM whose fd is closed (all stopped for good)',
  reset(c: SystemContext): SystemContext {
    let vms: SystemContext['vms'] | undefined;
    for (let i = 0; i < c.vms.length; i++) {
      const k = c.vms[i]!;
      if (k.fd || k.vcpus.every((v) => v.pswIo && !v.kicked)) continue;
      vms ??= c.vms.slice();
      vms[i] = { ...k, vcpus: k.vcpus.map((v) => (v.pswIo && !v.kicked ? v : { ...v, pswIo: true, kicked: false })) };
    }
    return vms ? { ...c, vms } : c;
  },
};
