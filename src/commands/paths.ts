// `paths --machine ID [--variant V] [--configuration C] [--cover edges|states|payloads]
// --format json|kselftest --out DIR`: generated test paths for harnesses outside the package,
// written whole or not at all to DIR/<machine>.<variant>.<configuration>.<cover>.json (schema:
// schema/paths.schema.json) or DIR/<machine>-<variant>-<configuration>-<cover>.c.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { explore } from '../check/explore.ts';
import { COVERS, type Cover } from '../paths/generate.ts';
import { pathFile, pathFileText } from '../paths/json.ts';
import { KSELFTEST_TARGETS, kselftestFile, kselftestTarget } from '../paths/kselftest.ts';
import type { MachineSpec } from '../spec.ts';
import { UsageError, type Io } from './io.ts';

export const PATH_FORMATS = ['json', 'kselftest'] as const;
export type PathFormat = (typeof PATH_FORMATS)[number];
/** Path generation needs the whole graph; past this many states the command refuses (raise it with --max-states). */
export const DEFAULT_PATHS_MAX_STATES = 200_000;

export interface PathsFlags {
  machine: string;
  variant?: string;
  configuration?: string;
  cover: Cover;
  format: PathFormat;
  out: string;
  maxStates?: number;
}

export interface PathsResult {
  file: string;
  paths: number;
  steps: number;
  transitions: number;
  transitionsCovered: number;
  states: number;
  statesCovered: number;
  /** kselftest: paths of the json cover dropped for a step userspace cannot cause. */
  dropped?: number;
}

/** The file name for a model and format, inside --out. */
export function pathsFileName(machine: string, variant: string, configuration: string, cover: Cover, format: PathFormat): string {
  return format === 'json' ? `${machine}.${variant}.${configuration}.${cover}.json` : `${machine}-${variant}-${configuration}-${cover}.c`;
}

export function runPaths(registry: readonly MachineSpec[], flags: PathsFlags): PathsResult {
  const spec = registry.find((s) => s.id === flags.machine);
  if (!spec) throw new UsageError(`unknown machine '${flags.machine}'; known: ${registry.map((s) => s.id).join(', ')}`);
  const target = flags.format === 'kselftest' ? kselftestTarget(spec.id) : undefined;
  if (flags.format === 'kselftest' && !target) {
    throw new UsageError(`no kselftest for ${spec.id}: userspace drives only ${KSELFTEST_TARGETS.map((t) => t.machine).join(' and ')} through KVM ioctls; use --format json`);
  }
  const model = spec.model(flags.variant, flags.configuration);
  const maxStates = flags.maxStates ?? DEFAULT_PATHS_MAX_STATES;
  const x = explore(model, { symmetry: false, por: false, maxStates });
  if (x.limitReached) {
    throw new UsageError(`${spec.id} ${model.variantId} ${model.configurationId} has more than ${maxStates} states; paths need the whole graph: pick a smaller configuration or raise --max-states`);
  }
  const name = pathsFileName(spec.id, model.variantId, model.configurationId, flags.cover, flags.format);
  let text: string;
  let result: Omit<PathsResult, 'file'>;
  if (target) {
    const k = kselftestFile(target, spec, model, flags.cover, x);
    text = k.text;
    const c = k.kept.coverage;
    result = { paths: k.kept.paths.length, steps: k.steps, transitions: c.transitions, transitionsCovered: c.transitionsCovered, states: c.states, statesCovered: c.statesCovered, dropped: k.dropped.length };
  } else {
    const doc = pathFile(spec, model, flags.cover, x);
    text = pathFileText(doc);
    const c = doc.coverage;
    result = { paths: doc.paths.length, steps: doc.paths.reduce((n, p) => n + p.steps.length, 0), transitions: c.transitions, transitionsCovered: c.transitionsCovered, states: c.states, statesCovered: c.statesCovered };
  }
  const file = join(flags.out, name);
  writeWhole(file, text, flags.out);
  return { file, ...result };
}

/** Writes through a temporary name in the same folder and renames: a reader never sees half a file. */
function writeWhole(file: string, text: string, dir: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the folder itself is not usable: nothing was written
    }
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot write ${file} (${err.code ?? err.message}); choose a writable directory with --out`);
  }
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function registerPaths(p: Command, io: Io): void {
  p.command('paths')
    .description('write generated test paths for other harnesses: every path as JSON (schema/paths.schema.json), or a kselftest C program')
    .requiredOption('--machine <id>', 'the machine')
    .option('--variant <id>', "the variant whose predictions the paths carry (default: the machine's first)")
    .option('--configuration <id>', "the configuration (default: the variant's)")
    .addOption(new Option('--cover <goal>', 'take every transition, visit every state, or take every event payload').choices(COVERS).default('edges'))
    .addOption(new Option('--format <format>', `json, or kselftest (${KSELFTEST_TARGETS.map((t) => t.machine).join(', ')})`).choices(PATH_FORMATS).makeOptionMandatory())
    .requiredOption('--out <dir>', 'output directory (created if missing)')
    .option('--max-states <n>', `refuse a configuration with more states than this (default ${DEFAULT_PATHS_MAX_STATES})`, positiveInt)
    .action((flags: PathsFlags) => {
      const r = runPaths(specs, flags);
      const dropped = r.dropped === undefined ? '' : `; ${r.dropped} json paths dropped for steps userspace cannot cause`;
      io.out(`wrote ${r.file}: ${r.paths} paths, ${r.steps} steps; ${r.transitionsCovered} of ${r.transitions} transitions, ${r.statesCovered} of ${r.states} states${dropped}\n`);
    });
}
