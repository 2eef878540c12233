/**
 * struct kvm_s390_gib: the global GIB and its alert list.
 *
 * Models: the alert list origin as three states, NULL_GISA_ADDR (empty, GAL interruptions
 * enabled), a list built while enabled (a GAL interruption was raised when the first GISA
 * was enqueued), and NONE_GISA_ADDR (cut off by process_gib_alert_list: GAL interruptions
 * suppressed while millicode may build a new list in parallel); which GISAs are listed; the
 * pending GAL interruption; gib_alert_irq_handler with the first pass of
 * process_gib_alert_list (xchg NONE_GISA_ADDR, unlink each GISA and act on it), and the final
 * pass (xchg NULL_GISA_ADDR). What the host does for each unlinked GISA depends on the IAM
 * restore strategy: upstream arms gisa_vcpu_kicker; GIB v2..v5 kicked vcpus directly.
 * kvm_s390_gisa_destroy of v6.6+ runs process_gib_alert_list itself when its GISA is listed.
 * The origin is context (`gib.origin`) that the kernel functions write; the region follows it
 * (`settle.gib`), so its state is what the functions did.
 *
 * Ignores: list order (a set of VMs), kvm_s390_gib_init/destroy (module load and unload),
 * chsc_sgib, PCI AEN forwarding (aen_process_gait), the loop of process_gib_alert_list beyond
 * its two passes (a GISA enqueued during the cut-off is handled by the final pass).
 *
 * Kernel: arch/s390/kvm/interrupt.c (process_gib_alert_list, gib_alert_irq_handler).
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
 */

import { and, stateIn } from 'xstate';
import { FAULT, type GibContext, type SystemContext } from '../context.ts';
import type { Design } from '../design.ts';
import type { Kernel } from '../kernel.ts';
import { idleId, type Path } from '../kthread.ts';
import { by, kernel, settle, type Args, type Effects, type Ix } from '../lib.ts';
import { gibLedgered } from './kvm_s390_gib.invariants.ts';

/** The kernel functions of the GIB (arch/s390/kvm/interrupt.c), entries of the machine's kernel table. */
export const gibKernel = {
  /** gib_alert_irq_handler(): the GAL interruption is taken; process_gib_alert_list's first pass (its final pass is its own event). */
  gib_alert_irq_handler(this: Kernel, c: SystemContext, fx: Effects): void {
    c.gib.galPending = false;
    // GIB v2 unlink_gib_alert_list: one cmpxchg to NULL, no NONE_GISA_ADDR cut-off and no second pass
    if (this.design.gib === 'gib-v2') return this.process_gib_alert_list(c, fx);
    c.gib.origin = 'NONE_GISA_ADDR'; // xchg: cut the list off, GAL interruptions stay suppressed
    for (let vm = 0; vm < c.vms.length; vm++) if (c.gib.list & (1 << vm)) this.process_gib_alert_list_gisa(c, vm, fx);
  },

  /** process_gib_alert_list(), every pass at once: unlink every listed GISA and act on it; the origin ends NULL_GISA_ADDR. */
  process_gib_alert_list(this: Kernel, c: SystemContext, fx: Effects): void {
    c.gib.origin = 'NULL_GISA_ADDR';
    for (let vm = 0; vm < c.vms.length; vm++) if (c.gib.list & (1 << vm)) this.process_gib_alert_list_gisa(c, vm, fx);
  },

  /** The loop body of process_gib_alert_list() for one GISA it unlinks, per IAM restore strategy. */
  process_gib_alert_list_gisa(this: Kernel, c: SystemContext, vm: number, fx: Effects): void {
    const k = c.vms[vm]!;
    c.gib.list &= ~(1 << vm); // gisa->next_alert = origin: unlink
    if (k.gisa.freed) k.faults |= FAULT.GISA_WRITE_AFTER_FREE; // and the walk goes on through freed memory
    switch (this.design.gib) {
      case 'upstream':
        k.gisa.timer = true; // hrtimer_start(&gi->timer, 0, HRTIMER_MODE_REL)
        return;
      case 'gib-v2':
      case 'gib-v3':
      case 'gib-v4': {
        if (this.design.gib !== 'gib-v2' && !k.gisa.ipm) return;
        const v = this.__find_vcpu_for_floating_irq(c, vm);
        if (v >= 0) this.kvm_s390_vcpu_wakeup(c, vm, v, fx);
        return;
      }
      case 'gib-v5':
        this.__floating_airqs_kick(c, vm, fx);
        return;
    }
  },
};

export function gibImplementations(k: Kernel) {
  return {
    guards: {
      // a GAL interruption is pending for the host
      gal_pending: ({ context }: Args) => context.gib.galPending,
      // gib->alert_list_origin holds what the region's state names
      alert_list_origin: ({ context }: Args, origin: { is: GibContext['origin'] }) => context.gib.origin === origin.is,
      // environment of the per-object machine: a v6.6 kvm_s390_gisa_destroy of a listed GISA calls process_gib_alert_list
      gisa_destroy_calls_process_gib_alert_list: ({ context, event }: Args) =>
        k.design.gisaDestroy === 'v6.6' && context.vms[event.vm!]!.gisa.origin && k.gisa_in_alert_list(context, event.vm!),
    },
    actions: {
      // millicode enqueues a GISA: the alert list origin was NULL, so a GAL interruption is raised
      gal_interruption: kernel((c, e) => {
        c.gib.list |= 1 << e.vm!;
        c.gib.origin = 'alert_list';
        c.gib.galPending = true;
      }),
      // millicode enqueues a GISA on a non-empty or cut-off list: no GAL interruption
      gisa_enqueue: kernel((c, e) => void (c.gib.list |= 1 << e.vm!)),
      // gib_alert_irq_handler -> process_gib_alert_list, first pass: xchg(NONE_GISA_ADDR)
      gib_alert_irq_handler: gibLedgered('handler', k, (c, _e, _ix, fx) => k.gib_alert_irq_handler(c, fx)),
      // process_gib_alert_list, final pass: xchg(NULL_GISA_ADDR)
      process_gib_alert_list: gibLedgered('final', k, (c, _e, _ix, fx) => k.process_gib_alert_list(c, fx)),
    },
  };
}

const a = (name: string, ix?: Ix) => (ix ? { type: name, params: ix } : { type: name });
const ORIGINS = ['NULL_GISA_ADDR', 'alert_list', 'NONE_GISA_ADDR'] as const;

/**
 * The GIB region in a fine-grained configuration (machines/kthread.ts): its transitions
 * declare footprints; the GAL handler's process_gib_alert_list waits for the `kickers` (threads
 * running gisa_vcpu_kicker) to be idle, since its hrtimer_cancel waits for a running callback;
 * the coarse events a thread replaces (`omit`) have no transition. A thread's step that calls
 * process_gib_alert_list (kvm_s390_gisa_destroy's) raises `settle.gib`, as the coarse action does.
 */
export interface GibFine {
  kickers: readonly string[];
  omit: ReadonlySet<string>;
  /** The design: what process_gib_alert_list writes per unlinked GISA depends on the IAM restore strategy. */
  design: Design;
  /** The state of gib->alert_list_origin at start, when the configuration starts with GISAs listed. */
  initial?: GibContext['origin'];
}

const GIB_ALL: Path = ['gib'];

/**
 * What process_gib_alert_list (and the GAL handler's first pass) reads and writes: the GIB,
 * and per listed VM its GISA (freed: a walk through freed memory); upstream arms the kicker
 * (timer), GIB v2..v5 kick vcpus and v5 may set the IAM. It settles the GIB region.
 */
export function gibProcessFootprint(d: Design): { reads: Path[]; writes: Path[]; raises: string[] } {
  const writes: Path[] = [GIB_ALL, ['vms', '*', 'gisa', 'timer'], ['vms', '*', 'faults']];
  // upstream's loop body reads no vcpu and no GISA field but the page (process_gib_alert_list_gisa: next_alert, hrtimer_start)
  if (d.gib === 'upstream') return { reads: [GIB_ALL, ['vms', '*', 'gisa', 'freed'], ['vms', 'length']], writes, raises: [settle('gib').params.type] };
  if (d.gib === 'gib-v5') writes.push(['vms', '*', 'gisa', 'iam']);
  return { reads: [GIB_ALL, ['vms', '*', 'gisa'], ['vms', '*', 'vcpus'], ['vms', 'length']], writes, raises: [settle('gib').params.type, 'kvm_s390_vcpu_wakeup'] };
}

/** The footprint of a GIB region transition on `type` in a fine-grained configuration. */
function gibFootprint(type: string, d: Design): { reads: Path[]; writes: Path[]; raises?: string[] } {
  if (type === 'gisa_alert') return { reads: [GIB_ALL], writes: [GIB_ALL] };
  if (type === settle('gib').params.type) return { reads: [['gib', 'origin']], writes: [] };
  return gibProcessFootprint(d);
}

/**
 * The GIB region. The three states are the values of gib->alert_list_origin (`gib.origin`):
 * after a kernel function that may move it, `settle.gib` takes the region to the state the
 * context names. `env` adds, for the per-object machine, the call of process_gib_alert_list by
 * another object's kvm_s390_gisa_destroy (the GISA machine has the destroy itself).
 */
export function gibRegion(env = false, fine?: GibFine) {
  const region = gibStates(env);
  if (!fine) return region;
  if (fine.initial) region.initial = fine.initial;
  // the kickers are hrtimer callbacks (never `once`): idle is not running
  const waits = fine.kickers.map((k) => stateIn('#' + idleId(k)));
  for (const st of Object.values(region.states)) {
    const on = st.on as Record<string, unknown>;
    for (const type of Object.keys(on)) {
      if (fine.omit.has(type)) {
        delete on[type];
        continue;
      }
      const list = ([] as { guard?: unknown; meta?: Record<string, unknown> }[]).concat(on[type] as never);
      const fp = gibFootprint(type, fine.design);
      const wait = type === 'gib_alert_irq_handler' || type === 'process_gib_alert_list';
      on[type] = list.map((t) => ({ ...t, ...(wait && waits.length ? { guard: t.guard ? and([t.guard as never, ...waits]) : and(waits) } : {}), meta: { ...t.meta, footprint: fp } }));
    }
  }
  return region;
}

function gibStates(env: boolean) {
  // from each state, to each other state the origin may name
  const follow = (here: string) => ({
    [settle('gib').params.type]: ORIGINS.filter((o) => o !== here).map((o) => ({ guard: { type: 'alert_list_origin', params: { is: o } }, target: o })),
  });
  const gal = { guard: a('gal_pending'), actions: [a('gib_alert_irq_handler'), settle('gib')], ...by('kernel') };
  const destroy = env
    ? { kvm_s390_gisa_destroy: { guard: a('gisa_destroy_calls_process_gib_alert_list'), actions: [a('process_gib_alert_list'), settle('gib')], ...by('kernel') } }
    : {};
  return {
    initial: 'NULL_GISA_ADDR',
    states: {
      NULL_GISA_ADDR: {
        description: 'alert list empty, GAL interruptions enabled',
        on: {
          ...follow('NULL_GISA_ADDR'),
          gisa_alert: { target: 'alert_list', actions: a('gal_interruption'), ...by('millicode') },
          gib_alert_irq_handler: gal,
        },
      },
      alert_list: {
        description: 'GISAs enqueued by millicode; the GAL interruption was raised',
        on: {
          ...follow('alert_list'),
          ...destroy,
          gisa_alert: { actions: a('gisa_enqueue'), ...by('millicode') },
          gib_alert_irq_handler: gal,
        },
      },
      NONE_GISA_ADDR: {
        description: 'cut off by process_gib_alert_list: GAL interruptions suppressed, millicode may build a new list',
        on: {
          ...follow('NONE_GISA_ADDR'),
          ...destroy,
          gisa_alert: { actions: a('gisa_enqueue'), ...by('millicode') },
          process_gib_alert_list: { actions: [a('process_gib_alert_list'), settle('gib')], ...by('kernel') },
        },
      },
    },
  };
}
