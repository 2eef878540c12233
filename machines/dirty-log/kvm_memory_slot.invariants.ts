// Safety properties of the dirty log, evaluated in every reachable state (TypeOK first).
// "Logged" means KVM will report the page at the next KVM_GET_DIRTY_LOG: its bit in
// memslot->dirty_bitmap, or on s390 the PGSTE_UC_BIT that kvm_arch_sync_dirty_log harvests.
import type { AbstractState, Invariant } from '../../src/spec.ts';
import { PAGES, RETURN_CODES, KVM_DIRTY_LOG_MANUAL_CAPS } from './kvm_memory_slot.bounds.ts';
import type { PageContext, SlotContext } from './kvm_memory_slot.machine.ts';

type S = AbstractState<SlotContext>;

const logging = (s: S) => s.value === 'logging' || s.value === 'get_dirty_log_copied';
const logged = (p: PageContext) => p.dirty || p.uc;
const isBool = (b: unknown) => b === true || b === false;

export const invariants: readonly Invariant<SlotContext>[] = [
  {
    name: 'TypeOK',
    cite: 'struct kvm_memory_slot, kvm->manual_dirty_log_protect (0 or a subset of KVM_DIRTY_LOG_MANUAL_CAPS), ioctl return values',
    holds: (s) =>
      (s.value === 'created' || logging(s)) &&
      Number.isInteger(s.context.mode) &&
      (s.context.mode & ~KVM_DIRTY_LOG_MANUAL_CAPS) === 0 &&
      (RETURN_CODES as readonly number[]).includes(s.context.rc) &&
      s.context.pages.length === PAGES.length &&
      (s.value === 'get_dirty_log_copied' || s.context.is_dirty === false) &&
      s.context.pages.every((p) => isBool(p.dirty) && isBool(p.wp) && isBool(p.uc) && isBool(p.stale) && isBool(p.reported)),
  },
  {
    name: 'DirtyOrWriteProtected',
    cite: 'edde99ce0529 "KVM: Write protect memory after slot swap": all pages are either dirty in the current bitmap, or write-protected',
    holds: (s) => !logging(s) || s.context.pages.every((p) => logged(p) || p.wp),
  },
  {
    name: 'NoLostWrite',
    cite: 'kvm_get_dirty_log_protect comment: "to avoid losing track of dirty pages"; a page the guest wrote after its last copy is logged or still in the migration bitmap',
    holds: (s) => !logging(s) || s.context.pages.every((p) => !p.stale || logged(p) || p.reported),
  },
];

/** The seed's benign race: KVM reports (or will report) a page whose copy is already current. */
export const falsePositive = (s: S): boolean => logging(s) && s.context.pages.some((p) => !p.stale && (logged(p) || p.reported));
