// Safety predicates of the GISA, each citing the kernel rule it encodes.
import { FAULT } from '../context.ts';
import { byte, inv, listed, region, registeredMask } from '../invariant-lib.ts';

export const GisaTypeOK = inv(
  'TypeOK',
  'kvm_host.h: ipm, iam and alert.mask are u8, ref_count[] is u32; the region state says whether gi->origin is set and the page is freed',
  ({ value, context }) =>
    context.vms.every((k, vm) => {
      const g = k.gisa;
      const st = region(value, `vm${vm}`, 'gisa');
      const lifecycle = st === undefined || (st === 'alive') === g.origin && (st === 'freed') === g.freed;
      return byte(g.ipm) && byte(g.iam) && byte(g.mask) && g.ref.every((r) => Number.isInteger(r) && r >= 0) && lifecycle;
    }),
);

export const AlertMaskIsRegisteredIscs = inv(
  'AlertMaskIsRegisteredIscs',
  'interrupt.c kvm_s390_gisc_register/unregister: alert.mask holds exactly the ISCs whose ref_count is non-zero',
  ({ context }) => context.vms.every((k) => !k.gisa.origin || k.gisa.mask === registeredMask(k.gisa.ref)),
);

export const IamRestoredOrKickerArmed = inv(
  'IamRestoredOrKickerArmed',
  'interrupt.c gisa_vcpu_kicker/gisa_get_ipm_or_restore_iam: a GISA that is neither listed nor watched by an armed kicker has IAM == alert.mask, so the next interruption alerts',
  ({ context }) => context.vms.every((k, vm) => !k.gisa.origin || listed(context, vm) || k.gisa.timer || k.gisa.iam === k.gisa.mask),
);

export const FreedGisaNotInAlertList = inv(
  'FreedGisaNotInAlertList',
  'f87ef5723536 (kvm_s390_gisa_destroy): IAM 0 and the GISA unlinked before sie_page2 is freed, or process_gib_alert_list walks freed memory',
  ({ context }) => context.vms.every((k, vm) => !k.gisa.freed || !listed(context, vm)),
);

export const AlertMaskZeroAtDestroy = inv(
  'AlertMaskZeroAtDestroy',
  'interrupt.c kvm_s390_gisa_destroy: WARN(gi->alert.mask != 0x00) since f87ef5723536; every driver unregisters its GISCs first',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.DESTROY_WITH_ALERT_MASK)),
);

export const NoGisaUseAfterFree = inv(
  'NoGisaUseAfterFree',
  'kvm-s390.c kvm_arch_destroy_vm frees sie_page2 after kvm_s390_gisa_destroy: no interruption may be made pending in it afterwards (Halil Pasic on the AQIC series)',
  ({ context }) => context.vms.every((k) => !(k.faults & FAULT.GISA_WRITE_AFTER_FREE)),
);

export const gisaInvariants = [GisaTypeOK, AlertMaskIsRegisteredIscs, IamRestoredOrKickerArmed, FreedGisaNotInAlertList];
