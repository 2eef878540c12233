// Safety predicates of the vcpu run loop.
import { deliverableIpm } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import { byte, inv, region, top } from '../invariant-lib.ts';

export const VcpuTypeOK = inv(
  'VcpuTypeOK',
  'CPUSTAT_STOPPED, PROG_IN_SIE and the idle_mask bit match where the vcpu thread is (is_vcpu_stopped, __set_cpu_idle)',
  ({ value, context }) =>
    context.vms.every((k, vm) =>
      k.vcpus.every((v, i) => {
        const st = top(region(value, `vm${vm}`, `vcpu${i}`));
        if (st === undefined) return byte(v.cr6);
        return byte(v.cr6) && v.stopped === (st === 'stopped') && v.inSie === (st === 'in_sie') && v.idle === (st === 'idle');
      }),
    ),
  // the vcpu regions of VM 0 (the reduced configurations have one VM; the footprint verification flags one with more)
  { context: [['vms', '*', 'vcpus'], ['vms', 'length']], value: [['vm0']] },
);

export const SieDeliversAtOnce = inv(
  'SieDeliversAtOnce',
  'SIE with ECA_AIV: a GISA interruption the PSW and CR6 allow is presented to a vcpu in SIE at once, so none stays pending for it',
  ({ context }) => context.vms.every((k, vm) => k.vcpus.every((v) => !v.inSie || deliverableIpm(context, vm, v) === 0)),
  { context: [['vms', '*', 'vcpus'], ['vms', '*', 'gisa'], ['vms', 'length'], ['params']] },
);

export const KickedOnlyIdle = inv(
  'KickedOnlyIdle',
  'interrupt.c __airqs_kick_single_vcpu sets kicked_mask only for idle vcpus; kvm_arch_vcpu_runnable and vcpu_pre_run clear it',
  ({ context }) => context.vms.every((k) => k.vcpus.every((v) => !v.kicked || v.idle)),
  { context: [['vms', '*', 'vcpus'], ['vms', 'length']] },
);

export const vcpuInvariants = [VcpuTypeOK, SieDeliversAtOnce, KickedOnlyIdle];
