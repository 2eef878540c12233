// How the core machines and the core SUT are compared: the SUT's observation and the same
// projection computed from a machine's abstract state, restricted to the objects the
// machine models (a per-object machine leaves the others to its environment).
import type { StateValue } from 'xstate';
import { FAULT, type Params, type SystemContext } from '../../machines/context.ts';
import type { Design } from '../../machines/design.ts';
import { region, top } from '../../machines/invariant-lib.ts';
import type { Parts } from '../../machines/system/system.machine.ts';
import type { AbstractState, Model } from '../spec.ts';
import type { Conformance } from '../paths/cover.ts';
import { CoreSut, observeCore, type Observation } from './core.ts';

/** The objects a machine models, as parts of the observation. */
export type Scope = ReadonlySet<'gib' | 'gisa' | 'vcpus' | 'kvm' | 'mdev' | 'queues'>;

export function scopeOf(parts: Parts): Scope {
  const s = new Set<'gib' | 'gisa' | 'vcpus' | 'kvm' | 'mdev' | 'queues'>();
  if (parts.gib) s.add('gib');
  if (parts.gisa || parts.vcpus || parts.queues) s.add('gisa'); // vcpus and the AP act on the GISA word
  if (parts.vcpus) s.add('vcpus');
  if (parts.kvm || parts.mdev) s.add('kvm');
  if (parts.mdev) s.add('mdev');
  if (parts.queues) s.add('queues');
  return s;
}

const faultNames = (bits: number): string[] =>
  Object.entries(FAULT)
    .filter(([, b]) => bits & b)
    .map(([n]) => n)
    .sort();

/** The observation computed from the machine: what the SUT must show after the same events. */
export function expectCore(state: AbstractState<SystemContext>): Observation {
  const c = state.context;
  const v: StateValue = state.value;
  const gibState = region(v, 'gib');
  return {
    gib: {
      origin: gibState === 'alert_list' ? 'LIST' : gibState === 'NONE_GISA_ADDR' ? 'NONE' : 'NULL',
      listed: c.vms.map((_, i) => i).filter((i) => c.gib.list & (1 << i)),
      galPending: c.gib.galPending,
    },
    vms: c.vms.map((k, vm) => ({
      users: k.users,
      kvmFreed: k.freed,
      fd: k.fd,
      gisa: { origin: k.gisa.origin, freed: k.gisa.freed, ipm: k.gisa.ipm, iam: k.gisa.iam, mask: k.gisa.mask, ref: k.gisa.ref, timer: k.gisa.timer },
      vcpus: k.vcpus.map((x, i) => {
        const st = region(v, `vm${vm}`, `vcpu${i}`);
        const t = top(st);
        const where = t === 'idle' ? (region(st!, 'idle') as 'halted' | 'woken') : (t as 'stopped' | 'outside_sie' | 'in_sie');
        // the machine's idle is __set_cpu_idle's pair (CPUSTAT_WAIT and the idle_mask bit): the SUT shows each
        return { where, kicked: x.kicked, pswIo: x.pswIo, idle: x.idle, wait: x.idle, ...(c.params.guestMasks ? { cr6: x.cr6 } : {}), ...(x.iictl === undefined ? {} : { iictl: x.iictl, fenced: x.fenced, cont: x.cont }) };
      }),
      faults: faultNames(k.faults),
    })),
    mdev: {
      kvm: c.mdev.kvm,
      kvmRef: c.mdev.kvmRef,
      hookVm: c.mdev.hook,
      ...(c.mdev.unsetting === undefined ? {} : { unsetting: c.mdev.unsetting }),
      ...(c.mdev.resetting === undefined ? {} : { resetting: c.mdev.resetting, resetRc: c.mdev.resetRc ?? null }),
    },
    queues: c.queues.map((q) => ({
      savedIsc: q.isc,
      savedNib: q.nib,
      pins: q.pins,
      irq: q.irq,
      apid: q.apid,
      apqi: q.apqi,
      hw: q.irq ? { isc: q.hwIsc, gisa: q.hwGisa } : null,
      faults: faultNames(q.faults),
      ...(q.work === undefined ? {} : { work: q.work }),
      ...(q.freed === undefined ? {} : { freed: q.freed }),
      ...(q.resetStatus === undefined ? {} : { resetStatus: q.resetStatus }),
      ...(q.hwReset === undefined ? {} : { hwReset: q.hwReset, told: q.told }),
      ...(q.gr1 === undefined ? {} : { told: q.told, gr1: q.gr1 }),
    })),
  } as Observation;
}

/** Keeps the parts of an observation the machine models. */
export function restrict(o: Observation, scope: Scope): unknown {
  const out: Record<string, unknown> = {};
  if (scope.has('gib')) out.gib = o.gib;
  out.vms = o.vms.map((k) => ({
    ...(scope.has('kvm') ? { users: k.users, kvmFreed: k.kvmFreed, fd: k.fd } : {}),
    ...(scope.has('gisa') ? { gisa: k.gisa } : {}),
    ...(scope.has('vcpus') ? { vcpus: k.vcpus } : {}),
    ...(scope.has('gisa') || scope.has('kvm') ? { faults: k.faults } : {}),
  }));
  if (scope.has('mdev')) out.mdev = o.mdev;
  if (scope.has('queues')) out.queues = o.queues;
  return out;
}

/** Conformance of a core model (per-object or composed) with the core SUT. */
export function coreConformance(model: Model): Conformance<CoreSut> {
  const opts = model.options as { params: Params; design: Design; parts: Parts };
  const scope = scopeOf(opts.parts);
  return {
    create: () => new CoreSut(opts.params, opts.design, { freeStanding: !opts.parts.kvm }),
    observe: (sut) => restrict(observeCore(sut, { gib: true }), scope),
    expect: (state) => restrict(expectCore(state as AbstractState<SystemContext>), scope),
  };
}
