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
import type { SystemContext } from '../context.ts';
import type { Design } from '../design.ts';
import { by, kernel, type Args, type Effects, type Ix } from '../lib.ts';
import { gib_alert_one } from './kvm_s390_gisa_interrupt.machine.ts';

/** Unlink every listed GISA and act on it (one pass of process_gib_alert_list). */
function cutOffAndProcess(c: SystemContext, d: Design, fx: Effects): void {
  const list = c.gib.list;
  for (let vm = 0; vm < c.vms.length; vm++) if (list & (1 << vm)) gib_alert_one(c, vm, d, fx);
}

export function gibImplementations(d: Design) {
  return {
    guards: {
      // a GAL interruption is pending for the host
      gal_pending: ({ context }: Args) => context.gib.galPending,
      // the destroyed VM's GISA is in the alert list: v6.6 kvm_s390_gisa_destroy processes the list
      gisa_destroy_processes_list: ({ context, event }: Args, ix: Ix) =>
        event.vm === ix.vm && d.gisaDestroy === 'v6.6' && (context.gib.list & (1 << event.vm!)) !== 0,
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
        cutOffAndProcess(c, d, fx);
      }),
      // process_gib_alert_list, final pass: xchg(NULL_GISA_ADDR)
      process_gib_alert_list: kernel((c, _e, _ix, fx) => cutOffAndProcess(c, d, fx)),
    },
  };
}

const a = (name: string, ix?: Ix) => (ix ? { type: name, params: ix } : { type: name });

/**
 * The GIB region. The three states are the values of gib->alert_list_origin. `kvmStep(vm)`
 * names the state of VM vm's kvm_destroy_vm in which kvm_s390_gisa_destroy runs (composed machine).
 */
export function gibRegion(vms: number, kvmStep?: (vm: number) => string) {
  const destroy = Array.from({ length: vms }, (_, vm) => ({
    guard: kvmStep ? and([a('gisa_destroy_processes_list', { vm }), stateIn('#' + kvmStep(vm))]) : a('gisa_destroy_processes_list', { vm }),
    target: 'NULL_GISA_ADDR',
    actions: a('process_gib_alert_list'),
    ...by('kernel'),
  }));
  return {
    initial: 'NULL_GISA_ADDR',
    states: {
      NULL_GISA_ADDR: {
        description: 'alert list empty, GAL interruptions enabled',
        on: {
          gisa_alert: { target: 'alert_list', actions: a('gal_interruption'), ...by('millicode') },
          gib_alert_irq_handler: { guard: a('gal_pending'), target: 'NONE_GISA_ADDR', actions: a('gib_alert_irq_handler'), ...by('kernel') },
        },
      },
      alert_list: {
        description: 'GISAs enqueued by millicode; the GAL interruption was raised',
        on: {
          gisa_alert: { actions: a('gisa_enqueue'), ...by('millicode') },
          gib_alert_irq_handler: { guard: a('gal_pending'), target: 'NONE_GISA_ADDR', actions: a('gib_alert_irq_handler'), ...by('kernel') },
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

