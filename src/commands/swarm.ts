// `check --swarm N --seed S`: instead of one exhaustive search, N bounded random-order searches
// with hash-compacted visited sets (src/check/swarm.ts), seeds S..S+N-1; `--report DIR` writes
// each check's result file for `merge`. Exit 0 when the violations found are exactly the
// expected ones, 1 otherwise: which says nothing about the states no search reached.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay } from '../check/check.ts';
import { modelOf, recipeOf } from '../check/recipe.ts';
import { mergeSwarm, runSwarm, type SwarmFile, type SwarmSummary } from '../check/swarm.ts';
import type { Model, MachineSpec } from '../spec.ts';
import { stepLines } from './check.ts';
import { UsageError, type Io } from './io.ts';

export interface SwarmFlags {
  swarm?: number;
  seed?: number;
  swarmDepth?: number;
  maxStates?: number;
  symmetry?: boolean;
  report?: string;
  json?: boolean;
  variantFile?: string;
}

/** States one search visits at most unless --max-states says otherwise. */
export const SWARM_STATES = 1_000_000;
/** Depth one search goes to unless --swarm-depth says otherwise. */
export const SWARM_DEPTH = 100;

export async function swarmCheck(jobs: readonly { spec: MachineSpec; model: Model }[], flags: SwarmFlags, io: Io): Promise<number> {
  const seed = flags.seed ?? 0;
  const summaries: SwarmSummary[] = [];
  for (const job of jobs) {
    const file = runSwarm(job.model, recipeOf(job.model, flags.variantFile), {
      seed,
      searches: flags.swarm!,
      maxStates: flags.maxStates ?? SWARM_STATES,
      maxDepth: flags.swarmDepth ?? SWARM_DEPTH,
      ...(flags.symmetry !== undefined ? { symmetry: flags.symmetry } : {}),
    });
    if (flags.report) writeSwarmFile(flags.report, file);
    const summary = mergeSwarm([{ name: 'this run', file }]);
    summaries.push(summary);
    if (!flags.json) io.out(formatSwarm(summary, job.model));
  }
  if (flags.json) io.out(JSON.stringify(summaries, null, 2) + '\n');
  return summaries.every((s) => s.matches) ? 0 : 1;
}

/** `DIR/swarm-<machine>-<variant>-<configuration>-seed<S>.json`, written through a temporary file and a rename. */
export function writeSwarmFile(dir: string, file: SwarmFile): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._=,-]+/g, '_');
  const target = join(dir, `swarm-${safe(file.machine)}-${safe(file.variant)}-${safe(file.configuration)}-seed${file.searches[0]?.seed ?? 0}.json`);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify(file) + '\n');
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UsageError(`cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return target;
}

const fmt = (n: number) => n.toLocaleString('en');

/** The table of a swarm (one run or a merge), its coverage estimate, and every violation as numbered steps replayed through the model. */
export function formatSwarm(s: SwarmSummary, model: Model): string {
  const seeds = s.searches === 1 ? 'one search' : `${fmt(s.searches)} searches`;
  const lines = [`${s.machine} / ${s.variant} / ${s.configuration}: swarm of ${seeds}${s.files > 1 ? ` from ${s.files} files` : ''}, ${fmt(s.visits)} state visits, ${fmt(s.transitions)} transitions`];
  const total = s.estimatedTotal;
  const coverage = total
    ? `, of at least about ${fmt(total)} reachable, so at most about ${Math.min(100, Math.round((100 * s.distinct) / total))} % of them (Chao1 over how often the searches met the same sampled states, a lower bound on the total that searches biased towards the same states make lower still)`
    : ' (too few repeated states in the samples to estimate how many are reachable)';
  lines.push(`  NOT A PROOF: the searches visited about ${fmt(s.distinct)} distinct states${coverage}; an invariant no search broke may still break in a state none reached`);
  if (s.repeatedSeeds.length) lines.push(`  seeds run more than once (they repeat the same search): ${s.repeatedSeeds.join(', ')}`);
  const found = (r: SwarmSummary['results'][number]) => (r.found ? `violated (seed ${r.seed}, ${r.events!.length} steps)` : 'not found');
  const rows = [['property', 'kind', 'expected', 'found', ''], ...s.results.map((r) => [r.property, 'invariant', r.expected ? 'holds' : 'violated', found(r), r.found === !r.expected ? 'ok' : 'MISMATCH'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) lines.push('  ' + row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  for (const r of s.results.filter((x) => x.found)) {
    const { steps, last } = replay(model, r.events!);
    const inv = model.invariants.find((i) => i.name === r.property);
    const real = inv ? !inv.holds(last) : false;
    lines.push('', `  ${r.property} violated (${r.expected ? 'NOT EXPECTED' : 'expected'}): a trace found by search seed ${r.seed}, ${steps.length} steps, not necessarily the shortest${real ? '' : ' (it does NOT replay to a violation: an approximate symmetry group; run with --no-symmetry)'}`, ...stepLines(steps));
  }
  return lines.join('\n') + '\n\n';
}

/** `merge FILES...`: the summary of swarm result files of one model, traces replayed through the model their recipe rebuilds. */
export async function mergeFiles(files: readonly { name: string; file: SwarmFile }[], io: Io, json: boolean): Promise<number> {
  const s = mergeSwarm(files);
  let model: Model;
  try {
    model = await modelOf(s.recipe);
  } catch (e) {
    throw new UsageError(`cannot rebuild ${s.machine}/${s.variant}/${s.configuration} from the files' recipe ${JSON.stringify(s.recipe)}: ${(e as Error).message.split('\n')[0]}`);
  }
  io.out(json ? JSON.stringify(s, null, 2) + '\n' : formatSwarm(s, model));
  return s.matches ? 0 : 1;
}
