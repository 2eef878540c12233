// The machines of the gisa area: the GIB and one VM's GISA.
import { coreSpec } from '../system/spec.ts';
import type { Parts } from '../system/system.machine.ts';
import { gibInvariants } from './kvm_s390_gib.invariants.ts';
import { gibConfigurations } from './kvm_s390_gib.bounds.ts';
import { gibVariants } from './kvm_s390_gib.variants.ts';
import { gisaInvariants } from './kvm_s390_gisa_interrupt.invariants.ts';
import { gisaConfigurations } from './kvm_s390_gisa_interrupt.bounds.ts';
import { gisaVariants } from './kvm_s390_gisa_interrupt.variants.ts';
import { gibAudit } from './kvm_s390_gib.audit.ts';
import { gisaAudit } from './kvm_s390_gisa_interrupt.audit.ts';

/** The GIB region, and as its environment the call of process_gib_alert_list by a v6.6 kvm_s390_gisa_destroy (exercised in the GISA machine). */
export const gibSpecParts: Parts = { gib: true, env: true };

export const gibSpec = coreSpec({
  id: 'kvm_s390_gib',
  audit: gibAudit,
  area: 'gisa',
  kernelObject: 'kvm_s390_gib',
  parts: gibSpecParts,
  configurations: gibConfigurations,
  variants: gibVariants,
  invariants: gibInvariants,
});

export const gisaSpec = coreSpec({
  id: 'kvm_s390_gisa_interrupt',
  audit: gisaAudit,
  area: 'gisa',
  kernelObject: 'kvm_s390_gisa_interrupt',
  parts: { gib: true, gisa: true, env: true },
  configurations: gisaConfigurations,
  variants: gisaVariants,
  invariants: [...gibInvariants, ...gisaInvariants],
});
