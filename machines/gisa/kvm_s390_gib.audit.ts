// Kernel audit of kvm_s390_gib: every pinned function that reads or writes the GIB alert list,
// each branch marked for the machine (issue 12). Facts: machines/audit-kernel.ts.
import type { KernelAudit } from '../../src/audit.ts';
import { abstracted, entry, ignored, missing, modelled, modelledAs } from '../audit-lib.ts';
import { F, FILE, K, PINNED_AUDIT } from '../audit-kernel.ts';

/** What modelling the PV switch needs, said once for every branch it touches. */
export const PV_SWITCH =
  'protected virtualization: KVM_PV_ENABLE on a host whose ultravisor lacks AIV runs kvm_s390_gisa_disable (ECA_AIV and gd cleared per vcpu, kvm_s390_gisa_destroy: origin NULL, mask 0, ref_count[] kept), KVM_PV_DISABLE / ASYNC_CLEANUP_PREPARE / the mm release re-enable it (kvm_s390_gisa_init again with the stale ref_count[]); to model: KVM_PV_ENABLE and KVM_PV_DISABLE events on a running VM with a uvAiv configuration parameter, the GISA region going alive -> destroyed -> alive, and properties that no registration, pin or AP interruption outlives the disable and that ref_count[] matches alert.mask after the enable';
export const NO_AIV =
  'a host without the AIV facility (or use_gisa = 0): no GIB, gi->origin NULL for every VM, kvm_s390_gisc_register answers -ENODEV (vfio_ap answers PQAP(AQIC) with 06), vfio_ap handle_pqap returns -EOPNOTSUPP (ECA_AIV clear); to model: an aiv/useGisa configuration parameter giving every GISA region the initial state destroyed (origin NULL, page allocated) and the vcpus no ECA_AIV';
/** zPCI adapter-event forwarding (issue 12): what the GISA machine and the composed guest model, and why the GIB's own machine need not. */
export const ZPCI_FORWARD =
  'zPCI adapter-event forwarding touches no GIB field with aism 0: aen_process_gait -> aen_host_forward sets the IPM bit of the target GISA (gisa_set_ipm_gisc) and restarts its gi->timer (hrtimer_start 0): the GISA machine\'s fields, modelled there and in the composed guest (event aen_process_gait, kernel function aen_host_forward; system configuration aen); with aism != 0 the same host interruption also signals the alert list and process_gib_alert_list follows in the same handler: the gib_alert_irq_handler step of this machine (the forward leaves the GIB and the GAL interruption as they were, so the combined step ends where the two steps do)';
export const CONCURRENT_GAL =
  'process_gib_alert_list is one step in this machine; the GAL handler and kvm_s390_gisa_destroy running it on two CPUs at once (the xchg, each unlink and the loop test as steps of a thread per caller) are the GISA machine\'s fine-grained configurations gal-destroy and two-vms-destroy (kvm_s390_gisa_interrupt.threads.ts; FAULT.GAL_WALK_ON_DEAD_GISA)';

export const gibAudit: KernelAudit = {
  machine: 'kvm_s390_gib',
  pinned: PINNED_AUDIT,
  files: [FILE.interrupt, FILE.kvmS390],
  modelledFields: [F.alertListOrigin, F.nextAlert, F.galPending, F.timer],
  nonKernel: {
    gisa_alert: 'millicode enqueues a GISA on the alert list (raised by the GISA_ADAPTER_INTERRUPTION step; an environment event of the GIB machine)',
    gal_interruption: 'millicode: the GISA was enqueued on an empty list (origin NULL_GISA_ADDR), a GAL interruption is made pending for the host',
    gisa_enqueue: 'millicode: the GISA was enqueued on a non-empty or cut-off list, no GAL interruption',
    gal_pending: 'the host has a GAL interruption pending: the only time gib_alert_irq_handler runs',
    alert_list_origin: 'the GIB region follows gib->alert_list_origin (gib.origin) after a kernel function changed it (settle)',
    gisa_destroy_calls_process_gib_alert_list: 'environment of the GIB machine: kvm_s390_gisa_destroy of a listed GISA calls process_gib_alert_list (gisa_set_iam answered -EBUSY)',
    gisa_in_alert_list: 'model helper, no function of its own in v6.17-rc4: the test (u64)gisa != word >> 32 that gisa_set_iam makes (gisa->next_alert is not the GISA itself: it is listed)',
    __find_vcpu_for_floating_irq: 'design switch gib-v2..v4: the kick target of "KVM: s390: make use of the GIB" v2..v4 (not in v6.17-rc4): the first idle vcpu, else the first not stopped',
    __floating_airqs_kick: 'design switch gib-v5: the kick of GIB series v5 (not in v6.17-rc4): idle vcpus covering the IPM, else restore the IAM',
    get_ipm: 'design switch gib-v5: get_ipm(gisa, IRQ_FLAG_IAM) of GIB series v5 (not in v6.17-rc4): restore the IAM when not listed and the IPM is clean',
    gib_single_pass: 'design switch gib-v2: unlink_gib_alert_list of "KVM: s390: make use of the GIB" v2 (not in v6.17-rc4): one cmpxchg to NULL, no cut-off',
  },
  entries: [
    entry(K.gib_alert_irq_handler, {
      gal: modelled('gib_alert_irq_handler', 'gal_pending'),
      aen: abstracted(ZPCI_FORWARD),
    }),
    entry(K.process_gib_alert_list, {
      cut: modelled('gib_alert_irq_handler'),
      unlink: modelledAs('the unlink and the kicker start (hrtimer_cancel + hrtimer_start: armed) are one step per GISA (process_gib_alert_list_gisa, the loop body)', 'gib_alert_irq_handler', 'process_gib_alert_list', 'process_gib_alert_list_gisa', 'kvm_s390_gisa_destroy'),
      again: abstracted('the middle xchg(NONE_GISA_ADDR) iteration is folded into the final pass: process_gib_alert_list walks every GISA enqueued since the cut-off and stores NULL_GISA_ADDR in one step; which GISAs get unlinked is the same'),
      final: modelled('process_gib_alert_list'),
      concurrent: abstracted(CONCURRENT_GAL),
    }),
    entry(K.kvm_s390_gisa_destroy, {
      none: ignored('no GISA: the GIB is not touched'),
      warn: ignored('reads alert.mask only'),
      zero: ignored('writes gi->alert.mask, a GISA field (kvm_s390_gisa_interrupt models it)'),
      iam: ignored('not listed: the GIB is not touched; the IAM is a GISA field'),
      busy: modelled('kvm_s390_gisa_destroy', 'process_gib_alert_list'),
      cancel: abstracted('the kicker and gi->origin are the GISA machine\'s (kvm_s390_gisa_destroy action); the GIB machine\'s destroy transition only moves the origin to NULL_GISA_ADDR'),
    }),
    entry(K.gisa_set_iam, {
      busy: modelled('kvm_s390_gisa_destroy', 'process_gib_alert_list'),
      set: ignored('writes the IAM, a GISA field'),
    }),
    entry(K.GISA_ADAPTER_INTERRUPTION, {
      sie: ignored('presented in SIE: the GIB is not involved'),
      ipm: ignored('writes the IPM, a GISA field'),
      alert: modelled('gisa_alert', 'gisa_enqueue', 'gal_interruption'),
      gal: modelled('gal_interruption'),
      noAlert: ignored('no alert: the GIB is not involved'),
      freed: abstracted('the GISA machine stops at the write into the freed page (kasan_gisa_use_after_free records it); an enqueue of the freed GISA is the FreedGisaNotInAlertList violation it leads to'),
    }),
    entry(K.kvm_s390_gisa_init, {
      noAiv: abstracted('no GISA (kvm_s390_gisa_interrupt configuration no-aiv): nothing is ever listed, the GIB stays NULL_GISA_ADDR'),
      init: abstracted('the initial state: every GISA unlisted (gib.list = 0)'),
      reinit: modelledAs('the memset sets next_alert to the GISA itself; one the GIB list still reaches stays in the list (GisaInitNotListed, pv-switch)', 'kvm_s390_gisa_init'),
    }),
    entry(K.kvm_s390_gisa_disable, {
      none: ignored('no GISA'),
      vcpus: ignored('SIE block fields'),
      destroy: modelled('kvm_s390_gisa_disable', 'kvm_s390_gisa_destroy', 'process_gib_alert_list'),
    }),
    entry(K.aen_process_gait, {
      noGait: ignored('nothing'),
      forward: abstracted(ZPCI_FORWARD),
      suppressed: ignored('nothing'),
      noKvm: ignored('nothing'),
    }),
    entry(K.kvm_s390_gib_init, {
      noAiv: abstracted('configuration parameter aiv = false (kvm_s390_gisa_interrupt no-aiv): no VM has a GISA, so no alert reaches the GIB, which stays NULL_GISA_ADDR'),
      nomem: ignored('KVM does not load: no GIB, no VM'),
      regFail: ignored('KVM does not load: no GIB, no VM'),
      sgibFail: ignored('KVM does not load: no GIB, no VM'),
      aenFail: ignored('KVM does not load; note that the freed GIB page stays associated with the AIV facility (no chsc_sgib(0) on this path): only the gib pointer changes, no GISA exists yet'),
      ok: abstracted('the zeroed GIB page is the initial state NULL_GISA_ADDR'),
    }),
    entry(K.kvm_s390_gib_destroy, {
      none: ignored('no GIB'),
      destroy: ignored('module unload: only without VMs (each VM fd holds the kvm module), so no GISA is listed; only the gib pointer and the GAL handler change'),
    }),
    entry(K.__kvm_s390_init, {
      gibFail: ignored('KVM does not load: no object exists'),
      ok: abstracted('module load: the machine starts after it (NULL_GISA_ADDR)'),
    }),
  ],
};
