// Variants of the GIB machine with the result the checker must find.
import type { CoreVariant } from '../system/spec.ts';

export const gibVariants: CoreVariant[] = [
  {
    id: 'upstream',
    description: 'process_gib_alert_list as merged in v5.2 and unchanged since',
    cite: 'arch/s390/kvm/interrupt.c process_gib_alert_list',
    expectedViolations: [],
  },
  {
    id: 'planted-single-pass',
    description: 'planted bug: process_gib_alert_list stores NULL_GISA_ADDR in its final pass without walking what it cut off, so GISAs millicode enqueued during the first pass stay listed with GAL interruptions enabled again',
    cite: 'planted: interrupt.c process_gib_alert_list without the walk of the final xchg',
    expectedViolations: ['GibTypeOK'],
    kernel: { process_gib_alert_list: (c) => void (c.gib.origin = 'NULL_GISA_ADDR') },
  },
];
