import { describe, expect, it } from 'vitest';
import { Kvm, UserMemory, KVM_DEV_FLIC_ADAPTER_REGISTER, KVM_DEV_FLIC_AIRQ_INJECT, KVM_DEV_FLIC_AISM, KVM_DEV_FLIC_AISM_ALL } from '../../src/sut/flic.ts';

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
    expect(k.gisa!.ipm).toBe(0x80);
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
