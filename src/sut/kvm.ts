// SUT: struct kvm's reference count and teardown order, virt/kvm/kvm_main.c and
// arch/s390/kvm/kvm-s390.c, transcribed from v6.17-rc4 (Kingxukai/linux 9b44fff655e2 / 0291023e7330).
// Transcribed: kvm_get_kvm, kvm_put_kvm, kvm_vm_release, kvm_destroy_vm (the s390-relevant
// order: kvm_arch_destroy_vm -> kvm_s390_gisa_destroy, free_page(sie_page2); then
// kvm_destroy_devices; then kvm_arch_free_vm), kvm_arch_init_vm's GISA part.
// Not transcribed: memslots, MMU notifiers, buses, irqfd, debugfs, PV, the SCA, the gmap,
// the vcpu fds' references (QEMU holds vcpu fds until it closes the VM fd; they are folded
// into the VM fd's reference), locks. kvm_destroy_vm proceeds one step per event so that
// other CPUs (millicode, the AP, vfio_ap) can act between its steps.
import type { Lifetime } from './lifetime.ts';
import { gisaDestroyMayProceed, kvm_s390_gisa_clear, kvm_s390_gisa_destroy, kvm_s390_gisa_init } from './gisa.ts';
import type { Gib, GisaInterrupt, KvmS390Gisa } from './gisa.ts';
import type { KvmVcpu } from './vcpu.ts';
import { vfioGroupNotifySetKvmNull } from './vfio_ap.ts';
import type { VfioAp } from './vfio_ap.ts';

export type GibDesign = 'upstream' | 'gib-v2' | 'gib-v3' | 'gib-v4' | 'gib-v5';
export type AqicDesign = 'upstream' | 'v5.3' | 'aqic-v4';
export type GisaDestroyDesign = 'v6.6' | 'v5.2';

/** Which kernel code the SUT transcribes; upstream is v6.17-rc4. */
export interface SutDesign {
  gib: GibDesign;
  aqic: AqicDesign;
  gisaDestroy: GisaDestroyDesign;
}

/** Where kvm_destroy_vm is: the next step it will take, 'alive' before the last put, 'freed' after. */
export type DestroyStep = 'alive' | 'kvm_s390_gisa_destroy' | 'free_page_sie_page2' | 'kvm_destroy_devices' | 'freed';

/** struct kvm and the parts of struct kvm_arch this SUT keeps. */
export interface Kvm {
  readonly idx: number;
  /** kvm->users_count */
  users_count: number;
  /** QEMU still holds the VM fd */
  fdOpen: boolean;
  /** references taken by kvm_get_kvm events (a driver other than vfio_ap) */
  driverRefs: number;
  destroy: DestroyStep;
  /** &kvm->arch.sie_page2->gisa: the GISA lives in sie_page2, whose page address is its address */
  readonly gisaPage: KvmS390Gisa;
  arch: {
    gisa_int: GisaInterrupt;
    /** kvm->arch.idle_mask, bit per vcpu_idx */
    idle_mask: number;
    /** GIB v2/v3 kvm->arch.vcpus_in_sie */
    vcpus_in_sie: number;
    /** kvm->arch.float_int.next_rr_cpu (GIB v2..v4 __find_vcpu_for_floating_irq) */
    next_rr_cpu: number;
    /** kvm->arch.crypto.pqap_hook points to the mdev's hook (aqic-v4: vfio_private too) */
    pqap_hook: boolean;
    /** kvm->arch.crypto.apie, which kvm_s390_vcpu_crypto_reset_all copies into every vcpu's sie_block->eca (ECA_APIE) */
    crypto_apie: boolean;
  };
  vcpus: KvmVcpu[];
}

/** The host: kernel globals (gib, matrix_dev), the VMs, the AP and the lifetime tracker. */
export interface Host {
  readonly design: SutDesign;
  readonly life: Lifetime;
  readonly gib: Gib;
  /** gib->nisc, returned by kvm_s390_gisc_register */
  readonly gibNisc: number;
  readonly kvms: Kvm[];
  readonly vfio: VfioAp;
  /** The VM whose sie_page2 holds the GISA at this address, -1 for none. */
  vmOfGisa(addr: number): number;
}

/** Fake 31-bit page address of VM vm's sie_page2. */
export const sie_page2_addr = (vm: number): number => 0x1000 * (vm + 1);

/** kvm_create_vm + kvm_arch_init_vm (GISA part: kvm_s390_gisa_init), vcpus created by the caller. */
export function kvm_create_vm(idx: number): Kvm {
  const gisaPage: KvmS390Gisa = { addr: sie_page2_addr(idx), word0: 0n };
  const kvm: Kvm = {
    idx,
    users_count: 1,
    fdOpen: true,
    driverRefs: 0,
    destroy: 'alive',
    gisaPage,
    arch: {
      gisa_int: { origin: null, alert: { mask: 0, ref_count: [0, 0, 0, 0, 0, 0, 0, 0] }, timer: false, kicked_mask: 0 },
      idle_mask: 0,
      vcpus_in_sie: 0,
      next_rr_cpu: 0,
      pqap_hook: false,
      crypto_apie: true,
    },
    vcpus: [],
  };
  kvm_s390_gisa_init(kvm);
  return kvm;
}

// kvm_main.c kvm_get_kvm
export function kvm_get_kvm(kvm: Kvm): void {
  kvm.users_count++;
}

// kvm_main.c kvm_put_kvm
export function kvm_put_kvm(kvm: Kvm): void {
  kvm.users_count--;
  if (kvm.users_count === 0) kvm_destroy_vm(kvm);
}

// kvm_main.c kvm_destroy_vm: starts here; its s390 steps follow as separate events
function kvm_destroy_vm(kvm: Kvm): void {
  // kvm_arch_destroy_vm -> kvm_destroy_vcpus, sca_dispose, then kvm_s390_gisa_destroy
  kvm.destroy = 'kvm_s390_gisa_destroy';
}

// kvm_main.c kvm_vm_release: QEMU closes the VM fd
export function kvm_vm_release(kvm: Kvm): void {
  kvm.fdOpen = false;
  kvm_put_kvm(kvm);
}

/** kvm-s390.c kvm_arch_destroy_vm, its kvm_s390_gisa_destroy step. */
export function destroyStepGisaDestroy(host: Host, kvm: Kvm): boolean {
  if (!gisaDestroyMayProceed(host, kvm)) return false;
  kvm_s390_gisa_destroy(host, kvm);
  if (kvm.destroy === 'kvm_s390_gisa_destroy') kvm.destroy = 'free_page_sie_page2';
  return true;
}

/** kvm-s390.c kvm_arch_destroy_vm: free_page(sie_page2), then kvm_s390_clear_float_irqs -> kvm_s390_gisa_clear. */
export function destroyStepFreeSiePage2(host: Host, kvm: Kvm): void {
  host.life.freePage(kvm.gisaPage.addr);
  kvm_s390_gisa_clear(host, kvm);
  if (kvm.destroy === 'free_page_sie_page2') kvm.destroy = 'kvm_destroy_devices';
}

// kvm_main.c kvm_destroy_devices, then kvm_arch_free_vm: struct kvm is freed
export function kvm_destroy_devices(host: Host, kvm: Kvm): void {
  // the kvm-vfio device's destroy: before v5.19 it sent VFIO_GROUP_NOTIFY_SET_KVM(NULL)
  if (host.design.aqic !== 'upstream') vfioGroupNotifySetKvmNull(host, kvm);
  kvm.destroy = 'freed';
}
