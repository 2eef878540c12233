// `mutate [--machine ID] [--area A] [--json] [--jobs N] [--sample K] [--mutant ID ...] [--out FILE]
// [--triage FILE] [--write-triage] [--list] [--diffs all|untriaged|none]`: the mutation analysis
// (src/mutate/). Exit 0 when every mutant not killed is triaged and no triaged one was killed,
// 1 when the triage and the run disagree (stale entries included), 2 on a usage error.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { buildReport, serializeReport, textReport, type MutationReport } from '../mutate/report.ts';
import { generate, runMutation, RunError, type RunResult } from '../mutate/run.ts';
import { judge, loadTriage, serializeTriage, TriageError, type TriageEntry } from '../mutate/triage.ts';
import { UsageError, type Io } from './io.ts';

export interface MutateFlags {
  machine?: string;
  area?: string;
  json?: boolean;
  jobs?: number;
  sample?: number;
  mutant?: string[];
  out?: string;
  triage?: string;
  writeTriage?: boolean;
  list?: boolean;
  diffs?: string;
  progress?: boolean;
  thorough?: boolean;
}

/** The checkout the analysis mutates (machines/ and src/sut/ as TypeScript). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_TRIAGE = join(PACKAGE_ROOT, 'mutation', 'triage.json');
/** The committed report of the last full run (the review page reads it); a partial run never replaces it. */
export const DEFAULT_RESULTS = join(PACKAGE_ROOT, 'mutation', 'results.json');

/** A reason --write-triage puts on a new entry; the triage test rejects it until a person writes one. */
export const UNREVIEWED = 'UNREVIEWED';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function registerMutate(p: Command, io: Io, done: (code: number) => void): void {
  p.command('mutate')
    .description('mutation analysis: how many plausible kernel bugs the properties (check) and the path tests catch')
    .option('--machine <id>', "only this machine's area, measured in this machine's configurations and path suites")
    .option('--area <area>', 'only mutants of this area (gisa, vcpu, vfio-ap, system, flic-ais, vfio-ccw, dirty-log)')
    .option('--json', 'print the report as JSON on stdout')
    .option('--jobs <n>', 'worker processes (default: the number of cores)', positiveInt)
    .option('--sample <k>', 'a fixed sample of k mutants (the same ones every run)', positiveInt)
    .option('--mutant <id>', 'only this mutant (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--out <file>', 'also write the JSON report to this file (npm run mutate: mutation/results.json)')
    .option('--triage <file>', 'the triage file (default: mutation/triage.json)')
    .option('--write-triage', `add every untriaged survivor to the triage file with the reason '${UNREVIEWED}' (write the real reason, then rerun)`)
    .option('--list', 'list the mutants the flags select (id, line, original -> mutated) without running them')
    .option('--thorough', 'run every mutant on every configuration and suite that reaches it, the large ones too (slow)')
    .option('--progress', 'report progress on stderr even when it is not a terminal')
    .option('--diffs <which>', 'print the diff of all survivors, of the untriaged ones (default) or none', 'untriaged')
    .action(async (flags: MutateFlags) => done(await runMutate(flags, io)));
}

export async function runMutate(flags: MutateFlags, io: Io): Promise<number> {
  if (!existsSync(join(PACKAGE_ROOT, 'machines')) || !existsSync(join(PACKAGE_ROOT, 'src', 'sut'))) {
    throw new UsageError('mutate works on the TypeScript sources of a checkout (machines/, src/sut/); run it there: npm run mutate');
  }
  if (!['all', 'untriaged', 'none'].includes(flags.diffs ?? 'untriaged')) throw new UsageError(`--diffs must be all, untriaged or none, not '${flags.diffs}'`);
  if (flags.json && flags.list) throw new UsageError('--json and --list do not go together: --list prints one mutant per line');
  const triagePath = flags.triage ? resolve(flags.triage) : DEFAULT_TRIAGE;
  const select = {
    specs,
    ...(flags.area ? { area: flags.area } : {}),
    ...(flags.machine ? { machine: flags.machine } : {}),
    ...(flags.sample ? { sample: flags.sample } : {}),
    ...(flags.mutant?.length ? { mutants: flags.mutant } : {}),
  };
  try {
    let entries: TriageEntry[];
    try {
      entries = loadTriage(triagePath);
    } catch (e) {
      if (e instanceof TriageError) throw new UsageError(`${e.message}; fix the file or pass --triage`);
      throw e;
    }
    const { ins, selected } = generate(PACKAGE_ROOT, select);
    if (flags.list) {
      for (const m of selected) io.out(`${m.id}\t${m.line}\t${m.orig}  ->  ${m.repl}\n`);
      return 0;
    }
    if (!selected.length) throw new UsageError('no mutant matches the flags');
    const progress = (line: string) => {
      if (io.errIsTTY || flags.progress) io.err(`mutate: ${line}\n`);
    };
    const run: RunResult = await runMutation({ root: PACKAGE_ROOT, ...select, ...(flags.jobs ? { jobs: flags.jobs } : {}), ...(flags.thorough ? { thorough: true } : {}), onProgress: progress });
    const { judged, problems } = judge(run, entries, ins.mutants);
    const report: MutationReport = buildReport(run, judged, problems);
    if (flags.out) {
      const partial = flags.area || flags.machine || flags.sample || flags.mutant?.length;
      if (partial && resolve(flags.out) === DEFAULT_RESULTS) io.err(`mutate: a partial run does not replace ${flags.out} (the last full run's report); pass another --out to keep it\n`);
      else writeWhole(resolve(flags.out), serializeReport(report));
    }
    if (flags.writeTriage && problems.untriaged.length) {
      const added = problems.untriaged.map((m): TriageEntry => ({
        id: m.id,
        status: m.outcome === 'not-reached' ? 'not-reached' : m.outcome === 'timeout' ? 'timeout' : 'survivor',
        orig: m.orig,
        repl: m.repl,
        reason: `${UNREVIEWED}: ${m.outcome}${m.attempts.length ? ' in ' + m.attempts.map((a) => a.target).join(', ') : ''}`,
      }));
      writeWhole(triagePath, serializeTriage([...entries, ...added]));
      io.err(`mutate: added ${added.length} entries to ${triagePath}; replace each '${UNREVIEWED}' reason with the real one\n`);
    }
    if (flags.json) io.out(serializeReport(report));
    else io.out(textReport(report, { diffs: (flags.diffs ?? 'untriaged') as 'all' | 'untriaged' | 'none' }));
    return problems.stale.length || problems.wrong.length || problems.untriaged.length ? 1 : 0;
  } catch (e) {
    if (e instanceof RunError) throw new UsageError(e.message);
    throw e;
  }
}

/** Writes a file whole or not at all. */
function writeWhole(path: string, text: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    throw new UsageError(`cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
