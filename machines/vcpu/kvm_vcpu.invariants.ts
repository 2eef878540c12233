// Safety predicates of the vcpu run loop.
import { VcpuThreadStepPostcondition } from '../gisa/kvm_s390_gisa_interrupt.stepghost.ts';
import type { StateValue } from 'xstate';
import type { Path } from '../../src/spec.ts';
import type { SystemContext } from '../context.ts';
import { deliverableIpm } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import { VcpuStepPostcondition } from '../gisa/kvm_s390_gisa_interrupt.invariants.ts';
import { byte, inv, region, top } from '../invariant-lib.ts';
import { asleepInThread, VCPU_PC } from './kvm_vcpu.threads.ts';

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
  // the vcpu regions of VM 0 (the fine-grained configurations have one VM; the footprint verification flags one with more)
  { context: [['vms', '*', 'vcpus'], ['vms', 'length']], value: [['vm0']] },
);

export const SieDeliversAtOnce = inv(
  'SieDeliversAtOnce',
  'SIE with ECA_AIV: a GISA interruption the PSW and CR6 allow is presented to a vcpu in SIE at once, so none stays pending for it',
  ({ context }) => context.vms.every((k, vm) => k.vcpus.every((v) => !v.inSie || deliverableIpm(context, vm, v) === 0)),
  { context: [['vms', '*', 'vcpus'], ['vms', '*', 'gisa'], ['vms', 'length'], ['params']] },
);

export const PvNoInjectionOnContinuation = inv(
  'PvNoInjectionOnContinuation',
  'kvm-s390.c __vcpu_run (v6.17-rc4, 2020 "KVM: s390: protvirt: Mask PSW interrupt bits for interception 104 and 112"): "We\'re not allowed to inject interrupts on intercepts that leave the guest state in an in-between state where the next SIE entry will do a continuation. Fence interrupts in our internal PSW." A PV vcpu\'s SIE run that continues an ICPT_PV_INSTR or ICPT_PV_PREF intercept carries no interruption KVM injected (sie_block->iictl IICTL_CODE_NONE)',
  ({ context }) => context.vms.every((k) => k.vcpus.every((v) => !v.inSie || !v.cont || (v.iictl ?? -1) < 0)),
  { context: [['vms', '*', 'vcpus'], ['vms', 'length']] },
);

/**
 * The vcpu is asleep in kvm_vcpu_block: in the coarse machine its region is idle.halted; a vcpu
 * that a thread runs (fine-grained configurations) is asleep when the thread is in schedule()
 * with TASK_INTERRUPTIBLE still set.
 */
function asleep(value: StateValue, c: SystemContext, vm: number, vcpu: number): boolean {
  const st = region(value, `vm${vm}`, `vcpu${vcpu}`);
  if (st !== undefined) return top(st) === 'idle' && region(st, 'idle') === 'halted';
  return asleepInThread(value, c, vm, vcpu);
}

const KICKED_NOT_ASLEEP_CITE =
  'interrupt.c __airqs_kick_single_vcpu sets a vcpu\'s kicked_mask bit ("lately kicked but not yet running") together with its wake-up, and kvm-s390.c kvm_arch_vcpu_runnable clears it before every kvm_vcpu_check_block (e7d787a9060d/9b57e9d5010b "KVM: s390: clear kicked_mask before sleeping again"): a vcpu asleep in kvm_vcpu_block never has the bit set, else the kicker would skip it for good. The bit may be stale on a vcpu that is not idle (the kicker reads idle_mask, then test-and-sets the bit: the vcpu can leave the wait in between); kvm_arch_vcpu_runnable and vcpu_pre_run clear it again';

/**
 * What the kernel guarantees about kicked_mask (GAPS-core "wrong" a: the former KickedOnlyIdle,
 * "kicked only while idle", is not a kernel invariant: the bit can be set on a vcpu that left
 * the wait between the kicker's read of idle_mask and its test_and_set_bit).
 * `threads`: in a fine-grained configuration, the vcpu threads (their program counters are read).
 */
export function kickedNotAsleep(threads: readonly { vm: number; vcpu: number; name: string }[] = []) {
  const vcpu: Path[] = [['vms', '*', 'vcpus', '*', 'kicked'], ['vms', '*', 'vcpus', '*', 'interruptible'], ['vms', 'length'], ['vms', '*', 'vcpus', 'length']];
  return inv(
    'KickedNotAsleep',
    KICKED_NOT_ASLEEP_CITE,
    ({ value, context }) => context.vms.every((k, vm) => k.vcpus.every((v, i) => !v.kicked || !asleep(value, context, vm, i))),
    // per configuration: each vcpu's region (vm<i>.vcpu<j>, where the configuration has one) and the vcpu threads' program counters
    ({ context }) => ({ context: vcpu, value: [...context.vms.flatMap((k, vm) => k.vcpus.map((_, i) => [`vm${vm}`, `vcpu${i}`])), ...threads.map((t) => [t.name])] }),
  );
}

export const KickedNotAsleep = kickedNotAsleep();

/**
 * No wake-up lost between the check and the sleep, in a fine-grained configuration: a vcpu
 * asleep in kvm_vcpu_block whose wait PSW and CR6 would take a pending GISA interruption on a
 * registered ISC has a wake-up on its way: its GISA is in the alert list or a GAL interruption
 * is pending (the handler arms the kicker), or the kicker is armed and the vcpu's kicked_mask
 * bit is clear (the kicker will pick it), or the kicker is running.
 */
export function noLostWakeupAtSleep(threads: readonly { vm: number; vcpu: number; name: string }[], kickers: readonly { vm: number; name: string }[]) {
  return inv(
    'NoLostWakeupAtSleep',
    'kvm_main.c kvm_vcpu_block: set_current_state(TASK_INTERRUPTIBLE) comes before kvm_vcpu_check_block, so a wake-up after the check makes schedule() return; interrupt.c: an interruption made pending while the vcpus wait alerts (IAM restored by kvm_s390_handle_wait/gisa_vcpu_kicker), the GAL handler arms gisa_vcpu_kicker, which re-arms until the IPM is clean and kicks an idle vcpu open for it unless its kicked_mask bit says it was kicked already (GIB series, Michael Mueller; 9b57e9d5010b)',
    ({ value, context }) =>
      threads.every(({ vm, vcpu, name }) => {
        const k = context.vms[vm]!;
        const v = k.vcpus[vcpu]!;
        if ((value as Record<string, unknown>)[name] !== VCPU_PC.schedule || !v.interruptible) return true;
        if (!k.gisa.origin || (k.gisa.ipm & k.gisa.mask & v.cr6) === 0) return true;
        const kicker = kickers.find((t) => t.vm === vm);
        const kickerRunning = !!kicker && (value as Record<string, unknown>)[kicker.name] !== 'idle';
        return (context.gib.list & (1 << vm)) !== 0 || context.gib.galPending || (k.gisa.timer && !v.kicked) || kickerRunning;
      }),
    {
      context: [
        ['vms', '*', 'vcpus', '*', 'interruptible'], ['vms', '*', 'vcpus', '*', 'kicked'], ['vms', '*', 'vcpus', '*', 'cr6'],
        ['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'ipm'], ['vms', '*', 'gisa', 'mask'], ['vms', '*', 'gisa', 'timer'], ['gib', 'list'], ['gib', 'galPending'],
      ],
      value: [...threads.map((t) => [t.name]), ...kickers.map((t) => [t.name])],
    },
  );
}

export const vcpuInvariants = [VcpuTypeOK, SieDeliversAtOnce, KickedNotAsleep, VcpuStepPostcondition, VcpuThreadStepPostcondition];
