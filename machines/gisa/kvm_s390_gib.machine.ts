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
 *
 * Ignores: list order (a set of VMs), kvm_s390_gib_init/destroy (module load and unload),
 * chsc_sgib, PCI AEN forwarding (aen_process_gait), the loop of process_gib_alert_list beyond
 * its two passes (a GISA enqueued during the cut-off is handled by the final pass).
 *
 * Kernel: arch/s390/kvm/interrupt.c (process_gib_alert_list, gib_alert_irq_handler).
 * Pinned: v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
 */

import { and, stateIn } from 'xstate';
import { idleId, type Path } from '../kthread.ts';
import type { SystemContext } from '../context.ts';
import type { Design } from '../design.ts';
import { by, kernel, type Args, type Effects, type Ix } from '../lib.ts';
import { process_gib_alert_list_pass } from './kvm_s390_gisa_interrupt.machine.ts';

export function gibImplementations(d: Design) {
  return {
    guards: {
      // a GAL interruption is pending for the host
      gal_pending: ({ context }: Args) => context.gib.galPending,
      // GIB v2 unlink_gib_alert_list: one cmpxchg to NULL, no NONE_GISA_ADDR cut-off and no second pass
      gib_single_pass: ({ context }: Args) => d.gib === 'gib-v2' && context.gib.galPending,
      // the destroyed VM's GISA is in the alert list: v6.6 kvm_s390_gisa_destroy processes the list
      gisa_destroy_processes_list: ({ context, event }: Args, ix: Ix) =>
        event.vm === ix.vm && d.gisaDestroy === 'v6.6' && context.vms[ix.vm!]!.gisa.origin && (context.gib.list & (1 << ix.vm!)) !== 0,
    },
    actions: {
      // millicode enqueues a GISA: the alert list origin was NULL, so a GAL interruption is raised
      gal_interruption: kernel((c, e) => {
        c.gib.list |= 1 << e.vm!;
        c.gib.galPending = true;
      }),
      // millicode enqueues a GISA on a non-empty or cut-off list: no GAL interruption
      gisa_enqueue: kernel((c, e) => void (c.gib.list |= 1 << e.vm!)),
      // gib_alert_irq_handler -> process_gib_alert_list, first pass: xchg(NONE_GISA_ADDR)
      gib_alert_irq_handler: kernel((c, _e, _ix, fx) => {
        c.gib.galPending = false;
        process_gib_alert_list_pass(c, d, fx);
      }),
      // process_gib_alert_list, final pass: xchg(NULL_GISA_ADDR)
      process_gib_alert_list: kernel((c, _e, _ix, fx) => process_gib_alert_list_pass(c, d, fx)),
    },
  };
}

const a = (name: string, ix?: Ix) => (ix ? { type: name, params: ix } : { type: name });

/**
 * The GIB region in a fine-grained configuration (machines/kthread.ts): its transitions
 * declare footprints; process_gib_alert_list waits for the `kickers` (threads running
 * gisa_vcpu_kicker) to be idle, since its hrtimer_cancel waits for a running callback; the
 * step of kvm_s390_gisa_destroy that calls process_gib_alert_list raises
 * GIB_PROCESSED_BY_DESTROY, on which the origin becomes NULL_GISA_ADDR.
 */
export interface GibFine {
  kickers: readonly string[];
  omit: ReadonlySet<string>;
  /** The design: what process_gib_alert_list writes per unlinked GISA depends on the IAM restore strategy. */
  design: Design;
}

/** Raised by the fine-grained kvm_s390_gisa_destroy's process_gib_alert_list step. */
export const GIB_PROCESSED_BY_DESTROY = 'kvm_s390_gisa_destroy:process_gib_alert_list';

const GIB_ALL: Path = ['gib'];

/**
 * process_gib_alert_list (one pass, process_gib_alert_list_pass): the list, and per listed VM
 * its GISA (freed: a walk through freed memory); upstream arms the kicker (timer), GIB v2..v5
 * kick vcpus and v5 may set the IAM.
 */
export function gibProcessFootprint(d: Design): { reads: Path[]; writes: Path[]; raises: string[] } {
  const writes: Path[] = [GIB_ALL, ['vms', '*', 'gisa', 'timer'], ['vms', '*', 'faults']];
  if (d.gib === 'gib-v5') writes.push(['vms', '*', 'gisa', 'iam']);
  return { reads: [GIB_ALL, ['vms', '*', 'gisa'], ['vms', '*', 'vcpus'], ['vms', 'length']], writes, raises: d.gib === 'upstream' ? [] : ['kvm_s390_vcpu_wakeup'] };
}

/**
 * The GIB region. The three states are the values of gib->alert_list_origin. `kvmStep(vm)`
 * names the state of VM vm's kvm_destroy_vm in which kvm_s390_gisa_destroy runs (composed machine).
 */
export function gibRegion(vms: number, kvmStep?: (vm: number) => string, fine?: GibFine) {
  const region = gibStates(vms, kvmStep);
  if (!fine) return region;
  // the kickers are hrtimer callbacks (never `once`): idle is not running
  const waits = fine.kickers.map((k) => stateIn('#' + idleId(k)));
  for (const st of Object.values(region.states)) {
    const on = st.on as Record<string, unknown>;
    for (const type of Object.keys(on)) {
      if (fine.omit.has(type)) {
        delete on[type];
        continue;
      }
      const list = ([] as { guard?: unknown; meta: Record<string, unknown> }[]).concat(on[type] as never);
      const fp = type === 'gisa_alert' ? { reads: [GIB_ALL], writes: [GIB_ALL] } : gibProcessFootprint(fine.design);
      const wait = type === 'gib_alert_irq_handler' || type === 'process_gib_alert_list';
      on[type] = list.map((t) => ({ ...t, ...(wait && waits.length ? { guard: t.guard ? and([t.guard as never, ...waits]) : and(waits) } : {}), meta: { ...t.meta, footprint: fp } }));
    }
  }
  const processed = { target: 'NULL_GISA_ADDR', meta: { actor: 'kernel', footprint: { reads: [], writes: [] } } };
  (region.states.alert_list.on as Record<string, unknown>)[GIB_PROCESSED_BY_DESTROY] = processed;
  (region.states.NONE_GISA_ADDR.on as Record<string, unknown>)[GIB_PROCESSED_BY_DESTROY] = processed;
  return region;
}

function gibStates(vms: number, kvmStep?: (vm: number) => string) {
  // kvm_s390_gisa_destroy walks the list itself (its action); here the origin becomes NULL_GISA_ADDR
  const destroy = Array.from({ length: vms }, (_, vm) => ({
    guard: kvmStep ? and([a('gisa_destroy_processes_list', { vm }), stateIn('#' + kvmStep(vm))]) : a('gisa_destroy_processes_list', { vm }),
    target: 'NULL_GISA_ADDR',
    ...by('kernel'),
  }));
  return {
    initial: 'NULL_GISA_ADDR',
    states: {
      NULL_GISA_ADDR: {
        description: 'alert list empty, GAL interruptions enabled',
        on: {
          gisa_alert: { target: 'alert_list', actions: a('gal_interruption'), ...by('millicode') },
          gib_alert_irq_handler: [
            { guard: a('gib_single_pass'), target: 'NULL_GISA_ADDR', actions: a('gib_alert_irq_handler'), ...by('kernel') },
            { guard: a('gal_pending'), target: 'NONE_GISA_ADDR', actions: a('gib_alert_irq_handler'), ...by('kernel') },
          ],
        },
      },
      alert_list: {
        description: 'GISAs enqueued by millicode; the GAL interruption was raised',
        on: {
          gisa_alert: { actions: a('gisa_enqueue'), ...by('millicode') },
          gib_alert_irq_handler: [
            { guard: a('gib_single_pass'), target: 'NULL_GISA_ADDR', actions: a('gib_alert_irq_handler'), ...by('kernel') },
            { guard: a('gal_pending'), target: 'NONE_GISA_ADDR', actions: a('gib_alert_irq_handler'), ...by('kernel') },
          ],
          kvm_s390_gisa_destroy: destroy,
        },
      },
      NONE_GISA_ADDR: {
        description: 'cut off by process_gib_alert_list: GAL interruptions suppressed, millicode may build a new list',
        on: {
          gisa_alert: { actions: a('gisa_enqueue'), ...by('millicode') },
          process_gib_alert_list: { target: 'NULL_GISA_ADDR', actions: a('process_gib_alert_list'), ...by('kernel') },
          kvm_s390_gisa_destroy: destroy,
        },
      },
    },
  };
}

