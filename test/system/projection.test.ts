// Nothing in the composed guest may contradict a per-object machine: every move of the
// composed machine, projected onto one object (its regions and the kernel data it owns), is
// either no move of that object or a move the per-object machine can make with one event of
// its own alphabet (the composed event itself, an event its environment causes, or one the
// composition raises internally).
import { describe, expect, it } from 'vitest';
import { transition, type AnyMachineSnapshot, type AnyStateMachine, type StateValue } from 'xstate';
import type { SystemContext } from '../../machines/context.ts';
import { EVENTS, enumerateEvents } from '../../machines/system/events.ts';
import { composeMachine, type Parts } from '../../machines/system/system.machine.ts';
import { systemSpec } from '../../machines/system/index.ts';
import { gibConfigurations } from '../../machines/gisa/kvm_s390_gib.bounds.ts';
import { gibSpecParts } from '../../machines/gisa/index.ts';
import { gisaConfigurations } from '../../machines/gisa/kvm_s390_gisa_interrupt.bounds.ts';
import { vcpuConfigurations } from '../../machines/vcpu/kvm_vcpu.bounds.ts';
import { vcpuSpecParts } from '../../machines/vcpu/index.ts';
import { kvmConfigurations } from '../../machines/system/kvm.bounds.ts';
import { queueConfigurations } from '../../machines/vfio-ap/vfio_ap_queue.bounds.ts';
import type { Kernel } from '../../machines/kernel.ts';
import type { SpecEvent } from '../../machines/lib.ts';
import type { Model } from '../../src/spec.ts';
import { exploreOnce } from '../support/variants.ts';

interface Component {
  name: string;
  parts: Parts;
  /** Region paths of the composed state value that belong to the object. */
  regions: (c: SystemContext) => string[][];
  /** The kernel data the object owns. */
  owned: (c: SystemContext) => unknown;
  /** Event types of the per-object machine (its bounds, plus the composition's internal events). */
  types: readonly string[];
}

const vcpuRegions = (c: SystemContext) => c.vms.flatMap((k, vm) => k.vcpus.map((_, i) => [`vm${vm}`, `vcpu${i}`]));

const COMPONENTS: Component[] = [
  {
    name: 'kvm_s390_gib',
    parts: gibSpecParts,
    regions: () => [['gib']],
    // the list itself is the GISAs' next_alert words: the GIB owns its origin and the GAL interruption
    owned: (c) => [c.gib.origin, c.gib.galPending],
    types: [...gibConfigurations[0]!.bounds.types, 'kvm_s390_gisa_destroy'],
  },
  {
    name: 'kvm_s390_gisa_interrupt',
    parts: { gib: true, gisa: true, env: true },
    regions: (c) => [['gib'], ...c.vms.map((_, vm) => [`vm${vm}`, 'gisa'])],
    // the GISA word, alert.mask, ref_count, the timer and kicked_mask live in kvm_s390_gisa_interrupt
    owned: (c) => ({ gib: c.gib, gisa: c.vms.map((k) => k.gisa), kicked: c.vms.map((k) => k.vcpus.map((v) => v.kicked)) }),
    types: [...gisaConfigurations[0]!.bounds.types, 'kicked_mask_clear', 'gisa_alert'],
  },
  {
    name: 'kvm_vcpu',
    parts: vcpuSpecParts,
    regions: vcpuRegions,
    owned: (c) => c.vms.map((k) => k.vcpus.map(({ kicked: _, ...v }) => v)),
    types: [...vcpuConfigurations[0]!.bounds.types],
  },
  {
    name: 'kvm',
    parts: { kvm: true, env: true },
    regions: (c) => c.vms.map((_, vm) => [`vm${vm}`, 'kvm']),
    owned: (c) => c.vms.map((k) => ({ users: k.users, fd: k.fd, freed: k.freed })),
    types: [...kvmConfigurations[0]!.bounds.types, 'kvm_destroy_vm'],
  },
  {
    name: 'vfio_ap_queue',
    parts: { mdev: true, queues: true },
    regions: (c) => [['matrix_mdev'], ...c.queues.map((_, q) => [`q${q}`])],
    owned: (c) => ({ mdev: c.mdev, queues: c.queues }),
    types: [...queueConfigurations[0]!.bounds.types],
  },
];

function pick(value: StateValue, paths: string[][]): StateValue {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    let src: unknown = value;
    for (const p of path) src = (src as Record<string, unknown> | undefined)?.[p];
    if (src === undefined) continue;
    let dst = out;
    for (const p of path.slice(0, -1)) dst = (dst[p] ??= {}) as Record<string, unknown>;
    dst[path[path.length - 1]!] = src;
  }
  return out as StateValue;
}

function projectionsHold(model: Model<SystemContext>, label: string, moving: readonly string[]): void {
  const x = exploreOnce(systemSpec, model.variantId, model.configurationId);
  // the per-object machines call the composed model's kernel table: the same kernel functions
  const { params, kernel } = model.options as { params: SystemContext['params']; kernel: Kernel };
  for (const comp of COMPONENTS) {
    it(`${label}: every composed move projects onto a move of ${comp.name} or onto none`, () => {
      const machine: AnyStateMachine = composeMachine(comp.name, comp.parts, params, kernel);
      const candidates: SpecEvent[] = enumerateEvents(params, { types: comp.types.filter((t) => EVENTS[t]) });
      const ctx0 = x.states[0]!.context;
      const regions = comp.regions(ctx0);
      const proj = (value: StateValue, c: SystemContext) => JSON.stringify([pick(value, regions), comp.owned(c)]);
      const failures: string[] = [];
      let moves = 0;
      for (let e = 0; e < x.edges.length / 3 && failures.length < 3; e++) {
        const from = x.states[x.edges[3 * e]!]!;
        const to = x.states[x.edges[3 * e + 2]!]!;
        const want = proj(to.value, to.context);
        if (proj(from.value, from.context) === want) continue; // no move of this object
        moves++;
        const snap = machine.resolveState({ value: pick(from.value, regions), context: from.context }) as AnyMachineSnapshot;
        const event = model.events[x.edges[3 * e + 1]!]! as SpecEvent;
        const ok = [event, ...candidates].some((ev) => {
          const [next] = transition(machine, snap, ev);
          return next !== snap && proj(next.value, next.context as SystemContext) === want;
        });
        if (!ok) failures.push(`${JSON.stringify(event)} from ${proj(from.value, from.context)} to ${want}`);
      }
      expect(failures).toEqual([]);
      if (moving.includes(comp.name)) expect(moves).toBeGreaterThan(0);
    });
  }
}

describe('the composition projects onto the per-object machines', () => {
  const all = COMPONENTS.map((c) => c.name);
  projectionsHold(systemSpec.model('upstream') as Model<SystemContext>, 'upstream, default', all);
  // no struct kvm teardown and no vfio_ap in the airq configuration
  projectionsHold(systemSpec.model('gib-upstream') as Model<SystemContext>, 'upstream, airq', ['kvm_s390_gib', 'kvm_s390_gisa_interrupt', 'kvm_vcpu']);
});
