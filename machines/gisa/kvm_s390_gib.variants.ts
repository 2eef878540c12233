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
    // issue 14: GibPassPostcondition too (the final pass leaves what it cut off listed)
    expectedViolations: ['GibTypeOK', 'GibPassPostcondition'],
    kernel: { process_gib_alert_list: (c) => void (c.gib.origin = 'NULL_GISA_ADDR') },
  },
  {
    id: 'planted-first-pass-one-gisa',
    description: 'planted bug (issue 14, breaks GibPassPostcondition only): the GAL handler\'s first pass of process_gib_alert_list unlinks (and arms the kicker of) only the first GISA of the list it cut off; the others wait, listed, for the final pass, so their vcpus are kicked late',
    cite: 'planted: interrupt.c process_gib_alert_list with a "break" after the first GISA of the first pass (v6.17-rc4 otherwise)',
    kernel: {
      gib_alert_irq_handler(c, fx) {
        c.gib.galPending = false;
        c.gib.origin = 'NONE_GISA_ADDR';
        const first = c.vms.findIndex((_, vm) => (c.gib.list & (1 << vm)) !== 0);
        if (first >= 0) this.process_gib_alert_list_gisa(c, first, fx);
      },
    },
    expectedViolations: ['GibPassPostcondition'],
  },
];
