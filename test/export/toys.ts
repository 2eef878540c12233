// Small machines with every construct the exporters must draw: a parallel root, nested
// compound states, a final state, guards by name, with object and function params, and
// combinators (and, not, stateIn), targetless transitions and a transition to a compound state.
import { and, assign, not, setup, stateIn, type EventObject } from 'xstate';
import type { MachineSpec, Model } from '../../src/spec.ts';

const toyQueue = setup({
  types: { context: {} as { irq: number; pins: number }, events: {} as { type: 'PQAP_AQIC'; ir: 0 | 1 } | { type: 'RESET' } | { type: 'PIN' } | { type: 'kvm_s390_gisa_destroy' } | { type: 'REMOVE' } },
  guards: {
    irEquals: ({ event }, p: { ir: number }) => event.type === 'PQAP_AQIC' && event.ir === p.ir,
    pinned: ({ context }) => context.pins > 0,
    below: ({ context }, p: { max: number }) => context.pins < p.max,
  },
  actions: { pin: assign({ pins: ({ context }) => context.pins + 1 }) },
}).createMachine({
  id: 'toy_queue',
  type: 'parallel',
  description: 'A toy AP queue with a GISA beside it',
  context: { irq: 0, pins: 0 },
  states: {
    queue: {
      initial: 'reset',
      states: {
        reset: { on: { PQAP_AQIC: { guard: { type: 'irEquals', params: { ir: 1 } }, target: 'enabled', meta: { actor: 'guest' } } } },
        enabled: {
          initial: 'idle',
          description: 'interruptions enabled',
          states: { idle: { on: { PIN: { guard: { type: 'below', params: ({ context }) => ({ max: context.irq + 2 }) }, actions: 'pin', target: 'busy' } } }, busy: {} },
          on: {
            PQAP_AQIC: [
              { guard: and(['pinned', not(stateIn('#toy_queue.gisa.destroyed'))]), target: 'reset', meta: { actor: 'guest' } },
              { target: 'reset', meta: { actor: 'guest' } },
            ],
            RESET: { target: '#toy_queue.queue.reset', meta: { actor: 'userspace' } },
          },
        },
        removed: { type: 'final' },
      },
      on: { REMOVE: { target: '.removed', meta: { actor: 'userspace' } } },
    },
    gisa: {
      initial: 'alive',
      states: {
        alive: { on: { kvm_s390_gisa_destroy: { target: 'destroyed', meta: { actor: 'kernel' } } } },
        destroyed: { type: 'final' },
      },
    },
  },
});

const toyCounter = setup({
  types: { context: {} as { n: number }, events: {} as { type: 'INC' } | { type: 'GO' } | { type: 'FIX' } },
}).createMachine({
  id: 'toy_counter',
  initial: 'off',
  context: ({ input }) => ({ n: (input as { n?: number } | undefined)?.n ?? 0 }),
  states: {
    off: { on: { GO: { target: 'on', meta: { actor: 'timer' } } } },
    on: { on: { INC: { guard: ({ context }) => context.n < 2, actions: assign({ n: ({ context }) => context.n + 1 }), meta: { actor: 'kernel' } } } },
    // unreachable on purpose: coverage must report its transition as never taken
    broken: { on: { FIX: { target: 'off', meta: { actor: 'userspace' } } } },
  },
});

const model = (machineId: string, machine: Model['machine'], events: Model['events'], eventInfo: Model['eventInfo'], variantId = 'baseline'): Model => ({
  machineId, variantId, configurationId: 'default', machine, events, eventInfo, invariants: [], liveness: [], expectedViolations: [],
});

export const toyQueueSpec: MachineSpec = {
  id: 'toy_queue', area: 'toy', kernelObject: 'vfio_ap_queue', pinned: 'none',
  variants: [
    { id: 'baseline', description: 'the merged design', cite: 'toy', expectedViolations: [] },
    { id: 'aqic-v4', description: 'AQIC series v4: no cleanup before GISA destroy', cite: 'toy', expectedViolations: ['GisaDestroyAfterAqicDisable'] },
  ],
  configurations: [{ id: 'default', description: 'one queue' }],
  model: (variantId = 'baseline') =>
    model('toy_queue', toyQueue, [{ type: 'PQAP_AQIC', ir: 1 } as EventObject, { type: 'PQAP_AQIC', ir: 0 } as EventObject, { type: 'PIN' }, { type: 'RESET' }, { type: 'REMOVE' }, { type: 'kvm_s390_gisa_destroy' }], {
      PQAP_AQIC: { actor: 'guest', cite: 'toy' }, PIN: { actor: 'kernel', cite: 'toy' }, RESET: { actor: 'userspace', cite: 'toy' },
      REMOVE: { actor: 'userspace', cite: 'toy' }, kvm_s390_gisa_destroy: { actor: 'kernel', cite: 'toy' },
      vfio_ap_irq_disable: { actor: 'kernel', cite: 'drivers/s390/crypto/vfio_ap_ops.c vfio_ap_irq_disable' },
    }, variantId),
};

export const toyCounterSpec: MachineSpec = {
  id: 'toy_counter', area: 'toy', kernelObject: 'counter', pinned: 'none',
  variants: [{ id: 'baseline', description: 'counts to 2', cite: 'toy', expectedViolations: [] }],
  configurations: [{ id: 'default', description: 'n from 0' }],
  model: () => model('toy_counter', toyCounter, [{ type: 'GO' }, { type: 'INC' }, { type: 'FIX' }], { GO: { actor: 'timer', cite: 'toy' }, INC: { actor: 'kernel', cite: 'toy' }, FIX: { actor: 'userspace', cite: 'toy' } }),
};

export const toySpecs: MachineSpec[] = [toyQueueSpec, toyCounterSpec];
