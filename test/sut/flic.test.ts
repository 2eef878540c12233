import { describe, expect, it } from 'vitest';
import { explore } from '../../src/check/explore.ts';
import { runPathTests } from '../../src/paths/cover.ts';
import { flicSpec } from '../../machines/flic-ais/index.ts';
import { CONFIGURATIONS } from '../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts';
import { flicConformance } from '../../src/sut/flic-driver.ts';
import { Kvm, UserMemory, KVM_DEV_FLIC_ADAPTER_REGISTER, KVM_DEV_FLIC_AIRQ_INJECT, KVM_DEV_FLIC_AISM, KVM_DEV_FLIC_AISM_ALL } from '../../src/sut/flic.ts';

const params = (id: string) => CONFIGURATIONS.find((c) => c.id === id)!.params;

describe('FLIC transcription against the machine (edge-covering path tests)', () => {
  for (const c of CONFIGURATIONS) {
    it(`baseline, ${c.id}: every state and transition covered, SUT agrees after every step`, async () => {
      const m = flicSpec.model('baseline', c.id);
      const x = explore(m);
      const r = await runPathTests(m, flicConformance(c.params), x);
      const first = r.failures[0];
      if (first) throw new Error(`${r.failures.length} failing paths; first: ${first.message}\n${first.trace.map((t) => `${t.step}. ${JSON.stringify(t.event)}`).join('\n')}`);
      expect(r.statesCovered).toBe(r.states);
      expect(r.transitionsCovered).toBe(r.transitions);
    });
  }

  it('a planted bug in the machine makes the transcription disagree', async () => {
    const m = flicSpec.model('bug-inject-airq-tests-simm', 'errors');
    const r = await runPathTests(m, flicConformance(params('errors')));
    expect(r.failures.length).toBeGreaterThan(0);
    expect(r.failures[0]!.message).toMatch(/SUT disagrees/);
  });
});

describe('FLIC transcription: kernel facts outside the bounds', () => {
  it('register_io_adapter does not range-check isc: isc 8 pends on ISC 0 and AIS never suppresses it', () => {
    const k = new Kvm();
    const u = new UserMemory();
    k.flic_create({});
    k.kvm_vm_ioctl_enable_cap('KVM_CAP_S390_AIS');
    u.put(1, { id: 5, isc: 8, maskable: 0, swap: 0, flags: 1 });
    expect(k.flic_set_attr(u, { flags: 0, group: KVM_DEV_FLIC_ADAPTER_REGISTER, attr: 0, addr: 1 })).toBe(0);
    u.put(2, { simm: 0xff, nimm: 0xff });
    expect(k.flic_set_attr(u, { flags: 0, group: KVM_DEV_FLIC_AISM_ALL, attr: 2, addr: 2 })).toBe(0);
    // every ISC in NO mode, still injected: AIS_MODE_MASK(8) == 0; isc_to_int_word(8) carries into ISC 0
    expect(k.flic_set_attr(u, { flags: 0, group: KVM_DEV_FLIC_AIRQ_INJECT, attr: 5, addr: 0 })).toBe(0);
    expect(k.airq_suppressed).toBe(false);
    expect(k.gisa.ipm).toBe(0x80);
  });

  it('modify_ais_mode rejects isc 8 but AISM_ALL writes all eight ISCs at once', () => {
    const k = new Kvm();
    const u = new UserMemory();
    k.kvm_vm_ioctl_enable_cap('KVM_CAP_S390_AIS');
    u.put(1, { isc: 8, mode: 1 });
    expect(k.flic_set_attr(u, { flags: 0, group: KVM_DEV_FLIC_AISM, attr: 0, addr: 1 })).toBe(-22);
    expect(k.fi.simm).toBe(0);
  });
});
