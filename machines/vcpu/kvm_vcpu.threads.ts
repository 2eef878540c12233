/**
 * One vcpu's KVM_RUN loop at the kernel's own granularity (machines/kthread.ts), for the
 * fine-grained configurations of the composed guest (machines/system/system.bounds.ts): the
 * vcpu thread runs vcpu_pre_run (delivery, clear_bit of kicked_mask), the guest in SIE until
 * it loads an enabled wait PSW, the wait intercept (vcpu_post_run), then kvm_s390_handle_wait
 * step by step: the fast path kvm_arch_vcpu_runnable (which clears the kicked_mask bit), the
 * IAM restore gisa_get_ipm_or_restore_iam, __set_cpu_idle, and kvm_vcpu_halt's block loop
 * (set_current_state(TASK_INTERRUPTIBLE), kvm_vcpu_check_block, schedule() until a wake-up),
 * then __unset_cpu_idle, and around again. Each step is one statement another CPU (the
 * gisa_vcpu_kicker hrtimer, the GAL handler, millicode) can see separately.
 *
 * Stays atomic, and why: kvm_s390_deliver_pending_interrupts (its test-and-clear of the IPM bit
 * is one atomic, the PSW swap is the vcpu's own); gisa_get_ipm_or_restore_iam (its window
 * between READ_ONCE(alert.mask) and the cmpxchg matters against register/unregister, which
 * the kicker's copy of it splits: kvm_s390_gisa_interrupt.threads.ts); the guest's run in SIE
 * (millicode delivers what the PSW and CR6 allow as its own event). Halt polling, signals and
 * requests (kvm_s390_handle_requests), the clock comparator and CPU timer (no timer in an
 * enabled wait here), vsie: not modelled (the kvm_vcpu audit says why).
 *
 * The steps call the kernel functions they are made of through `k`, the model's kernel table
 * (kvm_s390_deliver_pending_interrupts, kvm_arch_vcpu_runnable, gisa_get_ipm_or_restore_iam,
 * __set_cpu_idle, kvm_vcpu_check_block, __unset_cpu_idle, vcpu_post_run), so a variant's
 * replacement (kvm_arch_vcpu_runnable without the clear_bit of 9f30f6216378's era) runs here.
 *
 * Kernel: arch/s390/kvm/kvm-s390.c (__vcpu_run, vcpu_pre_run, vcpu_post_run,
 * kvm_arch_vcpu_runnable), arch/s390/kvm/interrupt.c (kvm_s390_handle_wait, __set_cpu_idle,
 * __unset_cpu_idle), virt/kvm/kvm_main.c (kvm_vcpu_halt, kvm_vcpu_block, kvm_vcpu_check_block).
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
 */
import { FAULT, iscBit, type SystemContext } from '../context.ts';
import { checkedSteps, vcpuPosts, vcpuSkips } from '../gisa/kvm_s390_gisa_interrupt.stepghost.ts';
import { deliverableIpm, firstIsc } from '../gisa/kvm_s390_gisa_interrupt.machine.ts';
import type { Kernel } from '../kernel.ts';
import { kfunction, named, type KFunction, type Path, type Step, type ThreadDef, type ThreadView } from '../kthread.ts';
import { vmOf } from '../lib.ts';
import { SpecError } from '../../src/spec.ts';

type C = SystemContext;

/** The program counters of the vcpu thread (kvm_vcpu.pc.ts: the step ghost reads them too, and this file imports the ghost). */
export { VCPU_PC } from './kvm_vcpu.pc.ts';
import { VCPU_PC } from './kvm_vcpu.pc.ts';

/** The name of the thread that runs vcpu `vcpu` of VM `vm` (`vcpu0`, or `vcpu0_vm1` with several VMs: not `vm*`, the VMs' regions). */
export const vcpuThreadName = (vms: number, vm: number, vcpu: number): string => (vms > 1 ? `vcpu${vcpu}_vm${vm}` : `vcpu${vcpu}`);

/**
 * The vcpu asleep in kvm_vcpu_block: its thread is in schedule() and no wake-up made it
 * runnable since set_current_state (the thread's pc is in `value[thread]`).
 */
export function asleepInThread(value: unknown, c: C, vm: number, vcpu: number): boolean {
  const pc = (value as Record<string, unknown>)[vcpuThreadName(c.vms.length, vm, vcpu)];
  return pc === VCPU_PC.schedule && vmOf(c, vm).vcpus[vcpu]!.interruptible;
}

/**
 * The KVM_RUN loop of vcpu `vcpu` of VM `vm` as one function that never returns: from
 * vcpu_pre_run to the guest's wait, kvm_s390_handle_wait and back to vcpu_pre_run.
 */
export function vcpuRun(vm: number, vcpu: number, k: Kernel, opts: VcpuThreadOptions = {}): KFunction<C> {
  if (k.design.gib !== 'upstream') throw new SpecError(`the fine-grained vcpu thread transcribes the upstream kvm_s390_handle_wait; design ${JSON.stringify(k.design)} is coarse only`);
  const v: Path = ['vms', vm, 'vcpus', vcpu];
  const gi: Path = ['vms', vm, 'gisa'];
  const f = (field: string): Path => [...v, field];
  const me = (c: C) => vmOf(c, vm).vcpus[vcpu]!;
  // what kvm_arch_vcpu_runnable reads: the GISA IPM through deliverable_irqs, the vcpu's PSW and CR6
  // (issue 12, pv-delivery: kvm_s390_vcpu_has_irq of a PV vcpu also reads iictl and the fenced PSW copy)
  const runnableReads: Path[] = [[...gi, 'ipm'], [...gi, 'origin'], f('cr6'), f('pswIo'), f('kicked'), ['vms', vm, 'fio'], f('iictl'), f('fenced')];
  // every local (runnable, pending, wake, rc) is read only by the branches of the step that writes it: none is live
  // across steps (kthread.ts: a local goes out of scope after its last use), though the loop never returns
  const steps: Step<C>[] = [
    {
      at: VCPU_PC.deliver,
      uses: [],
      cite: 'kvm-s390.c vcpu_pre_run: rc = kvm_s390_deliver_pending_interrupts(vcpu) (__deliver_io: gisa_tac_ipm_gisc, then the PSW swap)',
      // (issue 12: a PV vcpu's delivery reads and sets iictl through deliverable_irqs, with the fenced PSW copy)
      reads: [[...gi, 'ipm'], [...gi, 'origin'], f('cr6'), f('pswIo'), ['vms', vm, 'fio'], f('iictl'), f('fenced')],
      writes: [[...gi, 'ipm'], f('pswIo'), ['vms', vm, 'fio'], f('iictl')],
      run: () => void 0,
    },
    {
      at: VCPU_PC.clearKicked,
      uses: [],
      cite: 'kvm-s390.c vcpu_pre_run: clear_bit(vcpu->vcpu_idx, vcpu->kvm->arch.gisa_int.kicked_mask)',
      writes: [f('kicked')],
      run: (c) => void (me(c).kicked = false),
    },
    {
      at: VCPU_PC.sie,
      uses: [],
      cite: 'kvm-s390.c __vcpu_run: sie64a(): the guest runs in SIE; with ECA_AIV millicode presents a GISA interruption the PSW and CR6 allow at once, also one made pending since the delivery in vcpu_pre_run',
      reads: [[...gi, 'ipm'], [...gi, 'origin'], f('cr6'), f('pswIo')],
      writes: [f('inSie'), [...gi, 'ipm'], f('pswIo')],
      run: (c) => {
        const v = me(c);
        v.inSie = true;
        // millicode, not the kernel: the interruption is taken by PSW swap, which disables I/O
        const isc = firstIsc(deliverableIpm(c, vm, v));
        if (isc < 0) return;
        vmOf(c, vm).gisa.ipm &= ~iscBit(isc);
        v.pswIo = false;
      },
    },
    {
      at: VCPU_PC.waitIntercept,
      uses: [],
      cite: 'kvm-s390.c __vcpu_run: the guest loaded an enabled wait PSW (I/O enabled): the wait intercept leaves SIE, vcpu_post_run, kvm_handle_sie_intercept -> kvm_s390_handle_wait',
      // (vcpu_post_run's PV part, __vcpu_run: a PV vcpu's exit consumes iictl and sets the continuation and the fence)
      reads: [f('iictl')],
      writes: [f('inSie'), f('pswIo'), f('iictl'), f('cont'), f('fenced')],
      run: (c) => {
        me(c).pswIo = true;
        k.vcpu_post_run(c, vm, vcpu);
      },
    },
    {
      at: VCPU_PC.runnable,
      uses: [],
      cite: 'interrupt.c kvm_s390_handle_wait: /* fast path */ if (kvm_arch_vcpu_runnable(vcpu)) return 0 (kvm-s390.c: clear_bit(vcpu_idx, kicked_mask); kvm_s390_vcpu_has_irq)',
      reads: runnableReads,
      writes: [f('kicked')],
      run: (c, t) => void (t.local.runnable = k.kvm_arch_vcpu_runnable(c, vm, vcpu)),
      next: [{ if: named('runnable', (_c, t) => t.local.runnable === true), goto: VCPU_PC.deliver }, { goto: VCPU_PC.restore }],
    },
    {
      at: VCPU_PC.restore,
      uses: [],
      cite: 'interrupt.c kvm_s390_handle_wait: if (gi->origin && (gisa_get_ipm_or_restore_iam(gi) & vcpu->arch.sie_block->gcr[6] >> 24)) return 0',
      reads: [[...gi, 'origin'], [...gi, 'ipm'], [...gi, 'mask'], [...gi, 'iam'], f('cr6')],
      writes: [[...gi, 'iam']],
      run: (c, t) => void (t.local.pending = vmOf(c, vm).gisa.origin && (k.gisa_get_ipm_or_restore_iam(c, vm) & me(c).cr6) !== 0),
      next: [{ if: named('pending', (_c, t) => t.local.pending === true), goto: VCPU_PC.deliver }, { goto: VCPU_PC.setIdle }],
    },
    {
      at: VCPU_PC.setIdle,
      uses: [],
      cite: 'interrupt.c kvm_s390_handle_wait: __set_cpu_idle(vcpu) (CPUSTAT_WAIT, set_bit(vcpu_idx, idle_mask)); no clock comparator or CPU timer enabled: goto no_timer',
      writes: [f('idle')],
      run: (c) => k.__set_cpu_idle(c, vm, vcpu),
    },
    {
      at: VCPU_PC.setState,
      uses: [],
      cite: 'kvm_main.c kvm_vcpu_block: for (;;) { set_current_state(TASK_INTERRUPTIBLE); (before the check, so a wake-up after it is not lost)',
      writes: [f('interruptible')],
      run: (c) => void (me(c).interruptible = true),
    },
    {
      at: VCPU_PC.checkBlock,
      uses: [],
      cite: 'kvm_main.c kvm_vcpu_block: if (kvm_vcpu_check_block(vcpu) < 0) break; (kvm_arch_vcpu_runnable: clear_bit of kicked_mask, then kvm_s390_vcpu_has_irq); after the loop __set_current_state(TASK_RUNNING)',
      reads: runnableReads,
      writes: [f('kicked'), f('interruptible')],
      run: (c, t) => {
        t.local.wake = k.kvm_vcpu_check_block(c, vm, vcpu) < 0;
        if (t.local.wake) me(c).interruptible = false;
      },
      next: [{ if: named('kvm_vcpu_check_block < 0', (_c, t) => t.local.wake === true), goto: VCPU_PC.unsetIdle }, { goto: VCPU_PC.schedule }],
    },
    {
      at: VCPU_PC.schedule,
      uses: [],
      cite: 'kvm_main.c kvm_vcpu_block: waited = true; schedule(); (returns once a wake-up made the task runnable: kvm_vcpu_wake_up from kvm_s390_vcpu_wakeup)',
      reads: [f('interruptible')],
      when: named('woken', (c: C) => !me(c).interruptible),
      next: VCPU_PC.setState,
    },
    {
      at: VCPU_PC.unsetIdle,
      uses: [],
      cite: 'interrupt.c kvm_s390_handle_wait: vcpu->valid_wakeup = false; __unset_cpu_idle(vcpu) (clear_bit(vcpu_idx, idle_mask)); return 0',
      writes: [f('idle')],
      run: (c) => k.__unset_cpu_idle(c, vm, vcpu),
      next: VCPU_PC.deliver,
    },
  ];
  // the delivery runs through the table too (a variant's replacement of it reaches this step)
  steps[0] = { ...steps[0]!, run: (c) => void k.kvm_s390_deliver_pending_interrupts(c, vm, vcpu) };
  if (opts.lowcoreFault) {
    // issue 12: the guest lowcore accessible or not at each delivery; a failed one returns -EFAULT before the clear_bit
    steps[0] = {
      ...steps[0]!,
      answers: ['delivered', 'lowcore-fault'],
      run: (c, t) => void (t.local.rc = k.kvm_s390_deliver_pending_interrupts(c, vm, vcpu, t.answer === 'lowcore-fault')),
      next: [{ if: named('rc', (_c, t) => t.local.rc !== 0), goto: VCPU_PC.runError }, { goto: VCPU_PC.clearKicked }],
    };
    steps.push({
      at: VCPU_PC.runError,
      uses: [],
      cite: 'kvm-s390.c vcpu_pre_run: "if (rc || guestdbg_exit_pending(vcpu)) return rc;" (before clear_bit of kicked_mask); __vcpu_run and kvm_arch_vcpu_ioctl_run return -EFAULT to userspace (QEMU stops the VM, "kvm run failed"); once resumed it issues KVM_RUN again: vcpu_pre_run',
      next: VCPU_PC.deliver,
    });
  }
  return checkedSteps(kfunction('__vcpu_run', 'arch/s390/kvm/kvm-s390.c __vcpu_run', steps), k, FAULT.VCPU_THREAD_STEP_POST, vcpuPosts, vcpuSkips);
}

/** Options of the vcpu thread. */
export interface VcpuThreadOptions {
  /** Issue 12 (kick-wait-fault): the delivery answers delivered or lowcore-fault (the guest lowcore not accessible: -EFAULT, KVM_RUN ends and is issued again). */
  readonly lowcoreFault?: boolean;
}

/** The thread of vcpu `vcpu` of VM `vm` (started, outside SIE, before its first vcpu_pre_run). */
export function vcpuThread(vms: number, vm: number, vcpu: number, k: Kernel, opts: VcpuThreadOptions = {}): ThreadDef<C> {
  return { name: vcpuThreadName(vms, vm, vcpu), actor: 'kernel', ix: { vm, vcpu }, fns: [vcpuRun(vm, vcpu, k, opts)] };
}

/** The view type the steps see (re-exported for variants that edit the thread). */
export type { ThreadView };
