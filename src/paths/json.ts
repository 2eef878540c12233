// Generated test paths as data (`paths --format json`), in the versioned format that
// schema/paths.schema.json describes: per step the event with its payload, who causes it, the
// machine's state after it and what the model predicts a harness observes (return code or
// errno, what a GET returns, the object's fields). Other harnesses (a real kernel, QEMU, a
// kselftest) replay the paths and compare; src/paths/verify.ts does it with the transcriptions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyMachineSnapshot, EventObject, StateValue } from 'xstate';
import { explore, type Exploration } from '../check/explore.ts';
import { packageRoot } from '../check/variant-loader.ts';
import type { AbstractState, MachineSpec, Model, Observation } from '../spec.ts';
import type { EdgePath } from './cover.ts';
import { coverPaths, type Cover, type Coverage } from './generate.ts';

/** The format's name and version: a harness refuses a version it does not know. */
export const PATHS_SCHEMA = 's390-kvm-spec/paths';
export const PATHS_SCHEMA_VERSION = 1;

export interface PathStep {
  step: number;
  event: EventObject;
  actor: string;
  /** The machine's state value after the step. */
  state: StateValue;
  expect: Observation;
}

export interface PathFile {
  schema: typeof PATHS_SCHEMA;
  schemaVersion: typeof PATHS_SCHEMA_VERSION;
  generator: { name: string; version: string };
  machine: { id: string; area: string; kernelObject: string; pinned: string };
  variant: string;
  configuration: string;
  cover: Cover;
  coverage: Coverage;
  /** Every event type of the model: who causes it and the kernel entry point it mirrors. */
  events: Record<string, { actor: string; cite: string }>;
  /** Every path starts here, on a fresh object. */
  initial: { state: StateValue; expect: Observation };
  paths: { id: number; steps: PathStep[] }[];
}

/** What the model predicts, or only the state when the machine has no `observe`. */
export function observation(model: Model, s: AbstractState<unknown>, event?: EventObject): Observation {
  if (model.observe) return model.observe(s, event);
  return { state: typeof s.value === 'string' ? s.value : JSON.stringify(s.value) };
}

const abstract = (snap: AnyMachineSnapshot): AbstractState<unknown> => ({ value: snap.value, context: snap.context });

/** The steps of one path: each edge's event, actor, target state and prediction. */
export function stepsOf(model: Model, x: Exploration, p: EdgePath): PathStep[] {
  return p.edges.map((e, i) => {
    const event = model.events[x.edges[3 * e + 1]!]!;
    const snap = x.snapshots[x.edges[3 * e + 2]!]!;
    return { step: i + 1, event, actor: model.eventInfo[event.type]?.actor ?? 'unknown', state: snap.value, expect: observation(model, abstract(snap), event) };
  });
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The path file of one model: explored without symmetry reduction, so every path is concrete. */
export function pathFile(spec: MachineSpec, model: Model, cover: Cover, x: Exploration = explore(model, { symmetry: false, por: false })): PathFile {
  const set = coverPaths(x, cover);
  const initial = x.snapshots[0]!;
  return {
    schema: PATHS_SCHEMA,
    schemaVersion: PATHS_SCHEMA_VERSION,
    generator: { name: 's390-kvm-spec', version: packageVersion() },
    machine: { id: spec.id, area: spec.area, kernelObject: spec.kernelObject, pinned: spec.pinned },
    variant: model.variantId,
    configuration: model.configurationId,
    cover,
    coverage: set.coverage,
    events: Object.fromEntries(Object.entries(model.eventInfo).map(([t, i]) => [t, { actor: i.actor, cite: i.cite }])),
    initial: { state: initial.value, expect: observation(model, abstract(initial)) },
    paths: set.paths.map((p, i) => ({ id: i + 1, steps: stepsOf(model, x, p) })),
  };
}

/** The file's text: the header pretty-printed, then one path per line (large files stay greppable). */
export function pathFileText(doc: PathFile): string {
  const { paths, ...head } = doc;
  const header = JSON.stringify(head, null, 2).slice(0, -2);
  return `${header},\n  "paths": [\n${paths.map((p) => `    ${JSON.stringify(p)}`).join(',\n')}\n  ]\n}\n`;
}
