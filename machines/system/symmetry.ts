// Interchangeable objects of a core configuration, for the checker's symmetry reduction: the
// vcpus of one VM with the same CR6 mask, and the AP queues (the mdev treats every APQN alike).
// Whether each group is exact (an automorphism of the machine) is asserted by
// test/check/symmetry.test.ts with verifySymmetry on small configurations.
// Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2), where __airqs_kick_single_vcpu scans idle_mask in order.
import type { SymmetryGroup } from '../../src/spec.ts';
import { cr6Of, type Params } from '../context.ts';
import { range } from '../lib.ts';
import type { Parts } from './system.machine.ts';

/**
 * Not exact: where several vcpus qualify, the lowest vcpu_idx wins. __airqs_kick_single_vcpu
 * (and the GIB v2..v5 kick functions) scan idle_mask in vcpu_idx order and stop at the first
 * idle vcpu open for the IPM (a kicked one that has not run yet ends the scan); and the model
 * lets the first vcpu in SIE open for the ISC take a GISA interruption (gisa_adapter_interruption).
 * Not even up to orbits (the successors of a state and of its swap fall into the same orbits), which
 * would be enough for a sound quotient: upstream-fixed 1 VM x 2 vcpus x 1 queue reaches vcpu0 idle and
 * kicked (woken, not run yet) beside vcpu1 idle and not kicked; the kicker wakes nobody there (vcpu0's
 * bit ends the scan) but wakes the idle vcpu in the swapped state (measured by scale8, issue 19).
 */
export const VCPU_ORDER_NOTE = 'the lowest vcpu_idx wins where several vcpus qualify: the idle_mask scan of __airqs_kick_single_vcpu, the vcpu in SIE that takes a GISA interruption';

export function symmetryGroups(machineId: string, parts: Parts, params: Params): SymmetryGroup[] {
  const groups: SymmetryGroup[] = [];
  if (parts.vcpus) {
    for (const vm of range(params.vms)) {
      // vcpus with the same CR6 are alike; each class of two or more is a group (vcpu_id is not looked at: v6.17-rc4 reads it in
      // no modelled path, and a variant that does, idle-mask-vcpu_id-v5.14, is one more reason the group is not exact)
      const classes = new Map<number, number[]>();
      for (const k of range(params.vcpus)) classes.set(cr6Of(params, k), [...(classes.get(cr6Of(params, k)) ?? []), k]);
      for (const [cr6, ks] of classes) {
        if (ks.length < 2) continue;
        groups.push({
          name: `vcpus ${ks.join(',')} of vm${vm}` + (classes.size > 1 ? ` (CR6 ${cr6})` : ''),
          members: ks.map((k) => ({ region: `${machineId}.vm${vm}.vcpu${k}`, index: k })),
          array: ['vms', vm, 'vcpus'],
          field: 'vcpu',
          where: { vm },
          exact: false,
          note: VCPU_ORDER_NOTE,
        });
      }
    }
  }
  if ((parts.kvm || parts.gisa || parts.vcpus) && params.vms > 1) {
    groups.push({
      name: `vms ${range(params.vms).join(',')}`,
      members: range(params.vms).map((vm) => ({ region: `${machineId}.vm${vm}`, index: vm })),
      array: ['vms'],
      field: 'vm',
      exact: true,
      // every other place a VM is named by its index: its GISA's bit in the GIB alert list, the
      // mdev's KVM pointer and PQAP hook, the GISA origin each queue's AP was given (aqic_gisa.gisa)
      refs: [
        { path: ['gib', 'list'], kind: 'mask' },
        { path: ['mdev', 'kvm'], kind: 'index' },
        { path: ['mdev', 'hook'], kind: 'index' },
        { path: ['queues', '*', 'hwGisa'], kind: 'index' },
      ],
    });
  }
  if (parts.queues && params.queues > 1) {
    groups.push({
      name: `queues ${range(params.queues).join(',')}`,
      members: range(params.queues).map((q) => ({ region: `${machineId}.q${q}`, index: q })),
      array: ['queues'],
      field: 'q',
      exact: true,
    });
  }
  return groups;
}
