// A results.json in the checker's shape (issue 3) for the toy machines: an aqic-v4-like
// counterexample (AQIC enabled, GISA destroyed, only then AQIC disabled) and a liveness
// violation with a cycle, so the page and the browser test run before the checker lands.
import { explore, traceTo } from '../../src/check/explore.ts';
import type { CheckResult } from '../../src/export/results.ts';
import type { MachineSpec } from '../../src/spec.ts';

/**
 * A real counterexample in the checker's shape, straight from the explorer: the invariants of
 * one variant, each with its shortest trace when violated (liveness is the checker's job and
 * left out). `maxStates` keeps it fast; an invariant not violated within it is reported as
 * holding, so use it only for variants whose violations are shallow.
 */
export function explorerResult(spec: MachineSpec, variant: string, maxStates: number): CheckResult {
  const model = spec.model(variant);
  const x = explore(model, { maxStates });
  return {
    machine: spec.id, variant, configuration: model.configurationId, states: x.states.length, transitions: x.transitions, depth: x.maxDepth,
    millis: Math.round(x.millis), limitReached: x.limitReached,
    results: model.invariants.map((inv) => {
      const bad = x.violations.get(inv.name);
      const trace = bad === undefined ? [] : traceTo(model, x, bad).map((t) => ({ ...t, event: t.event as { type: string } }));
      return { property: inv.name, kind: 'invariant' as const, holds: bad === undefined, expected: !model.expectedViolations.includes(inv.name), trace };
    }),
  };
}

export function fixtureResults(aqicMachine = 'toy_queue'): CheckResult[] {
  return [
    {
      machine: aqicMachine, variant: 'baseline', configuration: 'default', states: 12, transitions: 30, depth: 4, millis: 3, limitReached: false,
      results: [
        { property: 'TypeOK', kind: 'invariant', holds: true, expected: true, trace: [] },
        { property: 'GisaDestroyAfterAqicDisable', kind: 'invariant', holds: true, expected: true, trace: [] },
      ],
    },
    {
      machine: aqicMachine, variant: 'aqic-v4', configuration: 'default', states: 14, transitions: 33, depth: 4, millis: 4, limitReached: false,
      results: [
        { property: 'TypeOK', kind: 'invariant', holds: true, expected: true, trace: [] },
        {
          property: 'GisaDestroyAfterAqicDisable', kind: 'invariant', holds: false, expected: false,
          trace: [
            { step: 1, event: { type: 'PQAP_AQIC', ir: 1 }, actor: 'guest', after: { 'state.queue': 'enabled' } },
            { step: 2, event: { type: 'kvm_s390_gisa_destroy' }, actor: 'kernel', after: { 'state.gisa': 'destroyed' } },
            { step: 3, event: { type: 'vfio_ap_irq_disable' }, actor: 'kernel', after: { 'state.queue': 'reset' } },
          ],
        },
        { property: 'NoLostWakeup', kind: 'liveness', holds: null, expected: true, trace: [], note: 'not decided: explored 14 states, limit reached' },
      ],
    },
    {
      machine: 'toy_counter', variant: 'baseline', configuration: 'default', states: 4, transitions: 3, depth: 3, millis: 1, limitReached: false,
      results: [
        {
          property: 'CounterReachesTwo', kind: 'liveness', holds: false, expected: true, trigger: 1,
          trace: [{ step: 1, event: { type: 'GO' }, actor: 'timer' }],
          cycle: [{ step: 2, event: { type: 'INC' }, actor: 'kernel' }, { step: 3, event: { type: 'INC' }, actor: 'kernel' }],
        },
      ],
    },
  ];
}

/** The same results in the report object the checker writes to report/results.json. */
export function fixtureReport(aqicMachine = 'toy_queue') {
  return { tool: 's390-kvm-spec', generatedAt: '2026-01-01T00:00:00.000Z', matches: false, checks: fixtureResults(aqicMachine) };
}
