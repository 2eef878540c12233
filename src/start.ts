// `npm start`, the main job, in one process: `check --report report`, then `export`, then
// `page --report report`, each exactly as the command runs it (same output, same exit codes;
// the next one runs only when the one before exits 0). One start-up instead of three, and the
// page takes each design's coverage from the check's own exploration where that is the graph
// the page would explore (export/page.ts fullGraph), instead of exploring the design again.
// With two cores or more the checks run on worker threads (check --jobs, START_JOBS of them), which
// measure that coverage themselves (exploring the design again after a check that reduces it), and
// compute the page's violation mark of each counterexample of their checks.
// The workers start first: this module imports node and the pool alone, and loads the CLI, the
// machines and the page after starting them, so that they load while this thread does.
import { availableParallelism } from 'node:os';
import type { Handover, Io } from './cli.ts';
import { prestartPool } from './commands/pool.ts';
import { tuneV8 } from './v8-tuning.ts';
import type { DesignCoverage } from './export/page.ts';
import type { ExportFile } from './export/files.ts';
import type { MachineSpec, Model } from './spec.ts';
import type { Exploration } from './check/explore.ts';
import type { SequenceMark } from './export/sequence.ts';

export const STEPS: readonly (readonly string[])[] = [['check', '--report', 'report'], ['export'], ['page', '--report', 'report']];

/** The page's coverage of each design whose check explored the graph the page would (fullGraph): the check's onGraph and what it collects. */
export async function coverageFromChecks(registry: readonly MachineSpec[]): Promise<{ onGraph: (model: Model, x: Exploration) => void; coverage: Map<string, DesignCoverage> }> {
  const { coverageOf, designKey, fullGraph, pageDesigns } = await import('./export/page.ts');
  // the design the page measures for each variant: the variant in its own (first) configuration
  const designs = new Set(pageDesigns(registry).map((d) => `${d.machine}/${d.variant}/${d.configuration}`));
  const coverage = new Map<string, DesignCoverage>();
  const onGraph = (model: Model, x: Exploration) => {
    if (designs.has(`${model.machineId}/${model.variantId}/${model.configurationId}`) && fullGraph(x)) coverage.set(designKey(model.machineId, model.variantId), coverageOf(model, x, undefined));
  };
  return { onGraph, coverage };
}

/** The check's worker threads: two where there are two cores (the build machine), at most four; one core: the check runs in this thread. */
export const START_JOBS = Math.min(4, availableParallelism());

/** Runs the main job; resolves to the first non-zero exit code of its steps, or 0. */
export async function start(argv: readonly string[], io?: Io, jobs = START_JOBS): Promise<number> {
  if (argv.length) {
    io ??= (await import('./commands/io.ts')).processIo;
    io.err(`npm start: takes no arguments (got '${argv.join(' ')}'); for options run the steps yourself: ${STEPS.map((s) => `s390-kvm-spec ${s.join(' ')}`).join(', ')}\n`);
    return 2;
  }
  if (jobs > 1) prestartPool(jobs);
  const { main } = await import('./cli.ts');
  io ??= (await import('./commands/io.ts')).processIo;
  let check: Handover, coverage: Map<string, DesignCoverage>;
  // the workers also compute the page's violation marks, which the page would compute in this thread after the checks
  const marks = new Map<string, SequenceMark>();
  // the export's files, rendered in this thread while the workers check (written only by the export step, after the checks)
  let rendered: Promise<ExportFile[]> | undefined;
  if (jobs > 1) check = { jobs, pageCoverage: (coverage = new Map()), pageMarks: marks, whileChecking: () => void (rendered = renderExport()) };
  else {
    const hook = await coverageFromChecks((await import('../machines/index.ts')).specs);
    check = { onGraph: hook.onGraph };
    coverage = hook.coverage;
  }
  const handover: Handover[] = [check, { exportFiles: () => rendered }, { coverage, marks }];
  for (const [i, step] of STEPS.entries()) {
    const code = await main([...step], io, handover[i]);
    if (code !== 0) return code;
  }
  return 0;
}

/**
 * What `export` writes with its defaults (export/files.ts renderAll and counts.json), one machine at a
 * time with a turn of the event loop between them, so that this thread still answers the workers;
 * a failure is the export step's (it awaits this), not an unhandled rejection before it.
 */
export function renderExport(): Promise<ExportFile[]> {
  const files = (async () => {
    const [{ specs }, { countsFile, renderSpec }] = await Promise.all([import('../machines/index.ts'), import('./export/files.ts')]);
    const out: ExportFile[] = [];
    for (const s of specs) {
      await new Promise((resolve) => setImmediate(resolve));
      out.push(...(await renderSpec(s)));
    }
    out.push(countsFile(specs));
    return out;
  })();
  files.catch(() => {});
  return files;
}

/** The process's main job: the arguments from argv, the exit code into process.exitCode (npm start: src/start-cache.mjs runs the transpiled module). */
export function run(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
  // before the workers start: V8's flags are the process's (src/v8-tuning.ts)
  tuneV8();
  start(process.argv.slice(2)).then((code) => (process.exitCode = code));
}

if (import.meta.url === `file://${process.argv[1]}`) run();
