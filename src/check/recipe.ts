// What a worker thread (or a swarm process) needs to rebuild the exact model the caller
// checks: machine, variant, configuration, parameter overrides, and a variant file.
import { specs } from '../../machines/index.ts';
import { pick, type Model } from '../spec.ts';
import { applyVariant, loadVariantFile } from './variant-file.ts';

export interface ModelRecipe {
  machine: string;
  variant?: string;
  configuration?: string;
  params?: Readonly<Record<string, unknown>>;
  /** A variant file (check --variant-file): its guards and actions replace the base variant's. */
  variantFile?: string;
}

/** Builds the model a recipe names (SpecError for an unknown machine, variant or configuration). */
export async function modelOf(recipe: ModelRecipe): Promise<Model> {
  const spec = pick('machine', 's390-kvm-spec', specs, recipe.machine);
  if (recipe.variantFile) {
    const file = await loadVariantFile(recipe.variantFile);
    const params = { ...(file.file.params ?? {}), ...(recipe.params ?? {}) };
    const base = spec.model(file.file.base, recipe.configuration, Object.keys(params).length ? { params } : undefined);
    return applyVariant(base, file);
  }
  return spec.model(recipe.variant, recipe.configuration, recipe.params ? { params: recipe.params } : undefined);
}

/**
 * The recipe of a model a shipped spec built: its machine, variant, the configuration it
 * started from and, when parameters were overridden (the configuration id then reads
 * `id[key=value,...]`), the parameters it was built with. A variant file must be named by the caller.
 */
export function recipeOf(model: Model, variantFile?: string): ModelRecipe {
  const bracket = model.configurationId.indexOf('[');
  const configuration = bracket < 0 ? model.configurationId : model.configurationId.slice(0, bracket);
  const params = bracket < 0 ? undefined : (model.options?.params as Record<string, unknown> | undefined);
  return {
    machine: model.machineId,
    ...(variantFile ? { variantFile } : { variant: model.variantId }),
    configuration,
    ...(params ? { params: overridden(model.configurationId.slice(bracket + 1, -1), params) } : {}),
  };
}

/** The keys the configuration id names as overridden (`vms=2,iscs=[3,5]`), with the values the model was built with. */
function overridden(list: string, params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of list.matchAll(/(?:^|,)([A-Za-z_]\w*)=/g)) out[m[1]!] = params[m[1]!];
  return out;
}
