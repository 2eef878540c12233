/**
 * The protected-virtualization switch against the GISA's users, at the kernel's own granularity
 * (machines/kthread.ts; issues 11 and 12, branch pvswitch), for the fine-grained configurations
 * `pv-enable-unregister`, `pv-enable-pqap` and `pv-disable-unregister` of kvm_s390_gisa_interrupt. Threads:
 *
 * - `pv`: QEMU's KVM_PV_ENABLE on the VM fd, on a host whose ultravisor lacks AIV:
 *   kvm_s390_handle_pv takes kvm->lock; kvm_s390_cpus_to_pv -> kvm_s390_gisa_disable clears
 *   ECA_AIV and gd of each vcpu under its vcpu->mutex (one vcpu, in pv-enable-pqap), then runs
 *   kvm_s390_gisa_destroy (its steps as in kvm_s390_gisa_interrupt.threads.ts, inlined):
 *   gi->origin = NULL. kvm->lock is dropped at the end.
 * - `driver` (pv-enable-unregister): vfio_ap's reset work apq_reset_check ->
 *   vfio_ap_free_aqic_resources -> kvm_s390_gisc_unregister(kvm, saved_isc), queued and flushed by
 *   VFIO_DEVICE_RESET (vfio_ap_mdev_ioctl), which holds matrix_dev->mdevs_lock only: neither
 *   kvm->lock nor a vcpu->mutex orders it against the switch.
 * - `pv` in pv-disable-unregister: KVM_PV_DISABLE (kvm->lock; kvm_s390_cpus_from_pv ->
 *   kvm_s390_gisa_enable -> kvm_s390_gisa_init's stores, each a step) against the same `driver`.
 * - `vcpu` (pv-enable-pqap): a vcpu in KVM_RUN (kvm_vcpu_ioctl holds vcpu->mutex) intercepts the
 *   guest's PQAP(AQIC) ir=1: vfio_ap handle_pqap tests ECA_AIV (-EOPNOTSUPP: the PQAP goes to
 *   userspace), then vfio_ap_irq_enable reads gi->origin for the AQIC's GISA address and calls
 *   kvm_s390_gisc_register (its steps inlined).
 *
 * Stays atomic or out, with the reason: kvm_s390_pv_init_vm, sca_switch_to_extended, the COW
 * unsharing and each kvm_s390_pv_create_cpu (no GISA field; the creates take vcpu->mutex after
 * the GISA is gone, which changes no order the model shows); vfio_ap's mdevs_lock, the queue
 * lookup, the NIB pin, vfio_ap_irq_enable's unlocked `gisa = kvm->arch.gisa_int.origin` and ap_aqic
 * itself (no PV step reads or writes them; the origin it reads is the one register checks next,
 * unchanged while the vcpu holds vcpu->mutex); no kicker thread (nothing arms gi->timer here: no
 * adapter interruption, so hrtimer_cancel waits for nothing).
 *
 * Kernel: arch/s390/kvm/kvm-s390.c kvm_s390_handle_pv, kvm_s390_cpus_to_pv;
 * arch/s390/kvm/interrupt.c kvm_s390_gisa_disable, kvm_s390_gisa_destroy, kvm_s390_gisa_enable, kvm_s390_gisa_init,
 * kvm_s390_gisc_register, kvm_s390_gisc_unregister; drivers/s390/crypto/vfio_ap_ops.c
 * handle_pqap, vfio_ap_irq_enable, apq_reset_check, vfio_ap_free_aqic_resources,
 * vfio_ap_mdev_ioctl. Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
 */
import type { SystemContext } from '../context.ts';
import type { Kernel } from '../kernel.ts';
import { acquire, kfunction, lockPath, mutex, named, pcOf, release, type KFunction, type Lock, type Path, type Step, type ThreadView } from '../kthread.ts';
import { ref_lock } from './kvm_s390_gisa_interrupt.invariants.ts';
import { vmOf } from '../lib.ts';
import { gisaPvSettle, gisaSettle } from './kvm_s390_gisa_interrupt.machine.ts';
import { gisa_destroy, gisc_register, gisc_unregister, inlined } from './kvm_s390_gisa_interrupt.threads.ts';

type C = SystemContext;
type F = KFunction<C>;

const vmIx = (t: ThreadView): number => t.ix.vm!;

/** kvm->lock of VM vm (the same lock as vfio_ap's get_update_locks_for_kvm takes: machines/vfio-ap/vfio_ap_ops.threads.ts kvm_lock). */
export const kvm_lock = (vm: number): Lock => mutex('kvm->lock', vm);
/** vcpu->mutex of the VM's one vcpu: kvm_vcpu_ioctl holds it across KVM_RUN (and so across an intercept). */
export const vcpu_mutex = (vm: number): Lock => mutex('vcpu->mutex', vm);
/** sie_block->eca & ECA_AIV of that vcpu (KvmContext.aiv). */
const aivPath = (vm: number): Path => ['vms', vm, 'aiv'];

/** The function names of the PV thread and of the vcpu's intercept. */
export const PV_ENABLE = 'kvm_s390_handle_pv';
export const PQAP = 'handle_pqap';
/** The labels a planted variant edits. */
export const PV_AT = {
  vcpuLock: 'kvm_s390_gisa_disable@mutex_lock(vcpu->mutex)',
  aivClear: 'kvm_s390_gisa_disable@eca &= ~ECA_AIV; gd = 0',
  vcpuUnlock: 'kvm_s390_gisa_disable@mutex_unlock(vcpu->mutex)',
  destroy: 'kvm_s390_gisa_destroy@WARN(alert_mask != 0)',
  aivTest: 'vfio_ap:handle_pqap@if (!(eca & ECA_AIV))',
  initOrigin: 'kvm_s390_gisa_init@gi->origin = &sie_page2->gisa',
  lockInit: 'kvm_s390_gisa_init@spin_lock_init(ref_lock)',
} as const;

/**
 * kvm_s390_gisa_destroy's steps as kvm_s390_gisa_disable calls them: inlined, each ending where the
 * disable returns to kvm_s390_cpus_to_pv (`then`), its `gi->origin = NULL` settling the GISA region
 * to `disabled` (the VM lives on) rather than `destroyed`; without a kicker thread its waits are dropped.
 */
function destroyForDisable(vm: number, k: Kernel, then: string): Step<C>[] {
  const settled = gisaSettle(vm).params.type;
  const pvSettle = gisaPvSettle(vm).params;
  return inlined(gisa_destroy(vm, 'kicker', k), then).map((s) => {
    const { waitsFor: _ignored, ...rest } = s;
    if (!s.raises?.includes(settled)) return rest;
    // the destroy's own step body, its settle event renamed
    const destroyStep = s.run!;
    return { ...rest, raises: s.raises.map((r) => (r === settled ? pvSettle.type : r)), run: (c, t, fx) => destroyStep(c, t, { raise: (e) => fx.raise(e.type === settled ? { ...pvSettle } : e) }) };
  });
}

/**
 * KVM_PV_ENABLE of VM vm on a host whose ultravisor lacks AIV, as far as the GISA sees it:
 * `mutex_lock(&kvm->lock)`; kvm_s390_cpus_to_pv: `if (!uv_has_feature(BIT_UV_FEAT_AIV))
 * kvm_s390_gisa_disable(kvm)`: `if (!gi->origin) return; kvm_for_each_vcpu { mutex_lock(&vcpu->mutex);
 * eca &= ~ECA_AIV; gd = 0U; mutex_unlock(&vcpu->mutex); } kvm_s390_gisa_destroy(kvm)`; the rest of
 * the switch writes no GISA field; `mutex_unlock(&kvm->lock)`. `vcpu`: the VM has the one vcpu of
 * the vcpu thread (pv-enable-pqap); without it the loop is empty.
 */
export function kvm_s390_handle_pv_enable(vm: number, k: Kernel, vcpu: boolean): F {
  const lock = kvm_lock(vm);
  const unlockKvm = pcOf(PV_ENABLE, `mutex_unlock(${lock.short})`);
  const destroy = destroyForDisable(vm, k, unlockKvm);
  const firstDestroy = destroy[0]!.at;
  const loop: Step<C>[] = vcpu
    ? [
        acquire<C>(vcpu_mutex(vm), 'write', { at: PV_AT.vcpuLock, cite: 'interrupt.c kvm_s390_gisa_disable: kvm_for_each_vcpu(i, vcpu, kvm) { mutex_lock(&vcpu->mutex)', sleeps: true }),
        {
          at: PV_AT.aivClear,
          cite: 'interrupt.c kvm_s390_gisa_disable: vcpu->arch.sie_block->eca &= ~ECA_AIV; vcpu->arch.sie_block->gd = 0U',
          writes: [aivPath(vm)],
          run: (c, t) => void (vmOf(c, vmIx(t)).aiv = false),
        },
        release<C>(vcpu_mutex(vm), 'write', { at: PV_AT.vcpuUnlock, cite: 'interrupt.c kvm_s390_gisa_disable: mutex_unlock(&vcpu->mutex) }' }),
      ]
    : [];
  return kfunction(PV_ENABLE, 'arch/s390/kvm/kvm-s390.c kvm_s390_handle_pv(KVM_PV_ENABLE) -> kvm_s390_cpus_to_pv -> interrupt.c kvm_s390_gisa_disable', [
    acquire<C>(lock, 'write', { cite: 'kvm-s390.c kvm_s390_handle_pv: if (need_lock) mutex_lock(&kvm->lock)', sleeps: true }),
    {
      at: 'kvm_s390_gisa_disable@if (!gi->origin)',
      cite: 'kvm-s390.c kvm_s390_cpus_to_pv: if (!uv_has_feature(BIT_UV_FEAT_AIV)) kvm_s390_gisa_disable(kvm); interrupt.c kvm_s390_gisa_disable: if (!gi->origin) return',
      reads: [['vms', vm, 'gisa', 'origin']],
      next: [
        { if: named('!gi->origin', (c: C, t) => !vmOf(c, vmIx(t)).gisa.origin), goto: unlockKvm },
        { goto: vcpu ? PV_AT.vcpuLock : firstDestroy },
      ],
    },
    ...loop,
    ...destroy,
    release<C>(lock, 'write', { cite: 'kvm-s390.c kvm_s390_handle_pv: if (need_lock) mutex_unlock(&kvm->lock)' }),
  ]);
}

/**
 * The reset work's unregister: apq_reset_check -> vfio_ap_free_aqic_resources(q):
 * `kvm_s390_gisc_unregister(q->matrix_mdev->kvm, q->saved_isc)`, its steps inlined. VFIO_DEVICE_RESET
 * queued the work and waits in flush_work under matrix_dev->mdevs_lock only (vfio_ap_mdev_ioctl).
 */
export function resetWorkUnregister(vm: number, gisc: number, k: Kernel): F {
  return kfunction(RESET_WORK, 'drivers/s390/crypto/vfio_ap_ops.c apq_reset_check -> vfio_ap_free_aqic_resources: kvm_s390_gisc_unregister(q->matrix_mdev->kvm, q->saved_isc)', inlined(gisc_unregister(vm, gisc, k), 'return'));
}
export const RESET_WORK = 'apq_reset_check';

/**
 * The proposed fix of the reset work's window (variant `reset-under-kvm-lock`): vfio_ap_mdev_ioctl
 * takes the locks of get_update_locks_for_mdev (guests_lock, kvm->lock, mdevs_lock) for
 * VFIO_DEVICE_RESET, as vfio_ap_mdev_unset_kvm does, so kvm->lock is held across the flush_work that
 * waits for the work: modelled as the work's steps inside kvm->lock of VM vm.
 */
export function underKvmLock(f: F, vm: number): F {
  const lock = kvm_lock(vm);
  const unlock = pcOf(f.name, `mutex_unlock(${lock.short})`);
  const toUnlock = (g: string) => (g === 'return' ? unlock : g);
  const steps = f.steps.map((s, i): Step<C> => {
    const next = s.next === undefined ? (i + 1 < f.steps.length ? undefined : unlock) : typeof s.next === 'string' ? toUnlock(s.next) : s.next.map((b) => ({ ...b, goto: toUnlock(b.goto) }));
    return next === undefined ? s : { ...s, next };
  });
  return kfunction(f.name, `${f.cite}; proposed: VFIO_DEVICE_RESET under get_update_locks_for_mdev (kvm->lock)`, [
    acquire<C>(lock, 'write', { cite: 'proposed: vfio_ap_mdev_ioctl VFIO_DEVICE_RESET: get_update_locks_for_mdev(matrix_mdev): mutex_lock(&matrix_mdev->kvm->lock)', sleeps: true }),
    ...steps,
    release<C>(lock, 'write', { cite: 'proposed: release_update_locks_for_mdev: mutex_unlock(&matrix_mdev->kvm->lock)' }),
  ]);
}

/**
 * A vcpu's KVM_RUN intercepting the guest's PQAP(AQIC) ir=1 for ISC gisc:
 * kvm_vcpu_ioctl `mutex_lock(&vcpu->mutex)`; vfio_ap handle_pqap: `if (!(vcpu->arch.sie_block->eca &
 * ECA_AIV)) return -EOPNOTSUPP` (priv.c passes it up: the PQAP goes to userspace); vfio_ap_irq_enable:
 * `nisc = kvm_s390_gisc_register(kvm, isc)`
 * (-ENODEV: unpin, rc 06) and ap_aqic with `aqic_gisa.gisa = virt_to_phys(gisa) >> 4`; `mutex_unlock(&vcpu->mutex)`
 * when KVM_RUN returns. Once per run: a second PQAP is the same steps.
 */
export function kvmRunPqap(vm: number, gisc: number, k: Kernel): F {
  const unlock = pcOf(PQAP, 'mutex_unlock(vcpu->mutex)');
  const reg = gisc_register(vm, gisc, k);
  return kfunction(PQAP, 'virt/kvm/kvm_main.c kvm_vcpu_ioctl(KVM_RUN) -> arch/s390/kvm/priv.c handle_pqap -> drivers/s390/crypto/vfio_ap_ops.c handle_pqap -> vfio_ap_irq_enable', [
    acquire<C>(vcpu_mutex(vm), 'write', { cite: 'kvm_main.c kvm_vcpu_ioctl: mutex_lock_killable(&vcpu->mutex) (held across KVM_RUN and its intercepts)', sleeps: true }),
    {
      at: PV_AT.aivTest,
      cite: 'vfio_ap_ops.c handle_pqap: if (!(vcpu->arch.sie_block->eca & ECA_AIV)) return -EOPNOTSUPP ("If we do not use the AIV facility just go to userland")',
      reads: [aivPath(vm)],
      next: [{ if: named('!ECA_AIV: -EOPNOTSUPP', (c: C, t) => vmOf(c, vmIx(t)).aiv !== true), goto: unlock }, { goto: pcOf(reg.name, reg.steps[0]!.at) }],
    },
    ...inlined(reg, unlock),
    release<C>(vcpu_mutex(vm), 'write', { cite: 'kvm_main.c kvm_vcpu_ioctl: mutex_unlock(&vcpu->mutex) (KVM_RUN returns to userspace)' }),
  ]);
}

/**
 * KVM_PV_DISABLE of VM vm whose GISA KVM_PV_ENABLE disabled (use_gisa set), as far as the GISA sees
 * it: `mutex_lock(&kvm->lock)`; kvm_s390_cpus_from_pv (the PV vcpus destroyed: no GISA field), then
 * `if (use_gisa) kvm_s390_gisa_enable(kvm)`: `if (gi->origin) return; kvm_s390_gisa_init(kvm)`:
 * `gi->origin = &kvm->arch.sie_page2->gisa; gi->alert.mask = 0; spin_lock_init(&gi->alert.ref_lock);
 * gi->expires = ...; hrtimer_setup(...); memset(gi->origin, 0, ...); gi->origin->next_alert = ...`
 * (the stores another CPU can see apart, each a step; expires and the timer setup are folded into
 * spin_lock_init's: nothing here reads them); no vcpu (the ECA_AIV loop is empty);
 * `mutex_unlock(&kvm->lock)`.
 */
export function kvm_s390_handle_pv_disable(vm: number): F {
  const lock = kvm_lock(vm);
  const unlockKvm = pcOf(PV_DISABLE, `mutex_unlock(${lock.short})`);
  const refLock = ref_lock(vm);
  const g: Path = ['vms', vm, 'gisa'];
  return kfunction(PV_DISABLE, 'arch/s390/kvm/kvm-s390.c kvm_s390_handle_pv(KVM_PV_DISABLE) -> kvm_s390_cpus_from_pv -> interrupt.c kvm_s390_gisa_enable -> kvm_s390_gisa_init', [
    acquire<C>(lock, 'write', { cite: 'kvm-s390.c kvm_s390_handle_pv: if (need_lock) mutex_lock(&kvm->lock)', sleeps: true }),
    {
      at: 'kvm_s390_gisa_enable@if (gi->origin)',
      cite: 'kvm-s390.c kvm_s390_cpus_from_pv: if (use_gisa) kvm_s390_gisa_enable(kvm); interrupt.c kvm_s390_gisa_enable: if (gi->origin) return',
      reads: [[...g, 'origin']],
      next: [{ if: named('gi->origin', (c: C, t) => vmOf(c, vmIx(t)).gisa.origin), goto: unlockKvm }, { goto: PV_AT.initOrigin }],
    },
    {
      at: PV_AT.initOrigin,
      cite: 'interrupt.c kvm_s390_gisa_init: gi->origin = &kvm->arch.sie_page2->gisa',
      writes: [[...g, 'origin']],
      raises: [gisaPvSettle(vm).params.type],
      run: (c, t, fx) => {
        vmOf(c, vmIx(t)).gisa.origin = true;
        fx.raise({ ...gisaPvSettle(vmIx(t)).params }); // the GISA region follows gi->origin
      },
    },
    {
      at: 'kvm_s390_gisa_init@alert_mask = 0',
      cite: 'interrupt.c kvm_s390_gisa_init: gi->alert.mask = 0 (alert.ref_count[] left as it is)',
      writes: [[...g, 'mask']],
      run: (c, t) => void (vmOf(c, vmIx(t)).gisa.mask = 0),
    },
    {
      // the lock word set to unlocked whoever holds it: a holder's spin_unlock then releases a lock it does not hold
      at: PV_AT.lockInit,
      cite: 'interrupt.c kvm_s390_gisa_init: spin_lock_init(&gi->alert.ref_lock); gi->expires = 50 * 1000; hrtimer_setup(&gi->timer, gisa_vcpu_kicker, ...)',
      writes: [lockPath(refLock)],
      run: (c) => void (c.threads!.locks[refLock.key] = null),
    },
    {
      at: 'kvm_s390_gisa_init@memset(gi->origin, 0)',
      cite: 'interrupt.c kvm_s390_gisa_init: memset(gi->origin, 0, sizeof(struct kvm_s390_gisa)); gi->origin->next_alert = (u32)virt_to_phys(gi->origin)',
      writes: [[...g, 'ipm'], [...g, 'iam']],
      run: (c, t) => void Object.assign(vmOf(c, vmIx(t)).gisa, { ipm: 0, iam: 0 }),
    },
    release<C>(lock, 'write', { cite: 'kvm-s390.c kvm_s390_handle_pv: if (need_lock) mutex_unlock(&kvm->lock)' }),
  ]);
}
/** KVM_PV_DISABLE runs the same ioctl handler. */
export const PV_DISABLE = PV_ENABLE;

// ---- planted reorderings of kvm_s390_gisa_disable (variants; kvm_s390_gisa_interrupt.variants.ts) ----

/** Every jump of f to `from` (a full pc) goes to `to` instead; a step without `next` keeps falling through. */
function retarget(f: F, map: Readonly<Record<string, string>>, explicit: Readonly<Record<string, string>> = {}): F {
  const to = (g: string) => map[pcOf(f.name, g)] ?? g;
  return {
    ...f,
    steps: f.steps.map((s): Step<C> => {
      const forced = explicit[pcOf(f.name, s.at)];
      if (forced) return { ...s, next: forced };
      if (s.next === undefined) return s;
      return { ...s, next: typeof s.next === 'string' ? to(s.next) : s.next.map((b) => ({ ...b, goto: to(b.goto) })) };
    }),
  };
}

/** planted: kvm_s390_gisa_disable clears ECA_AIV and gd without taking vcpu->mutex, so it does not wait for a vcpu inside KVM_RUN. */
export function disableWithoutVcpuMutex(f: F): F {
  const g = retarget(f, { [PV_AT.vcpuLock]: PV_AT.aivClear });
  return { ...g, steps: g.steps.filter((s) => s.at !== PV_AT.vcpuLock && s.at !== PV_AT.vcpuUnlock) };
}

/** planted: kvm_s390_gisa_disable calls kvm_s390_gisa_destroy before its loop over the vcpus (gi->origin NULL while ECA_AIV is still set). */
export function destroyBeforeAivClear(f: F): F {
  const unlockKvm = pcOf(f.name, 'mutex_unlock(kvm->lock)');
  // the origin test enters the destroy, the loop's unlock ends the function
  const g = retarget(f, { [PV_AT.vcpuLock]: PV_AT.destroy }, { [PV_AT.vcpuUnlock]: unlockKvm });
  // the destroy's exits (to kvm->lock's unlock) enter the loop
  const exit = (x: string) => (x === unlockKvm ? PV_AT.vcpuLock : x);
  return {
    ...g,
    steps: g.steps.map((s): Step<C> => {
      if (!s.at.startsWith('kvm_s390_gisa_destroy@') || s.next === undefined) return s;
      return { ...s, next: typeof s.next === 'string' ? exit(s.next) : s.next.map((b) => ({ ...b, goto: exit(b.goto) })) };
    }),
  };
}

// ---- issue 12: KVM_CREATE_VCPU while KVM_PV_ENABLE runs (configuration pv-enable-create-vcpu) ----

/** The created vcpu's record (KvmContext.created) of VM vm. */
const createdPath = (vm: number): Path => ['vms', vm, 'created'];
const createdOf = (c: C, t: ThreadView) => {
  const v = vmOf(c, vmIx(t)).created;
  if (!v) throw new Error(`VM ${vmIx(t)} has no vcpu being created`);
  return v;
};

export const CREATE_VCPU = 'kvm_vm_ioctl_create_vcpu';
/** The labels the variants of pv-enable-create-vcpu edit or test. */
export const CREATE_AT = {
  busy: 'if (kvm->created_vcpus != online_vcpus) -EBUSY',
  initVm: 'kvm_s390_pv_init_vm@kvm_s390_pv_set_handle',
  gd: 'kvm_arch_vcpu_create@sie_block->gd = kvm_s390_get_gisa_desc(kvm)',
  setupLock: 'kvm_s390_vcpu_setup@mutex_lock(kvm->lock)',
  pvCheck: 'kvm_s390_vcpu_setup@if (kvm_s390_pv_is_protected(kvm)) kvm_s390_pv_create_cpu',
  publish: 'xa_insert(vcpu_array); atomic_inc(online_vcpus)',
  toPv: 'kvm_s390_cpus_to_pv@kvm_for_each_vcpu: kvm_s390_pv_create_cpu',
} as const;

/**
 * KVM_CREATE_VCPU of one vcpu of VM vm, as far as the GISA and the PV state see it (virt/kvm/kvm_main.c
 * kvm_vm_ioctl_create_vcpu, arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_create / kvm_s390_vcpu_setup):
 * `mutex_lock(&kvm->lock); kvm->created_vcpus++; mutex_unlock(&kvm->lock)`; kvm_arch_vcpu_create without
 * kvm->lock: `sie_block->gd = kvm_s390_get_gisa_desc(kvm)` (reads gi->origin) and kvm_s390_vcpu_setup's
 * `if (sie_block->gd) eca |= ECA_AIV` (one step: the sie block is the creator's own until the vcpu is online);
 * kvm_s390_vcpu_setup's `mutex_lock(&kvm->lock); if (kvm_s390_pv_is_protected(kvm)) kvm_s390_pv_create_cpu();
 * mutex_unlock(&kvm->lock)`; then `mutex_lock(&kvm->lock)`, the -EEXIST test, `xa_insert`, `mutex_lock(&vcpu->mutex)`,
 * create_vcpu_fd, `atomic_inc(&kvm->online_vcpus)`, `mutex_unlock(&vcpu->mutex)` (one step: all under kvm->lock,
 * which every reader of the vcpu's gd or PV state here holds), `mutex_unlock(&kvm->lock)`. Every allocation and
 * the PV cpu create succeed; kvm_arch_vcpu_postcreate (epoch, SCA entry) writes nothing modelled.
 */
export function kvm_vm_ioctl_create_vcpu(vm: number): F {
  const lock = kvm_lock(vm);
  const cr = createdPath(vm);
  return kfunction(CREATE_VCPU, 'virt/kvm/kvm_main.c kvm_vm_ioctl_create_vcpu -> arch/s390/kvm/kvm-s390.c kvm_arch_vcpu_create -> kvm_s390_vcpu_setup', [
    acquire<C>(lock, 'write', { cite: 'kvm_main.c kvm_vm_ioctl_create_vcpu: mutex_lock(&kvm->lock); if (kvm->created_vcpus >= kvm->max_vcpus) ...', sleeps: true }),
    {
      at: 'kvm->created_vcpus++',
      cite: 'kvm_main.c kvm_vm_ioctl_create_vcpu: r = kvm_arch_vcpu_precreate(kvm, id); kvm->created_vcpus++',
      writes: [[...cr, 'counted']],
      run: (c, t) => void (createdOf(c, t).counted = true),
    },
    release<C>(lock, 'write', { cite: 'kvm_main.c kvm_vm_ioctl_create_vcpu: mutex_unlock(&kvm->lock) (kvm_arch_vcpu_create runs without it)' }),
    {
      at: CREATE_AT.gd,
      cite: 'kvm-s390.c kvm_arch_vcpu_create: vcpu->arch.sie_block->gd = kvm_s390_get_gisa_desc(vcpu->kvm) (gi->origin read without kvm->lock); kvm_s390_vcpu_setup: if (vcpu->arch.sie_block->gd) vcpu->arch.sie_block->eca |= ECA_AIV',
      reads: [['vms', vm, 'gisa', 'origin']],
      writes: [[...cr, 'gd']],
      run: (c, t) => void (createdOf(c, t).gd = vmOf(c, vmIx(t)).gisa.origin),
    },
    acquire<C>(lock, 'write', { at: CREATE_AT.setupLock, cite: 'kvm-s390.c kvm_s390_vcpu_setup: mutex_lock(&vcpu->kvm->lock)', sleeps: true }),
    {
      at: CREATE_AT.pvCheck,
      cite: 'kvm-s390.c kvm_s390_vcpu_setup: if (kvm_s390_pv_is_protected(vcpu->kvm)) { rc = kvm_s390_pv_create_cpu(vcpu, &uvrc, &uvrrc); ... }',
      reads: [['vms', vm, 'pv']],
      writes: [[...cr, 'pvCpu']],
      run: (c, t) => {
        if (vmOf(c, vmIx(t)).pv) createdOf(c, t).pvCpu = true;
      },
    },
    release<C>(lock, 'write', { at: 'kvm_s390_vcpu_setup@mutex_unlock(kvm->lock)', cite: 'kvm-s390.c kvm_s390_vcpu_setup: mutex_unlock(&vcpu->kvm->lock)' }),
    acquire<C>(lock, 'write', { at: 'mutex_lock(kvm->lock) again', cite: 'kvm_main.c kvm_vm_ioctl_create_vcpu: mutex_lock(&kvm->lock); if (kvm_get_vcpu_by_id(kvm, id)) -EEXIST', sleeps: true }),
    {
      at: CREATE_AT.publish,
      cite: 'kvm_main.c kvm_vm_ioctl_create_vcpu: vcpu->vcpu_idx = atomic_read(&kvm->online_vcpus); xa_insert(&kvm->vcpu_array, ...); mutex_lock(&vcpu->mutex); create_vcpu_fd(vcpu); smp_wmb(); atomic_inc(&kvm->online_vcpus); mutex_unlock(&vcpu->mutex)',
      writes: [[...cr, 'online']],
      run: (c, t) => void (createdOf(c, t).online = true),
    },
    release<C>(lock, 'write', { at: 'mutex_unlock(kvm->lock) again', cite: 'kvm_main.c kvm_vm_ioctl_create_vcpu: mutex_unlock(&kvm->lock); kvm_arch_vcpu_postcreate(vcpu)' }),
  ]);
}

/**
 * KVM_PV_ENABLE of VM vm (ultravisor without AIV) against a vcpu being created: as kvm_s390_handle_pv_enable, with
 * the steps the created vcpu makes visible: `kvm_s390_pv_init_vm` sets the PV handle (kvm_s390_pv_is_protected from
 * then on); kvm_s390_gisa_disable's `kvm_for_each_vcpu` reaches the vcpu only once it is online (`eca &= ~ECA_AIV;
 * gd = 0` under its vcpu->mutex, which is free: the creator holds it only inside its kvm->lock section); the destroy's
 * steps; kvm_s390_cpus_to_pv's `kvm_for_each_vcpu { mutex_lock(&vcpu->mutex); kvm_s390_pv_create_cpu(); ... }` over the
 * online vcpus (one step). `busy`: the proposed fix, KVM_PV_ENABLE answers -EBUSY while a vcpu is created
 * (`kvm->created_vcpus != atomic_read(&kvm->online_vcpus)`), tested under kvm->lock ('locked') or, planted, before it.
 */
export function kvm_s390_handle_pv_enable_create(vm: number, k: Kernel, busy?: 'locked' | 'unlocked'): F {
  const lock = kvm_lock(vm);
  const cr = createdPath(vm);
  const unlockKvm = pcOf(PV_ENABLE, `mutex_unlock(${lock.short})`);
  const toPv = CREATE_AT.toPv;
  const destroy = destroyForDisable(vm, k, toPv);
  const firstDestroy = destroy[0]!.at;
  const online = (c: C, t: ThreadView) => vmOf(c, vmIx(t)).created?.online === true;
  const busyStep = (next: string, busyGoto: string): Step<C> => ({
    at: CREATE_AT.busy,
    cite: 'proposed: kvm-s390.c kvm_s390_handle_pv(KVM_PV_ENABLE): if (kvm->created_vcpus != atomic_read(&kvm->online_vcpus)) { r = -EBUSY; break; } (the idiom of kvm_vm_ioctl_enable_dirty_log_ring\'s created_vcpus test)',
    reads: [[...cr, 'counted'], [...cr, 'online']],
    next: [{ if: named('created_vcpus != online_vcpus: -EBUSY', (c: C, t) => { const v = vmOf(c, vmIx(t)).created; return !!v && v.counted && !v.online; }), goto: busyGoto }, { goto: next }],
  });
  const acq = acquire<C>(lock, 'write', { cite: 'kvm-s390.c kvm_s390_handle_pv: if (need_lock) mutex_lock(&kvm->lock)', sleeps: true });
  const acqPc = pcOf(PV_ENABLE, acq.at);
  return kfunction(PV_ENABLE, 'arch/s390/kvm/kvm-s390.c kvm_s390_handle_pv(KVM_PV_ENABLE) -> kvm_s390_pv_init_vm, kvm_s390_cpus_to_pv -> interrupt.c kvm_s390_gisa_disable', [
    ...(busy === 'unlocked' ? [busyStep(acqPc, 'return')] : []),
    acq,
    ...(busy === 'locked' ? [busyStep(CREATE_AT.initVm, unlockKvm)] : []),
    {
      at: CREATE_AT.initVm,
      cite: 'kvm-s390.c kvm_s390_handle_pv(KVM_PV_ENABLE): r = kvm_s390_pv_init_vm(kvm, &cmd->rc, &cmd->rrc) (pv.c: kvm_s390_pv_set_handle: kvm_s390_pv_is_protected from now on)',
      writes: [['vms', vm, 'pv']],
      run: (c, t) => void (vmOf(c, vmIx(t)).pv = true),
    },
    {
      at: 'kvm_s390_gisa_disable@if (!gi->origin)',
      cite: 'kvm-s390.c kvm_s390_cpus_to_pv: if (!uv_has_feature(BIT_UV_FEAT_AIV)) kvm_s390_gisa_disable(kvm); interrupt.c kvm_s390_gisa_disable: if (!gi->origin) return; kvm_for_each_vcpu (up to online_vcpus)',
      reads: [['vms', vm, 'gisa', 'origin'], [...cr, 'online']],
      next: [
        { if: named('!gi->origin', (c: C, t) => !vmOf(c, vmIx(t)).gisa.origin), goto: toPv },
        { if: named('kvm_for_each_vcpu: online', online), goto: PV_AT.aivClear },
        { goto: firstDestroy },
      ],
    },
    {
      at: PV_AT.aivClear,
      cite: 'interrupt.c kvm_s390_gisa_disable: mutex_lock(&vcpu->mutex); vcpu->arch.sie_block->eca &= ~ECA_AIV; vcpu->arch.sie_block->gd = 0U; mutex_unlock(&vcpu->mutex)',
      writes: [[...cr, 'gd']],
      run: (c, t) => void (createdOf(c, t).gd = false),
      next: firstDestroy,
    },
    ...destroy,
    {
      at: toPv,
      cite: 'kvm-s390.c kvm_s390_cpus_to_pv: kvm_for_each_vcpu(i, vcpu, kvm) { mutex_lock(&vcpu->mutex); r = kvm_s390_pv_create_cpu(vcpu, rc, rrc); mutex_unlock(&vcpu->mutex); }',
      reads: [[...cr, 'online']],
      writes: [[...cr, 'pvCpu']],
      run: (c, t) => {
        if (online(c, t)) createdOf(c, t).pvCpu = true;
      },
    },
    release<C>(lock, 'write', { cite: 'kvm-s390.c kvm_s390_handle_pv: if (need_lock) mutex_unlock(&kvm->lock)' }),
  ]);
}
