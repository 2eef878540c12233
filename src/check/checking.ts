// One check of a model as `check` runs it: the explorer and the properties (check.ts), then
// what a variant file's check adds. In the checking mode (a variant file's code runs) every
// stored context and the spec's configurations are deep-frozen, so a write to either throws
// where it happens; a growth watch stops a run whose counter leaks; the file's replacements
// are counted (one that never ran is a mismatch unless expected); a step that throws is
// located (locate.ts) and reported as one line. At the state limit, the fields that kept
// growing are named (leak.ts).
import type { MachineSpec, Model } from '../spec.ts';
import { checkModel, type CheckOptions, type CheckResult } from './check.ts';
import type { Exploration } from './explore.ts';
import { growingFields, GrowthStop, GrowthWatch } from './leak.ts';
import { deepFreeze, describeThrow, freezeConfigurations, locate, type LocateShared, type StepFailure } from './locate.ts';
import { overrideUse, resetOverrideUse, variantOf } from './variant-file.ts';

/** The pseudo-invariant the checking mode adds (never reported): it freezes each stored context and feeds the growth watch. */
const CHECKING = '\0checking';

export interface JobOptions extends CheckOptions {
  /** Checking mode: freeze, growth watch, and located failures (a variant file's checks). */
  checking?: boolean;
  /** Called for every state the explorer expands or stores (the watchdog's heartbeat). */
  beat?: () => void;
  /** Exploring (1), evaluating properties (2), done (0): what the watchdog may expect of the heartbeat. */
  phase?: (p: 0 | 1 | 2) => void;
  /** Where the search for a failing step publishes its position (a worker under the watchdog). */
  locateShared?: LocateShared;
  /** The explored graph of a check that ran to the end (npm start hands it to the page's coverage). */
  onGraph?: (x: Exploration) => void;
}

/** A check, or the failure of a step of the variant's code in it. */
export type JobOutcome = { result: CheckResult } | { failure: StepFailure };

/** Runs one check as the command does (see the file header). */
export function runJob(spec: MachineSpec, model: Model, options: JobOptions): JobOutcome {
  const file = variantOf(model);
  const checking = !!options.checking;
  if (checking) freezeConfigurations(spec);
  const watchGrowth = new GrowthWatch();
  const withChecking = (m: Model, grow: boolean): Model =>
    checking
      ? {
          ...m,
          invariants: [
            ...m.invariants,
            {
              name: CHECKING,
              cite: 'checking mode',
              holds: (s) => {
                deepFreeze(s.context);
                options.beat?.();
                if (grow) watchGrowth.observe(s.context);
                return true;
              },
            },
          ],
        }
      : m;
  let explored: Exploration | undefined;
  const run = (m: Model, maxStates: number | undefined): CheckResult => {
    explored = undefined;
    options.phase?.(1);
    const r = checkModel(m, {
      ...options,
      ...(maxStates !== undefined ? { maxStates } : {}),
      ...(options.beat ? { onProgress: (states: number, queued: number) => (options.beat!(), options.onProgress?.(states, queued)), progressEvery: 1 } : {}),
      onExplored: (x) => {
        explored = x;
        options.phase?.(2);
      },
    });
    options.phase?.(0);
    return { ...r, results: r.results.filter((x) => x.property !== CHECKING) };
  };
  let result: CheckResult;
  try {
    try {
      result = run(withChecking(model, true), options.maxStates);
    } catch (e) {
      if (!(e instanceof GrowthStop)) throw e;
      // the same exploration up to where the watch stopped it: what it found so far, and why it stops
      resetOverrideUse(model);
      result = { ...run(withChecking(model, false), e.states), stopped: `stopped early: ${e.message}; the state space has no bound` };
    }
  } catch (error) {
    options.phase?.(0);
    if (error instanceof GrowthStop) throw error;
    // a step threw: find the first such step breadth-first, with its state and path
    const at = locate(model, { maxStates: options.maxStates ?? 1_000_000, freeze: checking, ...(options.locateShared ? { shared: options.locateShared } : {}) });
    if (!at) throw error;
    return { failure: describeThrow(model, at, file?.files ?? [], spec.configurations) };
  }
  // after the check, so its time is not the check's
  if (explored) options.onGraph?.(explored);
  if (result.limitReached && explored) {
    const growth = growingFields(model, explored);
    if (growth.length) result = { ...result, growth };
  }
  const overrides = overrideUse(model);
  if (overrides) {
    const unexpected = overrides.some((o) => o.calls === 0 && !o.expectedUnexecuted);
    result = { ...result, overrides, matches: result.matches && !unexpected };
  }
  return { result };
}

/** Locating only (the watchdog's second worker): the search, publishing its position. */
export function locateJob(spec: MachineSpec, model: Model, maxStates: number, shared: LocateShared): StepFailure | undefined {
  freezeConfigurations(spec);
  const at = locate(model, { maxStates, freeze: true, shared });
  return at ? describeThrow(model, at, variantOf(model)?.files ?? [], spec.configurations) : undefined;
}
