// Builds the MachineSpec of a core machine (per-object or composed) from its parts,
// configurations, variants and properties.
import type { AnyStateMachine } from 'xstate';
import { pick, type Invariant, type LivenessProperty, type MachineSpec, type Model, type VariantInfo } from '../../src/spec.ts';
import type { Params, SystemContext } from '../context.ts';
import { PINNED, UPSTREAM, type Design } from '../design.ts';
import { EVENTS, enumerateEvents, type Bounds } from './events.ts';
import { composeMachine, contextFor, type Parts } from './system.machine.ts';

export interface CoreConfiguration {
  id: string;
  description: string;
  params: Params;
  bounds: Bounds;
  /** Liveness properties checked in this configuration (default: the machine's). */
  liveness?: readonly LivenessProperty<SystemContext>[];
}

export interface CoreVariant extends VariantInfo {
  /** Factory options that differ from upstream. */
  design?: Partial<Design>;
  /** Named guards or actions replaced with machine.provide(). */
  provide?: (d: Design) => Parameters<AnyStateMachine['provide']>[0];
}

export interface CoreSpecDef {
  id: string;
  area: string;
  kernelObject: string;
  parts: Parts;
  configurations: readonly CoreConfiguration[];
  variants: readonly CoreVariant[];
  invariants: readonly Invariant<SystemContext>[];
  liveness?: readonly LivenessProperty<SystemContext>[];
}

/** The events raised inside a step (never enumerated from outside, but named in traces). */
const INTERNAL = ['gisa_alert', 'kvm_s390_vcpu_wakeup', 'kvm_destroy_vm'];

export function coreSpec(def: CoreSpecDef): MachineSpec {
  return {
    id: def.id,
    area: def.area,
    kernelObject: def.kernelObject,
    pinned: PINNED,
    variants: def.variants,
    configurations: def.configurations,
    model(variantId?: string, configurationId?: string): Model<SystemContext> {
      const variant = pick('variant', def.id, def.variants, variantId);
      const configuration = pick('configuration', def.id, def.configurations, configurationId ?? variant.configuration);
      const design: Design = { ...UPSTREAM, ...variant.design };
      let machine = composeMachine(def.id, def.parts, configuration.params, design, contextFor(configuration.params));
      if (variant.provide) machine = machine.provide(variant.provide(design));
      const events = enumerateEvents(configuration.params, configuration.bounds);
      const types = new Set([...configuration.bounds.types, ...INTERNAL]);
      return {
        machineId: def.id,
        variantId: variant.id,
        configurationId: configuration.id,
        machine,
        events,
        eventInfo: Object.fromEntries([...types].map((t) => [t, EVENTS[t]!])),
        invariants: def.invariants,
        liveness: configuration.liveness ?? def.liveness ?? [],
        expectedViolations: variant.expectedViolations,
        options: { params: configuration.params, design, parts: def.parts },
      };
    },
  };
}
