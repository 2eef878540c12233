// Safety predicates of the GISA, each citing the kernel rule it encodes.
import { FAULT, MAX_ISC } from '../context.ts';
import { byte, inv, listed, region, registeredMask } from '../invariant-lib.ts';
import { lockFree, lockPath, reported, spinlock, type KContext, type Path } from '../kthread.ts';

/** gi->alert.ref_lock of VM vm (machines/gisa/kvm_s390_gisa_interrupt.threads.ts takes it). */
export const ref_lock = (vm: number) => spinlock('gi->alert.ref_lock', vm);

/** The thread that runs the GAL interruption handler step by step (configuration register-unregister-gal). */
export const GAL_THREAD = 'gal';
/** Its local: the VMs (bit vm) whose GISA it has unlinked and not yet armed the kicker for. */
export const GAL_HELD = 'held';
/** The GISA of VM vm is between the GAL handler's unlink and its hrtimer_start: the kicker is about to be armed. */
export const galHolds = (c: KContext, vm: number): boolean => (((c.threads?.locals[GAL_THREAD]?.[GAL_HELD] as number | undefined) ?? 0) & (1 << vm)) !== 0;
/** The VMs whose GISA the GAL handler thread has cut off with its xchg and not unlinked yet (its local `cut`). */
export const galCut = (c: KContext): number => (c.threads?.locals[GAL_THREAD]?.cut as number | undefined) ?? 0;
/** What galHolds and galCut read: the GAL thread's locals (no other configuration has a thread named `gal`, so their steps stay independent of it). */
export const galHeldPath: Path = ['threads', 'locals', GAL_THREAD];

export const GisaTypeOK = inv(
  'TypeOK',
  'kvm_host.h: ipm, iam and alert.mask are u8, ref_count[MAX_ISC + 1] is u32 (kvm_s390_gisc_register/unregister refuse gisc > MAX_ISC with -ERANGE, so nothing indexes past it); the region state says whether gi->origin is set and the page is freed',
  ({ value, context }) =>
    context.vms.every((k, vm) => {
      const g = k.gisa;
      const st = region(value, `vm${vm}`, 'gisa');
      const lifecycle = st === undefined || (st === 'alive') === g.origin && (st === 'freed') === g.freed;
      return byte(g.ipm) && byte(g.iam) && byte(g.mask) && g.ref.length === MAX_ISC + 1 && g.ref.every((r) => Number.isInteger(r) && r >= 0) && lifecycle;
    }),
  {
    context: [['vms', '*', 'gisa', 'ipm'], ['vms', '*', 'gisa', 'iam'], ['vms', '*', 'gisa', 'mask'], ['vms', '*', 'gisa', 'ref'], ['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'freed'], ['vms', 'length']],
    value: [['*', 'gisa']],
  },
);

export const AlertMaskIsRegisteredIscs = inv(
  'AlertMaskIsRegisteredIscs',
  'interrupt.c kvm_s390_gisc_register/unregister: alert.mask holds exactly the ISCs whose ref_count is non-zero',
  ({ context }) => context.vms.every((k) => !k.gisa.origin || k.gisa.mask === registeredMask(k.gisa.ref)),
  { context: [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'mask'], ['vms', '*', 'gisa', 'ref'], ['vms', 'length']] },
);

export const IamRestoredOrKickerArmed = inv(
  'IamRestoredOrKickerArmed',
  'interrupt.c gisa_vcpu_kicker/gisa_get_ipm_or_restore_iam: a GISA that is neither listed nor watched by an armed kicker (nor unlinked by process_gib_alert_list and about to arm it) has IAM == alert.mask, so the next interruption alerts; kvm_s390_gisc_register/unregister update both under gi->alert.ref_lock, so in a fine-grained configuration it holds whenever that lock is free',
  ({ context }) => context.vms.every((k, vm) => !k.gisa.origin || listed(context, vm) || k.gisa.timer || galHolds(context, vm) || k.gisa.iam === k.gisa.mask || !lockFree(context, ref_lock(vm))),
  // of the locks, ref_lock of each VM (at most 3): steps on other locks (vfio_ap's) stay invisible to it
  { context: [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'timer'], ['vms', '*', 'gisa', 'iam'], ['vms', '*', 'gisa', 'mask'], ['gib', 'list'], ['vms', 'length'], ...[0, 1, 2].map((vm) => lockPath(ref_lock(vm))), galHeldPath] },
);

export const FreedGisaNotInAlertList = inv(
  'FreedGisaNotInAlertList',
  'f87ef5723536 (kvm_s390_gisa_destroy): IAM 0 and the GISA unlinked before sie_page2 is freed, or process_gib_alert_list walks freed memory',
  ({ context }) => context.vms.every((k, vm) => !k.gisa.freed || !listed(context, vm)),
  { context: [['vms', '*', 'gisa', 'freed'], ['gib', 'list'], ['vms', 'length']] },
);

export const AlertMaskZeroAtDestroy = inv(
  'AlertMaskZeroAtDestroy',
  'interrupt.c kvm_s390_gisa_destroy: WARN(gi->alert.mask != 0x00) since f87ef5723536; every driver unregisters its GISCs first',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.DESTROY_WITH_ALERT_MASK)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

export const NoGisaUseAfterFree = inv(
  'NoGisaUseAfterFree',
  'kvm-s390.c kvm_arch_destroy_vm frees sie_page2 after kvm_s390_gisa_destroy: no interruption may be made pending in it afterwards (Halil Pasic on the AQIC series)',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISA_WRITE_AFTER_FREE)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] }, { stable: true },
);

export const KickerSeesLiveGisa = inv(
  'KickerSeesLiveGisa',
  'interrupt.c kvm_s390_gisa_destroy: hrtimer_cancel(&gi->timer) (which waits for a running callback) comes before gi->origin = NULL, and sie_page2 is freed after, so gisa_vcpu_kicker never dereferences a NULL origin or a freed GISA',
  ({ context }) => !reported(context, FAULT.KICKER_ON_DEAD_GISA),
  { context: [['threads', 'found']] }, { stable: true },
);

// Issue 11, GISC register/unregister against alert processing (configurations register-kicker,
// register-unregister-kicker): the two directions of IamRestoredOrKickerArmed, each its own
// kernel promise, so a report says which one an interleaving broke.

/** The GISA of VM vm is in alert processing: listed (the GAL handler will arm the kicker), unlinked by the GAL handler that is about to arm it, or its kicker armed (it restores the IAM). */
const alertProcessing = (c: Parameters<typeof listed>[0], vm: number): boolean => listed(c, vm) || c.vms[vm]!.gisa.timer || galHolds(c, vm);
const alertReads = [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'timer'], ['vms', '*', 'gisa', 'iam'], ['vms', '*', 'gisa', 'mask'], ['gib', 'list'], ['vms', 'length'], ...[0, 1, 2].map((vm) => lockPath(ref_lock(vm))), galHeldPath] as const;

export const RegisteredIscAlerts = inv(
  'RegisteredIscAlerts',
  'interrupt.c kvm_s390_gisc_register: "The effective IAM mask in the GISA is updated as well in case the GISA is not part of the GIB alert list. It will be updated latest when the IAM gets restored by gisa_get_ipm_or_restore_iam()": once register has dropped gi->alert.ref_lock, every ISC in alert.mask alerts (its IAM bit set) unless the GISA is in alert processing (listed, or the kicker armed to restore the IAM), so no interruption of a registered ISC is left without an alert or a kicker',
  ({ context }) => context.vms.every((k, vm) => !k.gisa.origin || (k.gisa.mask & ~k.gisa.iam) === 0 || alertProcessing(context, vm) || !lockFree(context, ref_lock(vm))),
  { context: [...alertReads] },
);

export const NoStaleIamAfterUnregister = inv(
  'NoStaleIamAfterUnregister',
  'interrupt.c kvm_s390_gisc_unregister: "The function reduces the vm specific alert mask to use. The effective IAM mask in the GISA is updated as well in case the GISA is not part of the GIB alert list. It will be updated latest when the IAM gets restored by gisa_get_ipm_or_restore_iam()": once unregister has dropped gi->alert.ref_lock and alert processing has finished (not listed, no kicker armed), no IAM bit of an ISC outside alert.mask is set',
  ({ context }) => context.vms.every((k, vm) => !k.gisa.origin || (k.gisa.iam & ~k.gisa.mask) === 0 || alertProcessing(context, vm) || !lockFree(context, ref_lock(vm))),
  { context: [...alertReads] },
);

// Issue 14 (mutation analysis): properties the mutants showed missing.

export const DestroyedGisaHasNoAlertMask = inv(
  'DestroyedGisaHasNoAlertMask',
  'interrupt.c kvm_s390_gisa_destroy (v6.6+, f87ef5723536): after the WARN on a non-zero alert.mask, gi->alert.mask = 0x00 and gisa_set_iam(gi->origin, 0), then gi->origin = NULL; kvm_s390_gisc_register/unregister return -ENODEV without origin, so nothing sets it again: a destroyed GISA alerts for no ISC',
  ({ context }) => context.vms.every((k) => k.gisa.origin || k.gisa.mask === 0),
  { context: [['vms', '*', 'gisa', 'origin'], ['vms', '*', 'gisa', 'mask'], ['vms', 'length']] },
);

export const gisaInvariants = [GisaTypeOK, AlertMaskIsRegisteredIscs, IamRestoredOrKickerArmed, FreedGisaNotInAlertList, DestroyedGisaHasNoAlertMask];

// Properties of the PV switch (issue 12, configurations pv-switch and pv-use-gisa-cleared).

export const GisaInitNotListed = inv(
  'GisaInitNotListed',
  'interrupt.c kvm_s390_gisa_init: memset(gi->origin) and next_alert = the GISA itself assume the GISA is on no alert list; kvm_s390_gisa_enable re-initialising one the GIB list still reaches makes that list end in a self-loop (process_gib_alert_list: origin = gisa->next_alert never ends) and drops the GISAs behind it',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISA_INIT_WHILE_LISTED)),
  { context: [['vms', '*', 'faults'], ['vms', 'length']] },
);
