// The kernel audits of the core machines (issue 12): each lists every name its machine uses,
// names only what the machine uses, marks ignored only what writes no modelled field, and has
// exactly the reviewed list of open gaps below (shrink it deliberately as the gaps get modelled).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { specs } from '../machines/index.ts';
import { initialContext } from '../machines/context.ts';
import { F, FIELDS, FILE, K, NOT_KERNEL_FIELDS } from '../machines/audit-kernel.ts';
import { composeAudits, entry, ignored, modelled } from '../machines/audit-lib.ts';
import { kvmAudit } from '../machines/system/kvm.audit.ts';
import { auditGaps, auditProblems, kernelTableNames, machineNames, type KernelAudit } from '../src/audit.ts';
import { main } from '../src/cli.ts';
import { auditCounts, kernelListing } from '../src/commands/list.ts';

// the core machines' audits; the FLIC, vfio-ccw and dirty-log audits have their own test
// (test/machines/contract-audits.test.ts) until this one subsumes them
const CORE = ['kvm_s390_gib', 'kvm_s390_gisa_interrupt', 'kvm_vcpu', 'vfio_ap_queue', 'ap_matrix_mdev', 'kvm', 'system'];
const audited = specs.filter((s) => s.audit && CORE.includes(s.id));
const withAudit = specs.filter((s) => s.audit);

/**
 * Names the machine uses in one configuration, over every variant (designs may differ in
 * transitions). The composed guest cites every function of the kernel table too; a per-object
 * machine's audit may name them in `by` (its actions call them) but need not list them all.
 */
function namesIn(spec: (typeof specs)[number], configuration: string): Set<string> {
  const names = new Set<string>();
  for (const v of spec.variants) {
    if (v.configurations && !v.configurations.includes(configuration)) continue; // a variant that exists only in its own configuration
    const model = spec.model(v.id, configuration);
    for (const n of machineNames(model.machine)) names.add(n);
    if (spec.id === 'system') for (const n of kernelTableNames(model)) names.add(n);
  }
  return names;
}

const allNames = (spec: (typeof specs)[number]) => new Set(spec.configurations.flatMap((c) => [...namesIn(spec, c.id)]));
const tableOf = (spec: (typeof specs)[number]) => kernelTableNames(spec.model());

describe('kernel audits of the core machines', () => {
  it('exist for the seven core machines', () => {
    expect(audited.map((s) => s.id)).toEqual(['kvm_s390_gib', 'kvm_s390_gisa_interrupt', 'kvm_vcpu', 'vfio_ap_queue', 'ap_matrix_mdev', 'kvm', 'system']);
    for (const s of audited) {
      expect(s.audit!.machine).toBe(s.id);
      expect(s.audit!.pinned).toBe(s.pinned);
    }
  });

  it.each(audited.map((s) => [s.id, s] as const))('%s: no problem against the names of every variant and configuration', (_id, spec) => {
    // `by` must name something the machine uses in some configuration (a queue-less
    // configuration has no handle_pqap); every configuration's names must be listed
    expect(auditProblems(spec.audit!, allNames(spec), tableOf(spec))).toEqual([]);
    for (const c of spec.configurations) {
      const unlisted = auditProblems(spec.audit!, namesIn(spec, c.id), tableOf(spec)).filter((p) => !/by '.*', which the machine does not use/.test(p));
      expect(unlisted, c.id).toEqual([]);
    }
  });

  it.each(audited.map((s) => [s.id, s] as const))('%s: the open gaps are exactly the reviewed list', (id, spec) => {
    expect(auditGaps(spec.audit!)).toEqual(GAPS[id]);
  });

  it('every entry comes from a file the audit names (firmware steps and the hrtimer core aside)', () => {
    for (const s of audited) {
      const files = new Set([...s.audit!.files, FILE.firmware, FILE.hrtimer]);
      expect(s.audit!.entries.filter((e) => !files.has(e.file)).map((e) => `${e.fn}: ${e.file}`), s.id).toEqual([]);
    }
  });

  it('maps every kernel field of the core context to its C name, and audits model only mapped fields', () => {
    const leaves = new Set<string>();
    const walk = (v: unknown, path: string): void => {
      if (Array.isArray(v) && v.length && typeof v[0] === 'object') walk(v[0], path);
      else if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
      else leaves.add(path);
    };
    walk(initialContext({ vms: 1, vcpus: 1, queues: 1, iscs: [3] }), '');
    const kernel = [...leaves].filter((l) => !NOT_KERNEL_FIELDS.some((n) => l === n || l.startsWith(`${n}.`)));
    expect(kernel.filter((l) => !(l in FIELDS))).toEqual([]);
    const cNames = new Set(Object.values(FIELDS).flat());
    expect(new Set(Object.values(F))).toEqual(cNames);
    for (const s of audited) expect(s.audit!.modelledFields.filter((f) => !cNames.has(f)), s.id).toEqual([]);
  });

  it('counts marks per machine as the entries and branches say', () => {
    for (const s of audited) {
      const a = s.audit!;
      const c = auditCounts(a);
      const paths = a.entries.reduce((n, e) => n + (e.paths?.length || 1), 0);
      expect(c.paths).toBe(paths);
      expect(c.modelled + c.abstracted + c.ignored + c.missing).toBe(paths);
      expect(c.missing).toBe(auditGaps(a).length);
    }
  });
});

describe('the audit rules bite', () => {
  const names = allNames(specs.find((s) => s.id === 'kvm')!);
  const table = tableOf(specs.find((s) => s.id === 'kvm')!);
  const planted = (f: (a: KernelAudit) => KernelAudit) => auditProblems(f(kvmAudit), names, table);

  it('the kvm audit is clean to start with', () => {
    expect(auditProblems(kvmAudit, names, table)).toEqual([]);
  });

  it('reports an ignored path that writes a modelled field', () => {
    const p = planted((a) => ({ ...a, entries: a.entries.map((e) => (e.fn === 'kvm_put_kvm' ? entry(K.kvm_put_kvm, { dec: ignored('planted'), last: modelled('kvm_put_kvm') }) : e)) }));
    expect(p).toEqual([`kvm: kvm_put_kvm [${K.kvm_put_kvm.paths!.dec!.path}]: marked ignored but writes modelled kvm->users_count`]);
  });

  it('reports a name the machine uses that the audit does not list', () => {
    const p = planted((a) => ({ ...a, entries: a.entries.filter((e) => e.fn !== 'kvm_get_kvm') }));
    expect(p).toEqual(["kvm: the machine uses 'kvm_get_kvm', which its audit does not list"]);
    // the other non-kernel names are also cited as guards of modelled branches; kvm_mine only there
    const q = planted((a) => ({ ...a, nonKernel: {} }));
    expect(q).toEqual(["kvm: the machine uses 'kvm_mine', which its audit does not list"]);
  });

  it('reports a by that names nothing the machine has, and a modelled mark without one', () => {
    const p = planted((a) => ({ ...a, entries: [...a.entries, { ...entry(K.hrtimer_active, modelled('hrtimer_active')), fn: 'planted' }] }));
    expect(p).toEqual(["kvm: planted: by 'hrtimer_active', which the machine does not use"]);
    const q = planted((a) => ({ ...a, entries: [...a.entries, { fn: 'planted', file: FILE.kvmMain, kind: 'helper', locks: [], reads: [], writes: [], mark: 'modelled' }] }));
    expect(q).toEqual(['kvm: planted: marked modelled but names no event, guard or action (by)']);
  });

  it('refuses an unmarked branch, a mark for an unknown one, and a composition that loses every mirroring name', () => {
    expect(() => entry(K.kvm_put_kvm, { dec: modelled('kvm_put_kvm') })).toThrow(/none for \[last\]/);
    expect(() => entry(K.kvm_put_kvm, { dec: modelled('x'), last: modelled('x'), other: modelled('x') })).toThrow(/unknown branches \[other\]/);
    expect(() => composeAudits([kvmAudit], { machine: 'm', pinned: 'p', envOnly: new Set(['kvm_get_kvm', 'bounds_kvm_get_kvm']), remap: {} })).toThrow(/nothing of the composed machine mirrors/);
  });
});

describe('list --kernel', () => {
  afterEach(() => void vi.restoreAllMocks());

  async function run(...argv: string[]) {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
    vi.restoreAllMocks();
    return { code, out, err };
  }

  it('prints one row per function and its branches indented under it', async () => {
    const r = await run('list', '--kernel', '--machine', 'kvm');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^kvm: v6\.17-rc4 .*; 13 entries, /);
    expect(lines[1]).toMatch(/^machine\s+function\s+file\s+kind\s+locks\s+mark\s+by \/ reason$/);
    const rows = lines.filter((l) => l.startsWith('kvm '));
    expect(rows.map((l) => l.split(/\s+/)[1])).toEqual(kvmAudit.entries.map((e) => e.fn));
    const at = lines.findIndex((l) => /^kvm\s+kvm_put_kvm\s+virt\/kvm\/kvm_main\.c\s+exported\s+-\s+modelled/.test(l));
    expect(lines[at + 1]).toMatch(/^ {5,}- users_count stays > 0$/);
    expect(lines[at + 2]).toMatch(/^ {5,}modelled: kvm_put_kvm, driver_holds_reference, kvm_vm_release$/);
    expect(r.out).toMatch(/kvm_vm_ioctl_create_vcpu\s+virt\/kvm\/kvm_main\.c\s+ioctl\s+kvm->lock -> vcpu->mutex/);
  });

  it('prints every audited machine without --machine', async () => {
    const r = await run('list', '--kernel');
    expect(r.out.split('\n').filter((l) => /^\S+: v\d/.test(l)).map((l) => l.split(':')[0])).toEqual(withAudit.map((s) => s.id));
  });

  it('prints JSON: the audits whole, with counts and gaps', async () => {
    const r = await run('list', '--kernel', '--json', '--machine', 'kvm');
    const [a, ...rest] = JSON.parse(r.out);
    expect(rest).toEqual([]);
    expect(a.machine).toBe('kvm');
    expect(a.entries).toEqual(JSON.parse(JSON.stringify(kvmAudit.entries)));
    expect(a.gaps).toEqual(GAPS.kvm);
    expect(a.counts.entries).toBe(kvmAudit.entries.length);
    expect(JSON.parse((await run('list', '--kernel', '--json')).out).map((x: { machine: string }) => x.machine)).toEqual(withAudit.map((s) => s.id));
    expect(kernelListing('system')[0]!.counts.missing).toBe(GAPS.system!.length);
  });

  it.each([
    [['list', '--kernel', '--machine', 'nope'], /unknown machine 'nope'/],
    [['list', '--machine', 'kvm'], /--machine needs --kernel/],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^[^\n]+\n$/);
    expect(r.err).toMatch(message);
  });
});

// The reviewed open gaps: the entries and branches each audit marks missing. Model one, then
// remove it here; issue 12 is done when every list is empty.
const GAPS: Readonly<Record<string, readonly string[]>> = {
  kvm_s390_gib: [
    "gib_alert_irq_handler [(info->forward || info->error) && CONFIG_VFIO_PCI_ZDEV_KVM: aen_process_gait(info->isc); process_gib_alert_list() only if info->aism != 0]",
    "aen_process_gait [for each summary bit: aen_host_forward: unless the GISA's simm and nimm suppress the ISC, gisa_set_ipm_gisc and restart the VM's gisa_vcpu_kicker at 0 (no alert-list enqueue)]",
  ],
  kvm_s390_gisa_interrupt: [
    "gib_alert_irq_handler [(info->forward || info->error) && CONFIG_VFIO_PCI_ZDEV_KVM: aen_process_gait(info->isc); process_gib_alert_list() only if info->aism != 0]",
    "aen_process_gait [for each summary bit: aen_host_forward: unless the GISA's simm and nimm suppress the ISC, gisa_set_ipm_gisc and restart the VM's gisa_vcpu_kicker at 0 (no alert-list enqueue)]",
    "__deliver_io [PV vcpu: the interruption is handed to the ultravisor (iictl = IICTL_CODE_IO), no PSW swap by KVM]",
    "__deliver_io [__do_deliver_io fails writing the guest lowcore after the IPM bit was test-and-cleared: the interruption is lost; KVM_RUN returns the error]",
    "kvm_s390_deliver_pending_interrupts [a deliverer fails (guest lowcore not accessible): the loop stops, vcpu_pre_run returns the error]",
  ],
  kvm_vcpu: [
    "deliverable_irqs [PV vcpu with an interruption already injected (iictl != IICTL_CODE_NONE): I/O, external and machine-check classes masked]",
    "__deliver_io [PV vcpu: the interruption is handed to the ultravisor (iictl = IICTL_CODE_IO), no PSW swap by KVM]",
    "__deliver_io [__do_deliver_io fails writing the guest lowcore after the IPM bit was test-and-cleared: the interruption is lost; KVM_RUN returns the error]",
    "kvm_s390_deliver_pending_interrupts [a deliverer fails (guest lowcore not accessible): the loop stops, vcpu_pre_run returns the error]",
    "vcpu_pre_run [the delivery fails or a guest-debug exit is pending: return before kicked_mask is cleared; KVM_RUN ends]",
    "__vcpu_run [PV vcpu exiting with ICPT_PV_INSTR or ICPT_PV_PREF: gpsw.mask &= ~(EXT | IO | MCHECK) until the next exit refreshes the PSW]",
    "kvm_s390_vcpu_start [PV vcpu: gpsw.mask &= ~(EXT | IO | MCHECK) until the next SIE exit refreshes it]",
    "kvm_arch_vcpu_create [icpua = vcpu_id; gd = kvm_s390_get_gisa_desc (0 without a GISA, format-1 bit with sclp.has_gisaf); kvm_s390_vcpu_setup: cpuflags = ZARCH | SM | STOPPED; eca |= ECA_AIV only if gd; ECA_APIE if crypto.apie]",
  ],
  vfio_ap_queue: [
    "vfio_ap_mdev_set_kvm [another mdev has this kvm: the locks are released and -EPERM returned, the hook left pointing at this mdev (the other mdev's hook is lost; after this mdev is removed the hook points at freed memory)]",
    "assign_adapter_store [vfio_ap_mdev_validate_masks fails (an APQN reserved for the host drivers, or assigned to another mdev): the bit is cleared again]",
    "assign_adapter_store [vfio_ap_mdev_filter_matrix changed the guest's APCB (a guest is attached, or not: the shadow is kept either way): vfio_ap_mdev_update_guest_apcb (with a KVM: set masks, signal the cfg eventfd); reset the queues of the APIDs filtered out]",
    "assign_domain_store [vfio_ap_mdev_validate_masks fails (an APQN reserved for the host drivers, or assigned to another mdev): the bit is cleared again]",
    "assign_domain_store [vfio_ap_mdev_filter_matrix changed the guest's APCB (a guest is attached, or not: the shadow is kept either way): vfio_ap_mdev_update_guest_apcb (with a KVM: set masks, signal the cfg eventfd); reset the queues of the APIDs filtered out]",
    "unassign_adapter_store [clear the bit; vfio_ap_mdev_hot_unplug_adapter: every queue of the APID leaves the qtable; those in the guest's APCB are collected, the APCB updated, the queues reset (vfio_ap_mdev_reset_qlist, flushed), then q->matrix_mdev = NULL]",
    "unassign_adapter_store [a queue of the APID not in the guest's APCB (filtered out) leaves the qtable without a reset and keeps q->matrix_mdev pointing at this mdev, also after the mdev is removed (vfio_ap_mdev_remove_queue later locks through it)]",
    "unassign_domain_store [clear the bit; vfio_ap_mdev_hot_unplug_domain: every queue of the APQI leaves the qtable; those in the guest's APCB are collected, the APCB updated, the queues reset (vfio_ap_mdev_reset_qlist, flushed), then q->matrix_mdev = NULL]",
    "unassign_domain_store [a queue of the APQI not in the guest's APCB (filtered out) leaves the qtable without a reset and keeps q->matrix_mdev pointing at this mdev, also after the mdev is removed (vfio_ap_mdev_remove_queue later locks through it)]",
    "ap_config_store [hot unplug the removed adapters and domains (reset, unlink), link the added ones, filter, update the guest's APCB and reset the filtered APIDs]",
    "vfio_ap_mdev_validate_masks [an APQN is assigned to another mdev (vfio_ap_mdev_verify_no_sharing)]",
    "kvm_s390_vm_set_crypto [ENABLE_APIE / DISABLE_APIE: crypto.apie = 1 / 0; kvm_s390_vcpu_crypto_reset_all sets or clears ECA_APIE on every vcpu (blocked out of SIE meanwhile)]",
    "vfio_ap_mdev_probe_queue [an mdev has the APQN assigned: vfio_ap_mdev_link_queue (q->matrix_mdev, qtable)]",
    "vfio_ap_mdev_probe_queue [not during a configuration add (apm_add/aqm_add empty): vfio_ap_mdev_filter_matrix; changed: update the guest's APCB, reset the queues of the APIDs filtered out]",
    "vfio_ap_mdev_remove_queue [with it every other queue of that APID in the guest's APCB is reset too (a single queue cannot be unplugged), and stays linked]",
    "PQAP_AQIC [!(eca & ECA_APIE): the guest may not use AP instructions (KVM_S390_VM_CRYPTO_DISABLE_APIE)]",
    "PQAP_AQIC [no facility 65 (AP interruption control): PGM_SPECIFICATION]",
    "PQAP_AQIC [no hook: response code 0x01 (AP_RESPONSE_Q_NOT_AVAIL) in gr1, cc 3]",
    "handle_pqap [vfio_ap_mdev_get_queue finds no queue for the APQN in gr0 (not assigned, not bound to vfio_ap, or unplugged): response 01]",
    "vfio_ap_irq_enable [PV vcpu and ensure_nib_shared (uv_pin_shared) fails: the NIB is unpinned, response 06]",
    "vfio_ap_free_aqic_resources [saved_iova set but q->matrix_mdev NULL: WARN_ON; the NIB stays pinned and saved_iova stays]",
    "vfio_ap_mdev_dma_unmap [unmap_iova: for each queue of the qtable whose saved_iova lies in the range: vfio_ap_irq_disable]",
    "vfio_ap_mdev_remove [vfio_ap_mdev_reset_queues: ZAPQ every queue of the qtable, flush the reset works]",
    "vfio_ap_mdev_remove [vfio_ap_mdev_unlink_fr_queues: q->matrix_mdev = NULL for each APQN of apm x aqm; list_del; vfio_put_device frees matrix_mdev]",
    "vfio_ap_on_cfg_changed [vfio_ap_mdev_cfg_remove locks matrix_mdev->kvm->lock for every mdev of mdev_list without checking matrix_mdev->kvm: an mdev not attached to a guest is a NULL dereference]",
    "vfio_ap_on_scan_complete [vfio_ap_mdev_hot_plug_cfg: filter the matrix, update the guest's APCB, reset the queues of the APIDs filtered out; the add bitmaps cleared]",
    "vfio_ap_on_scan_complete [vfio_ap_mdev_hot_plug_cfg locks matrix_mdev->kvm->lock without a NULL check: an mdev with additions but no guest is a NULL dereference]",
    "vfio_ap_on_scan_complete [only control domains were added: vfio_ap_mdev_filter_matrix is not called and apm_filtered (an uninitialised stack bitmap) is passed to reset_queues_for_apids: queues of arbitrary APIDs of the mdev may be reset]",
  ],
  ap_matrix_mdev: [
    "kvm_get_kvm_safe [refcount_inc_not_zero succeeds]",
    "vfio_ap_mdev_set_kvm [another mdev has this kvm: the locks are released and -EPERM returned, the hook left pointing at this mdev (the other mdev's hook is lost; after this mdev is removed the hook points at freed memory)]",
    "handle_pqap [!(eca & ECA_AIV) (no GISA for the vcpu: no AIV, use_gisa = 0, disabled for PV): checked before the lock]",
    "handle_pqap [vfio_ap_mdev_get_queue finds no queue for the APQN in gr0 (not assigned, not bound to vfio_ap, or unplugged): response 01]",
    "vfio_ap_mdev_probe [vfio_ap_mdev_init_dev: empty matrix, pqap_hook = handle_pqap, empty qtable, kvm NULL; the mdev joins mdev_list]",
    "vfio_ap_mdev_remove [vfio_ap_mdev_reset_queues: ZAPQ every queue of the qtable, flush the reset works]",
    "vfio_ap_mdev_remove [vfio_ap_mdev_unlink_fr_queues: q->matrix_mdev = NULL for each APQN of apm x aqm; list_del; vfio_put_device frees matrix_mdev]",
    "vfio_ap_on_cfg_changed [vfio_ap_mdev_cfg_remove locks matrix_mdev->kvm->lock for every mdev of mdev_list without checking matrix_mdev->kvm: an mdev not attached to a guest is a NULL dereference]",
    "vfio_ap_on_scan_complete [vfio_ap_mdev_hot_plug_cfg: filter the matrix, update the guest's APCB, reset the queues of the APIDs filtered out; the add bitmaps cleared]",
    "vfio_ap_on_scan_complete [vfio_ap_mdev_hot_plug_cfg locks matrix_mdev->kvm->lock without a NULL check: an mdev with additions but no guest is a NULL dereference]",
    "vfio_ap_on_scan_complete [only control domains were added: vfio_ap_mdev_filter_matrix is not called and apm_filtered (an uninitialised stack bitmap) is passed to reset_queues_for_apids: queues of arbitrary APIDs of the mdev may be reset]",
  ],
  kvm: [
    "kvm_get_kvm_safe [refcount_inc_not_zero succeeds]",
  ],
  system: [
    "gib_alert_irq_handler [(info->forward || info->error) && CONFIG_VFIO_PCI_ZDEV_KVM: aen_process_gait(info->isc); process_gib_alert_list() only if info->aism != 0]",
    "aen_process_gait [for each summary bit: aen_host_forward: unless the GISA's simm and nimm suppress the ISC, gisa_set_ipm_gisc and restart the VM's gisa_vcpu_kicker at 0 (no alert-list enqueue)]",
    "deliverable_irqs [PV vcpu with an interruption already injected (iictl != IICTL_CODE_NONE): I/O, external and machine-check classes masked]",
    "__deliver_io [PV vcpu: the interruption is handed to the ultravisor (iictl = IICTL_CODE_IO), no PSW swap by KVM]",
    "__deliver_io [__do_deliver_io fails writing the guest lowcore after the IPM bit was test-and-cleared: the interruption is lost; KVM_RUN returns the error]",
    "kvm_s390_deliver_pending_interrupts [a deliverer fails (guest lowcore not accessible): the loop stops, vcpu_pre_run returns the error]",
    "vcpu_pre_run [the delivery fails or a guest-debug exit is pending: return before kicked_mask is cleared; KVM_RUN ends]",
    "__vcpu_run [PV vcpu exiting with ICPT_PV_INSTR or ICPT_PV_PREF: gpsw.mask &= ~(EXT | IO | MCHECK) until the next exit refreshes the PSW]",
    "kvm_s390_vcpu_start [PV vcpu: gpsw.mask &= ~(EXT | IO | MCHECK) until the next SIE exit refreshes it]",
    "kvm_arch_vcpu_create [icpua = vcpu_id; gd = kvm_s390_get_gisa_desc (0 without a GISA, format-1 bit with sclp.has_gisaf); kvm_s390_vcpu_setup: cpuflags = ZARCH | SM | STOPPED; eca |= ECA_AIV only if gd; ECA_APIE if crypto.apie]",
    "kvm_get_kvm_safe [refcount_inc_not_zero succeeds]",
    "vfio_ap_mdev_set_kvm [another mdev has this kvm: the locks are released and -EPERM returned, the hook left pointing at this mdev (the other mdev's hook is lost; after this mdev is removed the hook points at freed memory)]",
    "vfio_ap_mdev_probe [vfio_ap_mdev_init_dev: empty matrix, pqap_hook = handle_pqap, empty qtable, kvm NULL; the mdev joins mdev_list]",
    "vfio_ap_on_cfg_changed [vfio_ap_mdev_cfg_remove locks matrix_mdev->kvm->lock for every mdev of mdev_list without checking matrix_mdev->kvm: an mdev not attached to a guest is a NULL dereference]",
    "vfio_ap_on_scan_complete [vfio_ap_mdev_hot_plug_cfg: filter the matrix, update the guest's APCB, reset the queues of the APIDs filtered out; the add bitmaps cleared]",
    "vfio_ap_on_scan_complete [vfio_ap_mdev_hot_plug_cfg locks matrix_mdev->kvm->lock without a NULL check: an mdev with additions but no guest is a NULL dereference]",
    "vfio_ap_on_scan_complete [only control domains were added: vfio_ap_mdev_filter_matrix is not called and apm_filtered (an uninitialised stack bitmap) is passed to reset_queues_for_apids: queues of arbitrary APIDs of the mdev may be reset]",
    "assign_adapter_store [vfio_ap_mdev_validate_masks fails (an APQN reserved for the host drivers, or assigned to another mdev): the bit is cleared again]",
    "assign_adapter_store [vfio_ap_mdev_filter_matrix changed the guest's APCB (a guest is attached, or not: the shadow is kept either way): vfio_ap_mdev_update_guest_apcb (with a KVM: set masks, signal the cfg eventfd); reset the queues of the APIDs filtered out]",
    "assign_domain_store [vfio_ap_mdev_validate_masks fails (an APQN reserved for the host drivers, or assigned to another mdev): the bit is cleared again]",
    "assign_domain_store [vfio_ap_mdev_filter_matrix changed the guest's APCB (a guest is attached, or not: the shadow is kept either way): vfio_ap_mdev_update_guest_apcb (with a KVM: set masks, signal the cfg eventfd); reset the queues of the APIDs filtered out]",
    "unassign_adapter_store [clear the bit; vfio_ap_mdev_hot_unplug_adapter: every queue of the APID leaves the qtable; those in the guest's APCB are collected, the APCB updated, the queues reset (vfio_ap_mdev_reset_qlist, flushed), then q->matrix_mdev = NULL]",
    "unassign_adapter_store [a queue of the APID not in the guest's APCB (filtered out) leaves the qtable without a reset and keeps q->matrix_mdev pointing at this mdev, also after the mdev is removed (vfio_ap_mdev_remove_queue later locks through it)]",
    "unassign_domain_store [clear the bit; vfio_ap_mdev_hot_unplug_domain: every queue of the APQI leaves the qtable; those in the guest's APCB are collected, the APCB updated, the queues reset (vfio_ap_mdev_reset_qlist, flushed), then q->matrix_mdev = NULL]",
    "unassign_domain_store [a queue of the APQI not in the guest's APCB (filtered out) leaves the qtable without a reset and keeps q->matrix_mdev pointing at this mdev, also after the mdev is removed (vfio_ap_mdev_remove_queue later locks through it)]",
    "ap_config_store [hot unplug the removed adapters and domains (reset, unlink), link the added ones, filter, update the guest's APCB and reset the filtered APIDs]",
    "vfio_ap_mdev_validate_masks [an APQN is assigned to another mdev (vfio_ap_mdev_verify_no_sharing)]",
    "kvm_s390_vm_set_crypto [ENABLE_APIE / DISABLE_APIE: crypto.apie = 1 / 0; kvm_s390_vcpu_crypto_reset_all sets or clears ECA_APIE on every vcpu (blocked out of SIE meanwhile)]",
    "vfio_ap_mdev_probe_queue [not during a configuration add (apm_add/aqm_add empty): vfio_ap_mdev_filter_matrix; changed: update the guest's APCB, reset the queues of the APIDs filtered out]",
    "vfio_ap_mdev_remove_queue [with it every other queue of that APID in the guest's APCB is reset too (a single queue cannot be unplugged), and stays linked]",
    "PQAP_AQIC [!(eca & ECA_APIE): the guest may not use AP instructions (KVM_S390_VM_CRYPTO_DISABLE_APIE)]",
    "PQAP_AQIC [no facility 65 (AP interruption control): PGM_SPECIFICATION]",
    "vfio_ap_irq_enable [PV vcpu and ensure_nib_shared (uv_pin_shared) fails: the NIB is unpinned, response 06]",
    "vfio_ap_free_aqic_resources [saved_iova set but q->matrix_mdev NULL: WARN_ON; the NIB stays pinned and saved_iova stays]",
    "vfio_ap_mdev_dma_unmap [unmap_iova: for each queue of the qtable whose saved_iova lies in the range: vfio_ap_irq_disable]",
  ],
};
