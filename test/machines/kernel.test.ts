// The kernel table of the core machines: a replaced kernel function reaches every caller (the
// machine's actions and the other kernel functions), the table counts which functions a check
// ran, each machine says which it can call, and the regions whose state mirrors kernel data
// follow what a function did, so a variant that changes an outcome needs no guard change.
import { describe, expect, it } from 'vitest';
import { ENODEV } from '../../machines/gisa/kvm_s390_gisa_interrupt.machine.ts';
import { gibSpec, gisaSpec } from '../../machines/gisa/index.ts';
import { KERNEL_NAMES, vfioAp, type KernelOverrides } from '../../machines/kernel.ts';
import { ISC_INVALID, type SystemContext } from '../../machines/context.ts';
import { region, top } from '../../machines/invariant-lib.ts';
import { vcpuSpec } from '../../machines/vcpu/index.ts';
import { mdevSpec, queueSpec } from '../../machines/vfio-ap/index.ts';
import { kvmSpec, systemSpec } from '../../machines/system/index.ts';
import { explore, traceTo } from '../../src/check/explore.ts';
import { REPLACED_AT } from '../../machines/gisa/kvm_s390_gisa_interrupt.threads.ts';
import { EBUSY } from '../../machines/gisa/kvm_s390_gisa_interrupt.machine.ts';
import { typeCheck } from '../../src/check/variant-file.ts';
import { main } from '../../src/cli.ts';
import type { MachineSpec, Model } from '../../src/spec.ts';

const build = (spec: MachineSpec, variant: string, kernel?: KernelOverrides, configuration?: string) =>
  spec.model(variant, configuration, { countKernelCalls: true, ...(kernel ? { kernel: kernel as Record<string, unknown> } : {}) }) as Model<SystemContext>;
const ran = (m: Model) => [...m.kernelFunctions!.calls().keys()];

describe('a replaced kernel function reaches every caller', () => {
  it('kvm_s390_gisc_register failing on system: vfio_ap_irq_enable sees it, so no queue ever saves an ISC', () => {
    const base = build(systemSpec, 'upstream');
    const failing = build(systemSpec, 'upstream', { kvm_s390_gisc_register: () => ENODEV });
    const xb = explore(base);
    const xf = explore(failing);
    // by hand: upstream's NORMAL response saves ISC 3 and registers it; with the registration
    // failing, vfio_ap_irq_enable unpins and answers rc 06 before looking at the response
    expect(xb.states.some((s) => s.context.queues[0]!.isc === 3 && s.context.vms[0]!.gisa.ref[3] === 1)).toBe(true);
    expect(xf.states.some((s) => s.context.queues[0]!.isc !== ISC_INVALID || s.context.vms[0]!.gisa.ref[3] !== 0)).toBe(false);
    expect(xf.states.some((s) => top(region(s.value, 'q0')) === 'assigned' && JSON.stringify(s.value).includes('aqic_enabled'))).toBe(false);
    // the upstream leak needs a registration that succeeded
    expect(xb.violations.has('EveryNibPinReleasedOnce')).toBe(true);
    expect(xf.violations.size).toBe(0);
    expect(failing.kernelFunctions!.calls().get('kvm_s390_gisc_register')).toBeGreaterThan(0);
  });

  it('an action named after the function calls the replacement too: the GISA machine\'s driver never gets a registration', () => {
    const x = explore(build(gisaSpec, 'upstream', { kvm_s390_gisc_register: () => ENODEV }));
    expect(x.states.every((s) => s.context.vms[0]!.gisa.ref.every((r) => r === 0) && s.context.vms[0]!.gisa.mask === 0)).toBe(true);
    expect(explore(build(gisaSpec, 'upstream')).states.some((s) => s.context.vms[0]!.gisa.ref[3] === 2)).toBe(true);
  });

  it('a replacement can call the original through the package\'s area objects, with the table as `this`', () => {
    let calls = 0;
    const m = build(queueSpec, 'upstream', {
      vfio_ap_irq_enable(c, q, isc, outcome) {
        calls++;
        // the status goes back to handle_pqap (the AQIC step postcondition checks it)
        return vfioAp.vfio_ap_irq_enable.call(this, c, q, isc, outcome);
      },
    });
    const x = explore(m);
    expect(calls).toBeGreaterThan(0);
    expect(x.states.length).toBe(explore(build(queueSpec, 'upstream')).states.length);
  });
});

describe('a replaced kernel function reaches the fine-grained threads', () => {
  const shortest = (m: Model, name: string) => {
    const x = explore(m);
    const i = x.violations.get(name);
    return i === undefined ? undefined : traceTo(m, x, i).map((t) => `${(t.event as { thread?: string }).thread ?? '-'} ${t.event.type}`);
  };

  it('the steps call their callees through the table: a gisa_set_iam that never writes leaves the unregistered ISC in the IAM after the driver alone', () => {
    const up = build(gisaSpec, 'upstream', undefined, 'kicker-unregister');
    explore(up);
    // __airqs_kick_single_vcpu is two steps of the kicker (the idle_mask scan, test_and_set_bit): it goes through the table only when a variant replaced it
    expect(ran(up)).toEqual(expect.arrayContaining(['gisa_set_iam', 'gisa_in_alert_list', 'gib_alert_irq_handler']));
    expect(ran(up)).not.toContain('__airqs_kick_single_vcpu');
    // by hand: upstream needs the kicker's stale mask (12 steps); with gisa_set_iam refusing,
    // the driver's five steps (origin check, lock, ref_count--, gisa_set_iam, unlock) leave IAM 0x10, mask 0
    const stuck = build(gisaSpec, 'upstream', { gisa_set_iam: () => EBUSY }, 'kicker-unregister');
    expect(shortest(stuck, 'IamRestoredOrKickerArmed')).toEqual([
      'driver kvm_s390_gisc_unregister@if (!gi->origin)',
      'driver kvm_s390_gisc_unregister@spin_lock(ref_lock)',
      'driver kvm_s390_gisc_unregister@ref_count[gisc]--',
      'driver kvm_s390_gisc_unregister@gisa_set_iam(origin, alert_mask)',
      'driver kvm_s390_gisc_unregister@spin_unlock(ref_lock)',
    ]);
  });

  it('a thread runs a function it splits as one step when a variant replaced it', () => {
    const keepsMask: KernelOverrides = {
      kvm_s390_gisc_unregister(c, vm, gisc) {
        c.vms[vm]!.gisa.ref[gisc]! -= 1;
        return 0;
      },
    };
    const m = build(gisaSpec, 'upstream', keepsMask, 'kicker-unregister');
    const driver = m.events.filter((e) => (e as { thread?: string }).thread === 'driver').map((e) => e.type);
    expect(driver).toEqual([`kvm_s390_gisc_unregister@${REPLACED_AT}`]);
    expect(shortest(m, 'AlertMaskIsRegisteredIscs')).toEqual([`driver kvm_s390_gisc_unregister@${REPLACED_AT}`]);
    expect(m.kernelFunctions!.calls().get('kvm_s390_gisc_unregister')).toBeGreaterThan(0);
  });

  it('a replaced kvm_s390_gisa_destroy still waits for a running kicker and moves the GISA region with gi->origin', () => {
    const m = build(gisaSpec, 'upstream', { kvm_s390_gisa_destroy(c, vm) { c.vms[vm]!.gisa.origin = false; c.vms[vm]!.gisa.timer = false; } }, 'kicker-destroy');
    const x = explore(m);
    expect(m.events.filter((e) => (e as { thread?: string }).thread === 'destroy').map((e) => e.type)).toEqual([`kvm_s390_gisa_destroy@${REPLACED_AT}`]);
    // the region follows gi->origin (settle), and no kicker ever ran on a NULL origin
    expect(x.states.every((s) => (region(s.value, 'vm0', 'gisa') === 'alive') === s.context.vms[0]!.gisa.origin)).toBe(true);
    expect(x.violations.has('KickerSeesLiveGisa')).toBe(false);
    expect(x.states.some((s) => !s.context.vms[0]!.gisa.origin)).toBe(true);
  });
});

describe('which kernel functions a machine can call and which a check ran', () => {
  it('system in airq (no vfio_ap): the kicker and the GIB ran, vfio_ap_irq_enable can run but did not', () => {
    const m = build(systemSpec, 'gib-upstream');
    explore(m);
    // by hand: airq has no queues; GISA alerts arm the kicker, which kicks idle vcpus
    expect(ran(m)).toEqual(expect.arrayContaining(['gisa_adapter_interruption', 'gib_alert_irq_handler', 'process_gib_alert_list_gisa', 'gisa_vcpu_kicker', '__airqs_kick_single_vcpu', 'kvm_s390_handle_wait']));
    expect(ran(m)).not.toContain('vfio_ap_irq_enable');
    expect(ran(m)).not.toContain('kvm_put_kvm');
    expect(m.kernelFunctions!.names).toContain('vfio_ap_irq_enable');
    expect(m.kernelFunctions!.names).toEqual(KERNEL_NAMES);
    m.kernelFunctions!.reset();
    expect(m.kernelFunctions!.calls().size).toBe(0);
    // counting is asked for: a plain model calls the functions themselves
    const plain = systemSpec.model('gib-upstream');
    expect(plain.kernelFunctions!.counted).toBe(false);
    expect(() => plain.kernelFunctions!.calls()).toThrow(/countKernelCalls/);
  });

  it('system in default runs the vfio_ap path through the GISA functions', () => {
    const m = build(systemSpec, 'upstream');
    explore(m);
    expect(ran(m)).toEqual(expect.arrayContaining(['handle_pqap', 'vfio_ap_irq_enable', 'vfio_pin_pages', 'kvm_s390_gisc_register', 'vfio_ap_free_aqic_resources', 'vfio_ap_mdev_unset_kvm', 'vfio_ap_mdev_reset_queue', 'kvm_put_kvm', 'kvm_destroy_vm', 'kvm_s390_gisa_destroy']));
  });

  it('every function a machine ran is one it lists (each shipped variant of the per-object machines, system in default and airq)', () => {
    const models = [gibSpec, gisaSpec, vcpuSpec, queueSpec, mdevSpec, kvmSpec].flatMap((spec) => spec.variants.map((v) => build(spec, v.id)));
    models.push(build(systemSpec, 'upstream'), build(systemSpec, 'gib-v2'), build(systemSpec, 'gib-v5'));
    for (const m of models) {
      explore(m);
      const unlisted = ran(m).filter((n) => !m.kernelFunctions!.names.includes(n));
      expect(unlisted, `${m.machineId}/${m.variantId}`).toEqual([]);
    }
  });

  it('each machine lists what its parts call, and refuses a replacement it would never call', () => {
    const vcpuNames = build(vcpuSpec, 'upstream').kernelFunctions!.names;
    expect(vcpuNames).toEqual(expect.arrayContaining(['kvm_s390_handle_wait', 'gisa_get_ipm_or_restore_iam', 'gisa_adapter_interruption']));
    expect(vcpuNames).not.toContain('vfio_ap_irq_enable');
    expect(vcpuNames).not.toContain('kvm_put_kvm');
    expect(build(gibSpec, 'upstream').kernelFunctions!.names).not.toContain('kvm_s390_handle_wait');
    expect(() => build(vcpuSpec, 'upstream', { vfio_ap_irq_enable: () => {} })).toThrow(/unknown kernel function 'vfio_ap_irq_enable' for kvm_vcpu: machine kvm_vcpu never calls it/);
    expect(() => vcpuSpec.model('upstream', undefined, { kernel: { kvm_s390_gisc_registr: () => 0 } })).toThrow(/unknown kernel function 'kvm_s390_gisc_registr' for kvm_vcpu: no core machine has it/);
  });
});

describe('states that mirror kernel data follow what the function did', () => {
  it('a handle_pqap whose ir=0 does nothing keeps the queue aqic_enabled with saved_isc valid: no type violation', () => {
    const m = build(queueSpec, 'upstream-fixed', {
      handle_pqap(c, q, aqic) {
        if (aqic.ir === 1) this.vfio_ap_irq_enable(c, q, aqic.isc, aqic.outcome);
      },
    });
    const x = explore(m);
    const ir0 = m.events.findIndex((e) => e.type === 'PQAP_AQIC' && (e as { ir?: number }).ir === 0);
    // an AQIC ir=0 edge from aqic_enabled: before, a guard sent the region to aqic_disabled whatever the function did
    const enabled = (i: number) => JSON.stringify(x.states[i]!.value).includes('aqic_enabled');
    let taken = 0;
    for (let e = 0; e < x.edges.length / 3; e++) {
      if (x.edges[3 * e + 1] !== ir0 || !enabled(x.edges[3 * e]!)) continue;
      taken++;
      expect(enabled(x.edges[3 * e + 2]!)).toBe(true);
    }
    expect(taken).toBeGreaterThan(0);
    expect(x.violations.has('QueueTypeOK')).toBe(false);
  });

  it('a kvm_s390_handle_wait that never halts: the vcpu never enters idle, and VcpuTypeOK holds (only the step postcondition sees it)', () => {
    const x = explore(build(vcpuSpec, 'upstream', { kvm_s390_handle_wait: () => 0 }));
    expect(x.states.some((s) => top(region(s.value, 'vm0', 'vcpu0')) === 'idle')).toBe(false);
    // issue 14: a wait intercept with nothing pending must halt (kvm_s390_handle_wait)
    expect([...x.violations.keys()]).toEqual(['VcpuStepPostcondition']);
  });

  it('a gib_alert_irq_handler that takes the whole list at once: the GIB goes to NULL_GISA_ADDR, never NONE_GISA_ADDR', () => {
    const x = explore(build(gibSpec, 'upstream', { gib_alert_irq_handler(c, fx) { c.gib.galPending = false; this.process_gib_alert_list(c, fx); } }));
    expect(x.states.some((s) => region(s.value, 'gib') === 'NONE_GISA_ADDR')).toBe(false);
    expect(x.states.some((s) => region(s.value, 'gib') === 'alert_list')).toBe(true);
    expect(x.violations.size).toBe(0);
  });
});

describe('variant files: kernel replacements and per-machine types', () => {
  const fixture = (name: string) => `test/fixtures/variants/${name}`;
  async function run(...argv: string[]) {
    let out = '';
    let err = '';
    const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
    return { code, out, err };
  }

  it('a file replacing kvm_s390_gisc_register on system matches its expectation (the upstream leak is gone)', async () => {
    const r = await run('check', '--variant-file', fixture('kernel-register-fails.ts'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/EveryNibPinReleasedOnce\s+invariant\s+holds\s+holds\s+ok/);
  });

  it.each([
    ['core-action-on-flic.ts', /core-action-on-flic\.ts:6:\d+: .*FlicContext/],
    ['kernel-typo.ts', /kernel-typo\.ts:5:\d+: Object literal may only specify known properties, but 'kvm_s390_gisc_registr' does not exist in type 'KernelOverrides'/],
  ])('%s does not type-check', async (name, message) => {
    expect(await typeCheck(fixture(name))).toMatch(message);
  });

  it.each([
    [['check', '--variant-file', fixture('kernel-never-called.ts')], /unknown kernel function 'vfio_ap_irq_enable' for kvm_vcpu: machine kvm_vcpu never calls it/],
    [['check', '--machine', 'kvm_s390_float_interrupt', '--variant-file', fixture('core-action-no-machine.ts')], /action 'modify_ais_mode' is made with kernel\(\)\/update\(\), .*machine kvm_s390_float_interrupt has a context of its own/],
  ])('%j: one line, exit 2', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^[^\n]+\n$/);
    expect(r.err).toMatch(message);
  });
});
