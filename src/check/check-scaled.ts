// `check --workers N`: the check of check.ts over the collapse-compressed explorer, in N worker
// threads (parallel.ts) or, for N = 0, in this thread (scaled.ts). The edge list is kept only
// when a liveness property will be decided on it.
import type { Model } from '../spec.ts';
import { checkModel, earlyStopper, reductions, type CheckOptions, type CheckResult } from './check.ts';
import type { Exploration } from './explore.ts';
import { exploreParallel } from './parallel.ts';
import type { ModelRecipe } from './recipe.ts';
import { exploreScaled } from './scaled.ts';

export interface ScaledCheckOptions extends CheckOptions {
  /** Worker threads; 0 explores in this thread. */
  workers: number;
  /** How a worker rebuilds the model (default: recipeOf the model, for shipped specs). */
  recipe?: ModelRecipe;
  /** After each BFS level, with the states per depth: a line to show, or a reason to stop. */
  onLevel?: (perDepth: readonly number[], states: number) => string | undefined;
  /** Told the bytes the exploration held (vectors, component tables, parent links, edges). */
  onBytes?: (bytes: number) => void;
}

/** Whether the check will decide a liveness property on the explored graph (under symmetry reduction only alwaysReachable of a whole-state goal). */
export function needsEdges(model: Model, symmetric: boolean): boolean {
  return model.liveness.some((p) => !symmetric || (p.kind === 'alwaysReachable' && !p.instances));
}

export async function checkScaled(model: Model, options: ScaledCheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const red = reductions(model, options);
  if (red.por) {
    // the collapse-compressed explorers do not do partial-order reduction: the check runs here, reduced, in this thread
    const r = checkModel(model, options);
    return r.por ? { ...r, por: { ...r.por, note: [r.por.note, '--workers not used: the worker-thread explorer does not do partial-order reduction (--no-por to use it)'].filter(Boolean).join('; ') } } : r;
  }
  const symmetric = red.symmetry;
  const stop = earlyStopper(options, started);
  const explore = {
    ...(options.maxStates !== undefined ? { maxStates: options.maxStates } : {}),
    onLevel: (perDepth: readonly number[], states: number) => options.onLevel?.(perDepth, states) ?? stop(perDepth, states),
    symmetry: symmetric,
    keepEdges: needsEdges(model, symmetric),
    ...(options.dead ? { dead: true } : {}),
  };
  let x: Exploration & { bytes: number };
  if (options.workers > 0) x = await exploreParallel(model, { ...explore, workers: options.workers, ...(options.recipe ? { recipe: options.recipe } : {}) });
  else x = exploreScaled(model, explore);
  const r = checkModel(model, { ...options, symmetry: symmetric, explorer: () => x });
  options.onBytes?.(x.bytes);
  return { ...r, millis: Math.round(performance.now() - started) };
}
