// The vfio-ccw subchannel machine as the package sees it: variants, configurations, models.
import { pick, type MachineSpec, type Model } from '../../src/spec.ts';
import { configurations } from './vfio_ccw_private.bounds.ts';
import { invariants } from './vfio_ccw_private.invariants.ts';
import { createVfioCcwMachine, eventInfo, events, type CcwContext } from './vfio_ccw_private.machine.ts';
import { variants } from './vfio_ccw_private.variants.ts';
import { observeCcw } from './vfio_ccw_private.observe.ts';

export const vfioCcwPrivate: MachineSpec = {
  id: 'vfio_ccw_private',
  area: 'vfio-ccw',
  kernelObject: 'vfio_ccw_private',
  pinned: 'v6.2 (vfio_ccw_fsm.c 008a011d); variants v4.19, v5.0, v5.2, v5.14, 2026 fix, Morel v3 design',
  variants,
  configurations,
  model(variantId?: string, configurationId?: string): Model<CcwContext> {
    const variant = pick('variant', 'vfio_ccw_private', variants, variantId);
    const conf = pick('configuration', 'vfio_ccw_private', configurations, configurationId);
    const v = variant.version;
    return {
      machineId: 'vfio_ccw_private',
      variantId: variant.id,
      configurationId: conf.id,
      machine: createVfioCcwMachine(v, conf.bounds),
      events: events(v, conf.bounds),
      eventInfo: eventInfo(v),
      invariants: invariants(v),
      liveness: [],
      expectedViolations: variant.expectedViolations,
      observe: observeCcw,
    };
  },
};
