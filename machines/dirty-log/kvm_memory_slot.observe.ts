// What a harness outside the package sees of the memslot after each step (paths --format json
// and kselftest), read from the machine's state: the return value of an ioctl (context.rc,
// which only the ioctls set; the s390 KVM_GET_DIRTY_LOG returns at kvm_s390_memset_dirty_bitmap),
// and per tracked page the bitmap, protection and userspace's view of it.
import type { EventObject } from 'xstate';
import type { AbstractState, Observation } from '../../src/spec.ts';
import { EINVAL, ENOENT, ENOTTY, PAGES } from './kvm_memory_slot.bounds.ts';
import type { SlotContext } from './kvm_memory_slot.machine.ts';

/** The events that are (or end) an ioctl, so the step has a return value. */
export const RETURNING = ['KVM_ENABLE_CAP', 'KVM_SET_USER_MEMORY_REGION', 'KVM_GET_DIRTY_LOG', 'KVM_CLEAR_DIRTY_LOG', 'kvm_s390_memset_dirty_bitmap'];

const ERRNO_NAMES = new Map<number, string>([
  [ENOENT, 'ENOENT'],
  [EINVAL, 'EINVAL'],
  [ENOTTY, 'ENOTTY'],
]);

export function observeSlot(s: AbstractState<SlotContext>, event?: EventObject): Observation {
  const c = s.context;
  const fields = {
    mode: c.mode,
    pages: c.pages.map((p, i) => ({ gfn: PAGES[i]!, dirty: p.dirty, wp: p.wp, uc: p.uc, stale: p.stale, reported: p.reported })),
  };
  // the s390 GET copied the bitmap out and waits for its memset: no return value yet
  if (!event || !RETURNING.includes(event.type) || String(s.value) === 'get_dirty_log_copied') return { state: String(s.value), fields };
  const errno = ERRNO_NAMES.get(c.rc);
  return { state: String(s.value), rc: c.rc, ...(errno ? { errno } : {}), fields };
}
