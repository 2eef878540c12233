// `page [--report DIR] [--results FILE] [--out FILE]`: the self-contained review page
// (default: report/index.html from report/results.json), and beside it every counterexample
// as a Mermaid sequenceDiagram under counterexamples/.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { specs } from '../../machines/index.ts';
import { UsageError } from './io.ts';
import { checkPageDestination, counterexampleFiles, designKey, pageDesigns, renderPage, writePageFiles, type DesignCoverage, type PageOptions } from '../export/page.ts';
import { jobsInt } from './check.ts';
import { PoolError, runPool } from './pool.ts';
import { NotOursError, probeWritable } from '../export/owned.ts';
import { parseResults, type CheckResult } from '../export/results.ts';
import { MUTATION_RESULTS, withMutationSection } from '../export/mutation.ts';

export interface PageCommandOptions {
  report: string;
  results?: string;
  out?: string;
  coverageMaxStates?: string;
  definitions?: boolean;
  jobs?: number;
  /** Not a flag: designs' coverage already measured (npm start takes it from the check's explorations, src/start.ts). */
  coverage?: ReadonlyMap<string, DesignCoverage>;
  /** Not a flag: counterexamples' violation marks already computed (npm start: by the check's workers). */
  marks?: PageOptions['marks'];
}

export async function runPage(opts: PageCommandOptions): Promise<string> {
  if ((opts.jobs ?? 1) > 1 && opts.definitions) throw new UsageError('page --definitions replays transitions in this thread: drop --jobs or --definitions');
  const resultsPath = opts.results ?? join(opts.report, 'results.json');
  const out = opts.out ?? join(opts.report, 'index.html');
  if (out === '') throw new UsageError('--out needs a file name, got an empty string');
  let results: CheckResult[];
  try {
    results = parseResults(JSON.parse(await readFile(resultsPath, 'utf8')));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'not found; run `s390-kvm-spec check --report ' + opts.report + '` first' : err.message;
    throw new UsageError(`cannot read checker results '${resultsPath}': ${why}`);
  }
  const max = opts.coverageMaxStates === undefined ? undefined : Number(opts.coverageMaxStates);
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) throw new UsageError(`--coverage-max-states must be a positive integer, not '${opts.coverageMaxStates}'`);
  const cannot = (e: unknown) =>
    e instanceof NotOursError ? new UsageError(e.message) : new UsageError(`cannot write the page to '${out}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a writable path with --out`);
  // the destination before the rendering, which explores every design
  await checkPageDestination(out).catch((e) => {
    throw cannot(e);
  });
  await probeWritable(dirname(out)).catch((e) => {
    throw cannot(e);
  });
  const pooled = (opts.jobs ?? 1) > 1 ? await coverageInPool(opts.jobs!, max) : undefined;
  // coverage measured beforehand counts only at the default limit and without --definitions
  const known = max === undefined && !opts.definitions ? opts.coverage : undefined;
  const coverage = pooled && known ? new Map([...pooled, ...known]) : (pooled ?? known);
  const html = await renderPage(specs, results, { ...(max === undefined ? {} : { coverageMaxStates: max }), ...(opts.definitions ? { definitions: true } : {}), ...(coverage ? { coverage } : {}), ...(opts.marks ? { marks: opts.marks } : {}) });
  try {
    await writePageFiles(out, await withMutationSection(html, MUTATION_RESULTS), counterexampleFiles(specs, results));
  } catch (e) {
    throw cannot(e);
  }
  return out;
}

/** page --jobs: every design's coverage on worker threads (pool.ts). */
async function coverageInPool(jobs: number, maxStates: number | undefined): Promise<Map<string, DesignCoverage>> {
  const designs = pageDesigns(specs);
  const out = new Map<string, DesignCoverage>();
  try {
    await runPool<DesignCoverage & { nodes: string[] }>(
      designs.map((d) => ({ kind: 'coverage', ...d, ...(maxStates === undefined ? {} : { maxStates }) })),
      jobs,
      (i, r) => void out.set(designKey(designs[i]!.machine, designs[i]!.variant), { ...r, nodes: new Set(r.nodes) }),
    );
  } catch (e) {
    if (e instanceof PoolError) throw new UsageError(`page --jobs: ${e.message}; run without --jobs to see the design that fails`);
    throw e;
  }
  return out;
}

export function registerPage(p: Command, coverage?: PageCommandOptions['coverage'], marks?: PageCommandOptions['marks']): void {
  p.command('page')
    .description('write the review page: one self-contained HTML file with every statechart, coverage, results and counterexample')
    .option('--report <dir>', 'directory holding results.json; the page is written there as index.html', 'report')
    .option('--results <file>', 'checker results (default: <report>/results.json)')
    .option('--out <file>', 'the page (default: <report>/index.html)')
    .option('--coverage-max-states <n>', 'states explored per design to measure its coverage (default 200000)')
    .option('--definitions', 'also show which transition definitions each design takes (replays every transition through xstate: slower)')
    .option('--jobs <n>', 'measure the designs\' coverage on n worker threads at once (default 1: this thread; not with --definitions)', jobsInt)
    .action(async (opts: PageCommandOptions) => {
      const out = await runPage({ ...opts, ...(coverage ? { coverage } : {}), ...(marks ? { marks } : {}) });
      process.stdout.write(`wrote ${out}\n`);
    });
}
