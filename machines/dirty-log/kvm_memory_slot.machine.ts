// struct kvm_memory_slot with KVM_MEM_LOG_DIRTY_PAGES: the dirty bitmap, the write
// protection that makes the next guest write visible, and a migration tool in userspace
// that reads the log (KVM_GET_DIRTY_LOG), re-arms it (KVM_CLEAR_DIRTY_LOG) and copies pages.
//
// Models: per tracked page (bounds: PAGES of a slot of NPAGES) the bit in
//   memslot->dirty_bitmap, the write protection of the page (the SPTE on x86/arm64, the host
//   PTE _PAGE_PROTECT on s390), the s390 PGSTE_UC_BIT, and two userspace ghosts: whether the
//   guest data is newer than userspace's copy (stale) and whether the page is dirty in
//   userspace's migration bitmap (reported); kvm->manual_dirty_log_protect and the return
//   value of the last ioctl. The generic code (virt/kvm/kvm_main.c with
//   CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT and the x86 arch hooks) is the baseline; s390
//   is the factory option `s390` (arch/s390/kvm/kvm-s390.c), which has no
//   KVM_CLEAR_DIRTY_LOG and no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2.
// Ignores: the bitmap words (the SUT keeps them), the second bitmap buffer, TLB flushes (each
//   ioctl is atomic and ends with its flush, except the s390 GET: vcpus run between its
//   copy_to_user and its memset, state get_dirty_log_copied), PML, huge pages and the s390 1M segments
//   (gmap_sync_dirty_log_pmd on a huge pmd), several memslots and address spaces, the dirty
//   ring, -EFAULT, turning logging off again, KVM_ENABLE_CAP after the memslot exists
//   (the kernel allows it); before logging the guest has written every page, whose mapping is
//   writable (on s390 with UC set).
// Kernel: virt/kvm/kvm_main.c (kvm_get_dirty_log_protect, kvm_clear_dirty_log_protect,
//   kvm_vm_ioctl_enable_cap_generic, kvm_prepare_memory_region, mark_page_dirty_in_slot,
//   __kvm_write_guest_page), arch/s390/kvm/kvm-s390.c (kvm_vm_ioctl_get_dirty_log,
//   kvm_arch_sync_dirty_log), arch/s390/mm/pgtable.c (ptep_test_and_clear_uc,
//   pgste_set_pte), Documentation/virt/kvm/api.rst 4.8, 4.117, 7.18.
// Pinned: v6.12 (kvm_main.c with kvm_use_dirty_bitmap and kvm_enable_virtualization; the s390
//   PGSTE code as before the gmap rewrite that removes pgste_set_pte).
import { and, assign, not, or, setup } from 'xstate';
import type { Actor, EventInfo } from '../../src/spec.ts';
import {
  EINVAL,
  ENOENT,
  ENOTTY,
  KVM_DIRTY_LOG_INITIALLY_SET,
  KVM_DIRTY_LOG_MANUAL_CAPS,
  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
  NPAGES,
  PAGES,
  type DirtyLogConfiguration,
} from './kvm_memory_slot.bounds.ts';

export interface PageContext {
  /** bit of the page in memslot->dirty_bitmap */
  dirty: boolean;
  /** the next guest write faults: SPTE write-protected (x86) or host PTE _PAGE_PROTECT (s390) */
  wp: boolean;
  /** s390 PGSTE_UC_BIT: the host PTE was made writable since the last harvest; always false elsewhere */
  uc: boolean;
  /** ghost: the guest wrote the page after userspace's last copy of it */
  stale: boolean;
  /** userspace: the page is dirty in its migration bitmap (reported by GET, not copied since) */
  reported: boolean;
}

export interface SlotContext {
  /** kvm->manual_dirty_log_protect */
  mode: number;
  /** return value of the last ioctl (0 or -errno) */
  rc: number;
  /** one entry per page of PAGES, in that order */
  pages: PageContext[];
  /** s390 kvm_vm_ioctl_get_dirty_log's local is_dirty: the bitmap it copied out was not empty */
  is_dirty: boolean;
}

/** Every event: a type plus the payload fields of the ioctl or the page it touches. */
export interface DirtyLogEvent {
  type: string;
  args?: number;
  flags?: number;
  first_page?: number;
  num_pages?: number;
  gfn?: number;
}

export interface SlotMachineOptions {
  config: DirtyLogConfiguration;
  /** arch/s390 instead of the generic dirty-log code */
  s390: boolean;
}

const by = (actor: Actor) => ({ meta: { actor } });

export const EVENT_INFO: Readonly<Record<string, EventInfo>> = {
  KVM_ENABLE_CAP: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_vm_ioctl_enable_cap_generic (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)' },
  KVM_SET_USER_MEMORY_REGION: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_set_memory_region, flags KVM_MEM_LOG_DIRTY_PAGES' },
  KVM_GET_DIRTY_LOG: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_get_dirty_log_protect; arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_get_dirty_log' },
  KVM_CLEAR_DIRTY_LOG: { actor: 'userspace', cite: 'virt/kvm/kvm_main.c kvm_clear_dirty_log_protect' },
  GUEST_STORE: { actor: 'guest', cite: 'a guest store: x86 kvm_mmu_page_fault on a write-protected SPTE; s390 host protection fault, pgste_set_pte' },
  kvm_write_guest_page: { actor: 'kernel', cite: 'virt/kvm/kvm_main.c __kvm_write_guest_page (__copy_to_user + mark_page_dirty_in_slot)' },
  kvm_s390_memset_dirty_bitmap: { actor: 'kernel', cite: 'arch/s390/kvm/kvm-s390.c kvm_vm_ioctl_get_dirty_log: "Clear the dirty log", memset after kvm_get_dirty_log' },
  ram_save_target_page: { actor: 'userspace', cite: 'QEMU migration/ram.c: send the page (after KVM_CLEAR_DIRTY_LOG in manual mode)' },
};

const indexOf = (gfn: number | undefined): number => {
  const i = PAGES.indexOf(gfn as (typeof PAGES)[number]);
  if (i < 0) throw new Error(`page ${gfn} is not tracked; tracked: ${PAGES.join(', ')}`);
  return i;
};
const inRange = (gfn: number, e: DirtyLogEvent) => gfn >= e.first_page! && gfn < e.first_page! + e.num_pages!;

type PageUpdate = (p: PageContext, gfn: number) => Partial<PageContext>;
/** New pages array: `f` applied to one page (`only`) or to every page. */
function pagesWith(c: SlotContext, f: PageUpdate, only?: number): PageContext[] {
  return c.pages.map((p, i) => {
    const gfn = PAGES[i]!;
    return only === undefined || only === gfn ? { ...p, ...f(p, gfn) } : p;
  });
}
interface Args {
  context: SlotContext;
  event: DirtyLogEvent;
}
/** The context update of a kernel step on the event's page. */
const onPage = (f: PageUpdate) => ({ context, event }: Args) => ({ pages: pagesWith(context, f, PAGES[indexOf(event.gfn)]) });
/** The context update of a kernel step on every page of the slot. */
const onAll = (f: PageUpdate) => ({ context }: Args) => ({ pages: pagesWith(context, f) });

/** kvm_dirty_log_manual_protect_and_init_set(kvm) */
const manualAndInitiallySet = (mode: number): boolean =>
  (mode & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) !== 0 && (mode & KVM_DIRTY_LOG_INITIALLY_SET) !== 0;

export function initialSlotContext(o: SlotMachineOptions): SlotContext {
  // The guest ran before logging: its PTEs are writable, and on s390 pgste_set_pte set UC.
  return {
    mode: 0,
    rc: 0,
    pages: PAGES.map(() => ({ dirty: false, wp: false, uc: o.s390, stale: true, reported: true })),
    is_dirty: false,
  };
}

export function createKvmMemorySlotMachine(o: SlotMachineOptions) {
  const slot = setup({
    types: {} as { context: SlotContext; events: DirtyLogEvent },
    guards: {
      // virt/kvm/Kconfig: selected by x86, arm64, ...; arch/s390/kvm/Kconfig does not select it
      CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT: () => !o.s390,
      // arch/s390: the PGSTE of each host PTE carries the user-change bit
      CONFIG_S390: () => o.s390,
      // kvm_vm_ioctl_enable_cap_generic: INITIALLY_SET only together with MANUAL_PROTECT_ENABLE
      kvm_enable_cap_args_invalid: ({ event }) => {
        const args = event.args ?? 0;
        const allowed = args & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE ? KVM_DIRTY_LOG_MANUAL_CAPS : KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
        return (args & ~allowed) !== 0;
      },
      // userspace (as QEMU's kvm_init): the configured capability is on before the memslot logs
      userspace_enabled_dirty_log_caps: ({ context }) => context.mode === o.config.args,
      // kvm_clear_dirty_log_protect: log->first_page & 63
      first_page_misaligned: ({ event }) => (event.first_page! & 63) !== 0,
      // kvm_clear_dirty_log_protect: the range must lie in the slot; num_pages a multiple of 64 unless it ends at npages
      kvm_clear_dirty_log_range_invalid: ({ event }) => {
        const first = event.first_page!;
        const num = event.num_pages!;
        return first > NPAGES || num > NPAGES - first || (num < NPAGES - first && (num & 63) !== 0);
      },
      // the next write to the page faults
      page_write_protected: ({ context, event }) => context.pages[indexOf(event.gfn)]!.wp,
      // userspace copies only pages its migration bitmap says are dirty
      migration_bitmap_dirty: ({ context, event }) => context.pages[indexOf(event.gfn)]!.reported,
    },
    actions: {
      // the ioctl fails before touching the slot
      return_ENOENT: assign({ rc: ENOENT }),
      return_EINVAL: assign({ rc: EINVAL }),
      return_ENOTTY: assign({ rc: ENOTTY }),
      // kvm_vm_ioctl_enable_cap_generic: kvm->manual_dirty_log_protect = cap->args[0]
      kvm_vm_ioctl_enable_cap_generic: assign(({ event }) => ({ mode: event.args ?? 0, rc: 0 })),
      // kvm_prepare_memory_region: kvm_alloc_dirty_bitmap, bitmap_set if manual protect and initially set
      kvm_prepare_memory_region: assign(({ context }) => ({
        rc: 0,
        pages: pagesWith(context, () => ({ dirty: manualAndInitiallySet(context.mode) })),
      })),
      // x86 kvm_mmu_slot_apply_flags: write-protect the slot unless initially set; s390 does nothing here
      kvm_arch_commit_memory_region: assign(({ context }) => ({
        pages: o.s390 ? context.pages : pagesWith(context, () => ({ wp: !manualAndInitiallySet(context.mode) })),
      })),
      // x86 kvm_mmu_page_fault -> fast_pf_fix_direct_spte: make the SPTE writable, mark_page_dirty_in_slot
      kvm_mmu_page_fault: assign(onPage(() => ({ wp: false, dirty: true }))),
      // s390 host protection fault -> pgste_set_pte: writable PTE, "set user-dirty" PGSTE_UC_BIT
      pgste_set_pte: assign(onPage(() => ({ wp: false, uc: true }))),
      // the store itself: the guest data is now newer than userspace's copy
      guest_data_written: assign(onPage(() => ({ stale: true }))),
      // __kvm_write_guest_page: __copy_to_user through the hva, then mark_page_dirty_in_slot
      __kvm_write_guest_page: assign(onPage(() => ({ stale: true, dirty: true }))),
      // kvm_get_dirty_log_protect: manual mode returns the live bitmap; legacy xchg's each word to 0,
      // re-protects its pages (kvm_arch_mmu_enable_log_dirty_pt_masked) and returns the snapshot
      kvm_get_dirty_log_protect: assign(({ context }) => ({
        rc: 0,
        pages: pagesWith(context, (p) =>
          context.mode & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
            ? { reported: p.reported || p.dirty }
            : p.dirty
              ? { reported: true, dirty: false, wp: true }
              : {},
        ),
      })),
      // s390 kvm_arch_sync_dirty_log -> gmap_sync_dirty_log_pmd -> ptep_test_and_clear_uc: UC to the bitmap, PTE protected
      kvm_arch_sync_dirty_log: assign(onAll((p) => (p.uc ? { uc: false, wp: true, dirty: true } : {}))),
      // kvm_get_dirty_log: copy_to_user of the bitmap into userspace's migration bitmap, is_dirty if any bit
      kvm_get_dirty_log: assign(({ context }) => ({
        pages: pagesWith(context, (p) => ({ reported: p.reported || p.dirty })),
        is_dirty: context.pages.some((p) => p.dirty),
      })),
      // s390 kvm_vm_ioctl_get_dirty_log: "Clear the dirty log": if (is_dirty) memset(memslot->dirty_bitmap, 0, n), then return
      kvm_s390_memset_dirty_bitmap: assign(({ context }) => ({
        rc: 0,
        pages: context.is_dirty ? pagesWith(context, () => ({ dirty: false })) : context.pages,
        is_dirty: false,
      })),
      // kvm_clear_dirty_log_protect: for each set user bit, atomic_long_fetch_andnot; bits really cleared are re-protected
      kvm_clear_dirty_log_protect: assign(({ context, event }) => ({
        rc: 0,
        pages: pagesWith(context, (p, gfn) => (inRange(gfn, event) && p.reported && p.dirty ? { dirty: false, wp: true } : {})),
      })),
      // userspace sends the page: its copy is current and the migration bitmap bit is clear
      ram_save_target_page: assign(onPage(() => ({ stale: false, reported: false }))),
    },
  });
  // vcpus and the kernel write guest memory in every state where the slot logs
  const writes = {
    GUEST_STORE: [
      { guard: and(['CONFIG_S390', 'page_write_protected']), actions: ['pgste_set_pte', 'guest_data_written'], ...by('guest') },
      { guard: 'page_write_protected', actions: ['kvm_mmu_page_fault', 'guest_data_written'], ...by('guest') },
      { actions: 'guest_data_written', ...by('guest') },
    ],
    kvm_write_guest_page: [
      { guard: and(['CONFIG_S390', 'page_write_protected']), actions: ['pgste_set_pte', '__kvm_write_guest_page'], ...by('kernel') },
      { actions: '__kvm_write_guest_page', ...by('kernel') },
    ],
  } as const;
  return slot.createMachine({
    id: 'kvm_memory_slot',
    context: initialSlotContext(o),
    initial: 'created',
    states: {
      // the memslot exists without KVM_MEM_LOG_DIRTY_PAGES: memslot->dirty_bitmap is NULL
      created: {
        on: {
          KVM_ENABLE_CAP: [
            // s390: no case in kvm_vm_ioctl_enable_cap_generic, kvm_vm_ioctl_enable_cap's default
            { guard: not('CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT'), actions: 'return_EINVAL', ...by('userspace') },
            { guard: 'kvm_enable_cap_args_invalid', actions: 'return_EINVAL', ...by('userspace') },
            { actions: 'kvm_vm_ioctl_enable_cap_generic', ...by('userspace') },
          ],
          KVM_SET_USER_MEMORY_REGION: {
            // QEMU enables no capability that KVM_CHECK_EXTENSION reports as 0 (s390)
            guard: or(['userspace_enabled_dirty_log_caps', not('CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT')]),
            target: 'logging',
            actions: ['kvm_prepare_memory_region', 'kvm_arch_commit_memory_region'],
            ...by('userspace'),
          },
          KVM_GET_DIRTY_LOG: { actions: 'return_ENOENT', ...by('userspace') },
          KVM_CLEAR_DIRTY_LOG: [
            // s390: kvm_arch_vm_ioctl's default
            { guard: not('CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT'), actions: 'return_ENOTTY', ...by('userspace') },
            { guard: 'first_page_misaligned', actions: 'return_EINVAL', ...by('userspace') },
            { actions: 'return_ENOENT', ...by('userspace') },
          ],
        },
      },
      logging: {
        on: {
          ...writes,
          KVM_GET_DIRTY_LOG: [
            { guard: 'CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT', actions: 'kvm_get_dirty_log_protect', ...by('userspace') },
            { target: 'get_dirty_log_copied', actions: ['kvm_arch_sync_dirty_log', 'kvm_get_dirty_log'], ...by('userspace') },
          ],
          KVM_CLEAR_DIRTY_LOG: [
            { guard: not('CONFIG_KVM_GENERIC_DIRTYLOG_READ_PROTECT'), actions: 'return_ENOTTY', ...by('userspace') },
            { guard: 'first_page_misaligned', actions: 'return_EINVAL', ...by('userspace') },
            { guard: 'kvm_clear_dirty_log_range_invalid', actions: 'return_EINVAL', ...by('userspace') },
            { actions: 'kvm_clear_dirty_log_protect', ...by('userspace') },
          ],
          ram_save_target_page: { guard: 'migration_bitmap_dirty', actions: 'ram_save_target_page', ...by('userspace') },
        },
      },
      // s390 kvm_vm_ioctl_get_dirty_log between kvm_get_dirty_log's copy_to_user and the memset:
      // userspace waits in the ioctl, vcpus and the kernel keep writing
      get_dirty_log_copied: {
        on: {
          ...writes,
          kvm_s390_memset_dirty_bitmap: { target: 'logging', actions: 'kvm_s390_memset_dirty_bitmap', ...by('kernel') },
        },
      },
    },
  });
}

export type KvmMemorySlotMachine = ReturnType<typeof createKvmMemorySlotMachine>;
