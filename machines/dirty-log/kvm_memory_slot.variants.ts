// Variants of the dirty-log machine (the s390 implementation, the v5.0 CLEAR rule, planted
// bugs), each the baseline with named guards or actions replaced, and the MachineSpec.
import { assign } from 'xstate';
import { pick, type MachineSpec, type Model, type VariantInfo } from '../../src/spec.ts';
import { CLEAR_PAYLOADS, CONFIGURATIONS, KVM_MEM_LOG_DIRTY_PAGES, NPAGES, PAGES, enableCapArgs, type DirtyLogConfiguration } from './kvm_memory_slot.bounds.ts';
import { invariants } from './kvm_memory_slot.invariants.ts';
import { observeSlot } from './kvm_memory_slot.observe.ts';
import { EVENT_INFO, createKvmMemorySlotMachine, type DirtyLogEvent, type KvmMemorySlotMachine, type SlotContext } from './kvm_memory_slot.machine.ts';

export const PINNED = 'v6.12';

export interface DirtyLogVariant extends VariantInfo {
  s390: boolean;
  build(m: KvmMemorySlotMachine): KvmMemorySlotMachine;
}

const same = (m: KvmMemorySlotMachine) => m;

// __kvm_write_guest_page without its mark_page_dirty_in_slot: the data changes, the log does not
const writeWithoutMark = (m: KvmMemorySlotMachine) =>
  m.provide({
    actions: {
      __kvm_write_guest_page: assign(({ context, event }: { context: SlotContext; event: DirtyLogEvent }) => ({
        pages: context.pages.map((p, i) => (PAGES[i] === event.gfn ? { ...p, stale: true } : p)),
      })),
    },
  });

export const VARIANTS: readonly DirtyLogVariant[] = [
  {
    id: 'baseline',
    description: 'generic dirty log (CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT, x86 arch hooks): GET snapshots or reports, CLEAR re-protects',
    cite: 'virt/kvm/kvm_main.c v6.12; 2a31b9db1535 "kvm: introduce manual dirty log reprotect"; 76d58e0f07ec',
    expectedViolations: [],
    status: 'asserted',
    s390: false,
    build: same,
  },
  {
    id: 's390',
    description: 's390: GET harvests PGSTE_UC_BIT into the bitmap, copies it and memsets it; no KVM_CLEAR_DIRTY_LOG (ENOTTY), no MANUAL_DIRTY_LOG_PROTECT2 (EINVAL)',
    cite: 'arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_get_dirty_log, kvm_arch_sync_dirty_log; arch/s390/mm/pgtable.c ptep_test_and_clear_uc',
    expectedViolations: [],
    status: 'asserted',
    s390: true,
    build: same,
  },
  {
    id: 'v5.0',
    description: 'KVM_CLEAR_DIRTY_LOG as first merged: num_pages must be a multiple of 64, so the last partial word of an unaligned slot cannot be cleared',
    cite: '2a31b9db1535 + 98938aa8edd6 "KVM: validate userspace input in kvm_clear_dirty_log_protect()", fixed by 76d58e0f07ec (v5.1)',
    expectedViolations: [],
    status: 'asserted',
    s390: false,
    build: (m) =>
      m.provide({
        guards: {
          kvm_clear_dirty_log_range_invalid: ({ event }: { event: DirtyLogEvent }) => {
            const first = event.first_page!;
            const num = event.num_pages!;
            return (num & 63) !== 0 || first > NPAGES || num > NPAGES - first;
          },
        },
      }),
  },
  {
    id: 'clear-without-reprotect',
    description: 'planted: kvm_clear_dirty_log_protect clears the bits but skips kvm_arch_mmu_enable_log_dirty_pt_masked',
    cite: 'planted bug in virt/kvm/kvm_main.c kvm_clear_dirty_log_protect',
    expectedViolations: ['DirtyOrWriteProtected', 'NoLostWrite'],
    status: 'asserted',
    s390: false,
    build: (m) =>
      m.provide({
        actions: {
          kvm_clear_dirty_log_protect: assign(({ context, event }: { context: SlotContext; event: DirtyLogEvent }) => ({
            rc: 0,
            pages: context.pages.map((p, i) => {
              const gfn = PAGES[i]!;
              const hit = gfn >= event.first_page! && gfn < event.first_page! + event.num_pages! && p.reported && p.dirty;
              return hit ? { ...p, dirty: false } : p;
            }),
          })),
        },
      }),
  },
  {
    id: 'write-guest-without-mark',
    description: 'planted: __kvm_write_guest_page forgets mark_page_dirty_in_slot; the SPTE does not see writes through the hva',
    cite: 'planted bug in virt/kvm/kvm_main.c __kvm_write_guest_page',
    expectedViolations: ['NoLostWrite'],
    status: 'asserted',
    s390: false,
    build: writeWithoutMark,
  },
  {
    id: 's390-write-guest-without-mark',
    description: 'the same planted bug on s390: __copy_to_user faults on the protected host PTE, pgste_set_pte sets UC, the write is still logged',
    cite: 'planted bug in __kvm_write_guest_page; arch/s390/mm/pgtable.c pgste_set_pte',
    expectedViolations: [],
    status: 'asserted',
    s390: true,
    build: writeWithoutMark,
  },
];

/** Every event with every payload the bounds enumerate, for one configuration. */
export function eventsFor(c: DirtyLogConfiguration): DirtyLogEvent[] {
  return [
    ...enableCapArgs(c).map((args) => ({ type: 'KVM_ENABLE_CAP', args })),
    { type: 'KVM_SET_USER_MEMORY_REGION', flags: KVM_MEM_LOG_DIRTY_PAGES },
    { type: 'KVM_GET_DIRTY_LOG' },
    { type: 'kvm_s390_memset_dirty_bitmap' },
    ...CLEAR_PAYLOADS.map(({ first_page, num_pages }) => ({ type: 'KVM_CLEAR_DIRTY_LOG', first_page, num_pages })),
    ...PAGES.map((gfn) => ({ type: 'GUEST_STORE', gfn })),
    ...PAGES.map((gfn) => ({ type: 'kvm_write_guest_page', gfn })),
    ...PAGES.map((gfn) => ({ type: 'ram_save_target_page', gfn })),
  ];
}

export const kvmMemorySlotSpec: MachineSpec = {
  id: 'kvm_memory_slot',
  area: 'dirty-log',
  kernelObject: 'kvm_memory_slot',
  pinned: PINNED,
  variants: VARIANTS,
  configurations: CONFIGURATIONS,
  model(variantId?: string, configurationId?: string): Model<SlotContext> {
    const v = pick('variant', 'kvm_memory_slot', VARIANTS, variantId);
    const c = pick('configuration', 'kvm_memory_slot', CONFIGURATIONS, configurationId);
    return {
      machineId: 'kvm_memory_slot',
      variantId: v.id,
      configurationId: c.id,
      machine: v.build(createKvmMemorySlotMachine({ config: c, s390: v.s390 })),
      events: eventsFor(c),
      eventInfo: EVENT_INFO,
      invariants,
      liveness: [],
      expectedViolations: v.expectedViolations,
      observe: observeSlot,
    };
  },
};
