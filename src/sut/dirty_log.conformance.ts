// How the dirty-log SUT is driven by the kvm_memory_slot machine's events and projected
// onto the machine's vocabulary (the tracked pages, the bit past the slot, what the last
// ioctl returned and copied out) for model-based tests.
import type { EventObject } from 'xstate';
import type { Conformance, SystemUnderTest } from '../paths/cover.ts';
import type { AbstractState, Model } from '../spec.ts';
import { BEYOND, NPAGES, PAGES } from '../../machines/dirty-log/kvm_memory_slot.bounds.ts';
import type { DirtyLogEvent, SlotContext } from '../../machines/dirty-log/kvm_memory_slot.machine.ts';
import { Kvm, MigrationTool, __kvm_write_guest_page, guest_store, test_bit_le, type Arch, type ClearRule } from './dirty_log.ts';

export interface DirtyLogSutOptions {
  arch: Arch;
  clearRule: ClearRule;
  /** __kvm_write_guest_page calls mark_page_dirty_in_slot (false: the planted bug) */
  mark: boolean;
}

export class DirtyLogSut implements SystemUnderTest {
  readonly kvm: Kvm;
  readonly tool: MigrationTool;

  constructor(readonly options: DirtyLogSutOptions, npages = NPAGES) {
    this.kvm = new Kvm(options.arch, npages, options.clearRule);
    this.tool = new MigrationTool(this.kvm);
  }

  apply(event: EventObject): void {
    const e = event as DirtyLogEvent;
    switch (e.type) {
      case 'KVM_ENABLE_CAP':
        return this.tool.enableCap(e.args!);
      case 'KVM_SET_USER_MEMORY_REGION':
        return this.tool.setFlags(e.flags!);
      case 'KVM_GET_DIRTY_LOG':
        return this.tool.getDirtyLog({ ...(e.fault ? { fault: true } : {}), ...(e.slot ? { badSlot: true } : {}) });
      case 'kvm_s390_memset_dirty_bitmap':
        return this.tool.resumeGetDirtyLog();
      case 'KVM_CLEAR_DIRTY_LOG':
        return this.tool.clearDirtyLog(e.first_page!, e.num_pages!, { ...(e.pastEnd ? { pastEnd: true } : {}), ...(e.fault ? { fault: true } : {}), ...(e.slot ? { badSlot: true } : {}) });
      case 'GUEST_STORE':
        guest_store(this.kvm, e.gfn!);
        this.tool.write(e.gfn!);
        return this.tool.quiet();
      case 'kvm_write_guest_page':
        __kvm_write_guest_page(this.kvm, e.gfn!, { mark: this.options.mark });
        this.tool.write(e.gfn!);
        return this.tool.quiet();
      case 'ram_save_target_page':
        return this.tool.copy(e.gfn!);
      default:
        throw new Error(`the dirty-log SUT has no event ${e.type}`);
    }
  }
}

interface Projection {
  state: string;
  mode: number;
  rc: number | null;
  got: number[] | null;
  copied: number[] | null;
  beyond: boolean;
  faults: number;
  /** edde99ce0529's rule over the whole slot, not only the tracked pages: while it logs, every page is dirty in the bitmap, write-protected or (s390) has UC set */
  everyPageLogged: boolean;
  pages: { dirty: boolean; wp: boolean; uc: boolean; stale: boolean; reported: boolean; since: boolean }[];
}

/** Tracked bits of a user bitmap: the tracked pages and the bit past the slot. */
const tracked = (bits: readonly number[]): number[] => bits.filter((b) => (PAGES as readonly number[]).includes(b) || b === BEYOND);

export function observeSut(s: DirtyLogSut): Projection {
  const { kvm, tool } = s;
  const bitmap = kvm.memslot.dirty_bitmap;
  return {
    state: !bitmap ? 'created' : tool.inflight ? 'get_dirty_log_copied' : 'logging',
    mode: kvm.manual_dirty_log_protect,
    rc: tool.lastRc,
    got: tool.lastGot ? tracked(tool.lastGot) : null,
    copied: tool.inflight ? tracked(tool.bitsOf(tool.inflight.buf)) : null,
    beyond: bitmap ? test_bit_le(BEYOND, bitmap) : false,
    faults: kvm.reprotectedBeyondSlot ? 1 : 0,
    everyPageLogged: everyPageLogged(kvm),
    pages: PAGES.map((gfn) => ({
      dirty: bitmap ? test_bit_le(gfn, bitmap) : false,
      wp: kvm.arch === 's390' ? kvm.pte_protect[gfn] === 1 : kvm.spte_writable[gfn] === 0,
      uc: kvm.arch === 's390' && kvm.pgste_uc[gfn] === 1,
      stale: tool.stale(gfn),
      reported: tool.reported(gfn),
      since: tool.since[gfn] === 1,
    })),
  };
}

/** The untracked pages are never written and follow the same ioctls, so they keep the rule exactly when the tracked ones do. */
function everyPageLogged(kvm: Kvm): boolean {
  const bitmap = kvm.memslot.dirty_bitmap;
  if (!bitmap) return true;
  for (let gfn = 0; gfn < kvm.memslot.npages; gfn++) {
    const wp = kvm.arch === 's390' ? kvm.pte_protect[gfn] === 1 : kvm.spte_writable[gfn] === 0;
    if (!test_bit_le(gfn, bitmap) && !wp && !(kvm.arch === 's390' && kvm.pgste_uc[gfn] === 1)) return false;
  }
  return true;
}

export function expectMachine(st: AbstractState<SlotContext>): Projection {
  const c = st.context;
  return {
    state: String(st.value),
    mode: c.mode,
    rc: c.last.rc,
    got: c.last.got ? [...c.last.got] : null,
    copied: c.copied ? [...c.copied] : null,
    beyond: c.beyond,
    faults: c.faults,
    // the machine's DirtyOrWriteProtected over its tracked pages (false only in a planted design)
    everyPageLogged: st.value === 'created' || c.pages.every((p) => p.dirty || p.uc || p.wp),
    pages: c.pages.map((p) => ({ dirty: p.dirty, wp: p.wp, uc: p.uc, stale: p.stale, reported: p.reported, since: p.since })),
  };
}

/** The SUT options that transcribe a variant of the machine (the kernel designs; planted bugs have none). */
export function sutOptionsFor(variantId: string): DirtyLogSutOptions {
  return {
    arch: variantId.startsWith('s390') ? 's390' : 'x86',
    clearRule: variantId === 'v5.0' ? 'v5.0' : 'current',
    mark: !variantId.endsWith('write-guest-without-mark'),
  };
}

export const dirtyLogConformance: Conformance<DirtyLogSut> = {
  create: (model: Model) => new DirtyLogSut(sutOptionsFor(model.variantId)),
  observe: observeSut,
  expect: (st) => expectMachine(st as AbstractState<SlotContext>),
  // the last ioctl's return value and the bitmap GET copied out (src/paths/refusals.ts)
  volatile: ['rc', 'got'],
};
