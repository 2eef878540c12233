// The vfio-ccw subchannel machine as the package sees it: variants, configurations, models.
import { pick, SpecError, type Invariant, type MachineSpec, type Model } from '../../src/spec.ts';
import { lockInvariants } from '../kthread.ts';
import { configurations } from './vfio_ccw_private.bounds.ts';
import { invariants, ioTodoInvariants } from './vfio_ccw_private.invariants.ts';
import { ccwThreads, createVfioCcwMachine, eventInfo, events, type CcwContext } from './vfio_ccw_private.machine.ts';
import { variants, type CcwConfigId } from './vfio_ccw_private.variants.ts';
import { ccwLiveness } from './vfio_ccw_private.liveness.ts';
import { observeCcw } from './vfio_ccw_private.observe.ts';
import { auditVfioCcwPrivate } from './vfio_ccw_private.audit.ts';

export const vfioCcwPrivate: MachineSpec = {
  id: 'vfio_ccw_private',
  area: 'vfio-ccw',
  kernelObject: 'vfio_ccw_private',
  pinned: 'v6.17-rc4',
  variants,
  configurations,
  audit: auditVfioCcwPrivate,
  model(variantId?: string, configurationId?: string): Model<CcwContext> {
    const variant = pick('variant', 'vfio_ccw_private', variants, variantId);
    const conf = pick('configuration', 'vfio_ccw_private', configurations, configurationId ?? variant.configuration);
    if (variant.configurations && !variant.configurations.includes(conf.id)) {
      throw new SpecError(`variant '${variant.id}' of vfio_ccw_private exists only in configuration ${variant.configurations.join(', ')}, not '${conf.id}'`);
    }
    const v = variant.version;
    // a fine-grained configuration adds the locking rules of its threads
    const threads = ccwThreads(v, conf.bounds);
    const fine = threads.length > 0;
    const ioTodo = threads.some((t) => t.name === 'io_todo');
    return {
      machineId: 'vfio_ccw_private',
      variantId: variant.id,
      configurationId: conf.id,
      machine: createVfioCcwMachine(v, conf.bounds),
      events: events(v, conf.bounds),
      eventInfo: eventInfo(v, conf.bounds),
      invariants: [...invariants(v), ...(ioTodo ? ioTodoInvariants : []), ...(fine ? (lockInvariants as readonly Invariant<CcwContext>[]) : [])],
      liveness: ccwLiveness(v, conf.bounds),
      expectedViolations: variant.expected[conf.id as CcwConfigId] ?? [],
      observe: observeCcw,
    };
  },
};
