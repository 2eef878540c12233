// What a worker does with one job: check one machine configuration, or run one path-test
// suite, with one mutant active (or none, for the baseline, recording which sites execute).
// Loaded only after the module overlay is registered (src/mutate/worker.ts).
import type { EventObject } from 'xstate';
import { specs } from '../../machines/index.ts';
import { checkModel } from '../check/check.ts';
import { explore, reduces, type Exploration } from '../check/explore.ts';
import { edgeCoverPaths, type Conformance, type EdgePath } from '../paths/cover.ts';
import { pairCoverPaths } from '../paths/generate.ts';
import { agreeing, expectation, refusalProbes, runProbe, type RefusalProbe } from '../paths/refusals.ts';
import type { Invariant, MachineSpec, Model } from '../spec.ts';
import { runtime } from './runtime.ts';
import { HANG } from './hang.ts';
import { conformanceFor, type CheckTarget, type PathSuite } from './targets.ts';

export type Job =
  | { kind: 'check'; target: CheckTarget; mutant: number; coverage?: boolean; held?: readonly string[]; maxStates?: number }
  | { kind: 'paths'; suite: PathSuite; mutant: number; coverage?: boolean };

/** `hang`: a loop of the mutated code did not end (src/mutate/instrument.ts guards every loop). */
export type JobStatus = 'killed' | 'survived' | 'crashed' | 'limit' | 'hang';

export interface JobResult {
  status: JobStatus;
  /** Killed: the property violated (check) or the first disagreeing step (paths). */
  by?: string;
  /** Crashed: the error. */
  message?: string;
  states?: number;
  /** Paths: the steps of the edge paths and probes run (what sizes the suite, run.ts LARGE_STEPS). */
  steps?: number;
  /** Paths: the steps of the transition-pair paths run after them (PathSuite.pairs). */
  pairSteps?: number;
  millis: number;
  /** Baseline check: every property with whether it holds. */
  holds?: Record<string, boolean | null>;
  /** Baseline: the sites executed (mutant numbers). */
  hits?: number[];
}

/** A held invariant broke: the exploration stops at once (the mutant is killed). */
class Violation extends Error {
  constructor(readonly property: string) {
    super(property);
  }
}

function specOf(id: string): MachineSpec {
  const s = specs.find((x) => x.id === id);
  if (!s) throw new Error(`no machine ${id}`);
  return s;
}

export async function runJob(job: Job, mutants: number): Promise<JobResult> {
  const rt = runtime();
  const started = performance.now();
  const hits = job.coverage ? new Uint8Array(mutants) : null;
  try {
    if (job.kind === 'paths') await prepare(job.suite); // the machine side, with no mutant active
    rt.hits = hits;
    rt.active = job.mutant;
    const r = job.kind === 'check' ? runCheck(job) : runPaths(job);
    return { ...r, millis: Math.round(performance.now() - started), ...(hits ? { hits: hitList(hits) } : {}) };
  } catch (e) {
    if (e instanceof Violation) return { status: 'killed', by: e.property, millis: Math.round(performance.now() - started) };
    const err = e as Error;
    if (err.name === HANG) return { status: 'hang', message: err.message, millis: Math.round(performance.now() - started) };
    return { status: 'crashed', message: `${err.name}: ${err.message}`.split('\n')[0]!, millis: Math.round(performance.now() - started) };
  } finally {
    rt.active = -1;
    rt.hits = null;
  }
}

function hitList(h: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < h.length; i++) if (h[i]) out.push(i);
  return out;
}

/**
 * One model per target and worker: the machine's guards and actions read the active mutant
 * when they run, and nothing a mutant touches runs while a model is built (region builders
 * and initial contexts are not mutated), so the machine and its compiled explorer are reused.
 */
const models = new Map<string, Model>();

function runCheck(job: Extract<Job, { kind: 'check' }>): Omit<JobResult, 'millis'> {
  const t = job.target;
  let model = models.get(t.key);
  if (!model) {
    const active = runtime().active;
    runtime().active = -1;
    model = specOf(t.machine).model(t.variant, t.configuration);
    explore(model, { maxStates: 1 }); // compiles the machine (and its initial state) with no mutant active
    runtime().active = active;
    models.set(t.key, model);
  }
  if (job.held === undefined) {
    const r = checkModel(model, job.maxStates === undefined ? {} : { maxStates: job.maxStates });
    return { status: 'survived', states: r.states, holds: Object.fromEntries(r.results.map((x) => [x.property, x.holds])) };
  }
  const held = new Set(job.held);
  // without symmetry reduction a held invariant that breaks stops the exploration; under it the
  // checker first replays the trace concretely (an approximate reduction may find a false one)
  const stopEarly = !reduces(model);
  const invariants: Invariant<unknown>[] = model.invariants.map((inv) =>
    stopEarly && held.has(inv.name)
      ? {
          ...inv,
          holds: (s) => {
            if (inv.holds(s)) return true;
            throw new Violation(inv.name);
          },
        }
      : inv,
  );
  // a liveness property the baseline violates cannot kill: not worth its graph search
  const liveness = model.liveness.filter((l) => held.has(l.name));
  const r = checkModel({ ...model, invariants, liveness }, job.maxStates === undefined ? {} : { maxStates: job.maxStates });
  const broken = r.results.find((x) => x.holds === false && held.has(x.property));
  if (broken) return { status: 'killed', by: broken.property, states: r.states };
  return { status: r.limitReached ? 'limit' : 'survived', states: r.states };
}

interface Prepared {
  model: Model;
  conformance: Conformance;
  x: Exploration;
  paths: EdgePath[];
  /** The suite's transition-pair paths (src/paths/generate.ts pairCoverPaths), run after the probes; none unless the suite asks for them. */
  pairPaths: EdgePath[];
  /** Pair paths the unmutated transcription fails (none so far: each would be a disagreement the edge cover misses). */
  pairsSetAside: number;
  /** The machine's observation per state, as JSON (filled on first use). */
  expected: (string | undefined)[];
  /** Refusal probes the unmutated transcription passes (src/paths/refusals.ts), run after the paths. */
  probes: RefusalProbe[];
  /** The machine's observation per state as the probes compare it. */
  probeExpect: (state: number) => string;
}

const prepared = new Map<string, Prepared>();

/** Explores a suite's machine and generates its paths once per worker (SUT mutants do not change the machine). */
async function prepare(s: PathSuite): Promise<Prepared> {
  let p = prepared.get(s.key);
  if (!p) {
    const model = specOf(s.machine).model(s.variant, s.configuration, s.design ? { design: s.design } : undefined);
    const x = explore(model);
    const conformance = await conformanceFor(s, model);
    // chosen with no mutant active: runJob prepares before it sets the mutant
    const probeExpect = expectation(conformance, x);
    // the core and FLIC suites so far (dirty-log and vfio-ccw: their triage not yet re-run with probes)
    const probing = s.harness === 'core' || s.harness === 'flic';
    const probes = probing ? agreeing(model, conformance, x, refusalProbes(x, model.events.length, s.probeByObservation ? { distinguish: probeExpect } : {}), probeExpect).kept : [];
    p = { model, conformance, x, paths: edgeCoverPaths(x), pairPaths: [], pairsSetAside: 0, expected: [], probes, probeExpect };
    if (s.pairs) {
      // a pair path the unmutated transcription fails would make the baseline disagree and drop
      // the suite: kept apart, counted (the baseline reports it), not asserted
      const all = pairCoverPaths(x).paths;
      const agree = walker(p, { steps: 0 });
      p.pairPaths = all.filter((path) => agree([path], '') === undefined);
      p.pairsSetAside = all.length - p.pairPaths.length;
    }
    prepared.set(s.key, p);
  }
  return p;
}

/**
 * The suite's edge-covering paths, as runPathTests runs them (src/paths/cover.ts): a fresh SUT
 * per path, its observation compared with the machine's after every step, here stopping at
 * the first disagreement (test/mutate/paths.test.ts checks both agree).
 */
function runPaths(job: Extract<Job, { kind: 'paths' }>): Omit<JobResult, 'millis'> {
  const p = prepared.get(job.suite.key)!;
  const { model, conformance, x } = p;
  const counter = { steps: 0 };
  const walk = walker(p, counter);
  const edges = walk(p.paths, 'path ');
  let steps = counter.steps;
  if (edges) return edges;
  for (const probe of p.probes) {
    const describe = () => `refusal of ${(model.events[probe.event] as EventObject).type} after ${probe.prefix.map((e) => (model.events[e] as EventObject).type).join(' ') || '(initial state)'}`;
    try {
      steps += probe.prefix.length + 1;
      const r = runProbe(model, conformance, x, probe, p.probeExpect);
      if (r.got !== r.want) return { status: 'killed', by: describe(), steps };
    } catch (e) {
      if ((e as Error).name === HANG) return { status: 'hang', by: describe(), message: (e as Error).message, steps };
      return { status: 'crashed', by: describe(), message: `${(e as Error).name}: ${(e as Error).message}`.split('\n')[0]!, steps };
    }
  }
  // the transition pairs last: they take every edge again, and only a mutant that survived the rest pays for them
  const edgeSteps = steps;
  counter.steps = 0;
  const pairs = walk(p.pairPaths, 'pair path ');
  const pairSteps = counter.steps;
  if (pairs) return { ...pairs, steps: edgeSteps, pairSteps };
  return { status: 'survived', steps: edgeSteps, ...(p.pairPaths.length ? { pairSteps } : {}) };
}

/**
 * Runs paths on fresh SUTs, comparing the observation with the machine's after every step (the
 * machine's computed with no mutant active), calling `step` per step; the first disagreement,
 * crash or hang is returned (with `counter.steps`, which every step counts), undefined when all agree.
 */
function walker(p: Prepared, counter: { steps: number }): (paths: EdgePath[], kind: string) => Omit<JobResult, 'millis'> | undefined {
  const { model, conformance, x } = p;
  const rt = runtime();
  const expect = (state: number): string => {
    let e = p.expected[state];
    if (e === undefined) {
      const active = rt.active;
      rt.active = -1;
      e = p.expected[state] = JSON.stringify(conformance.expect(x.states[state]!));
      rt.active = active;
    }
    return e;
  };
  return (paths, kind) => {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      let taken = 0;
      const describe = () => `${kind}${i}, step ${taken}: ${path.edges.slice(0, taken).map((e) => (model.events[x.edges[3 * e + 1]!] as EventObject).type).join(' ') || '(initial state)'}`;
      try {
        const sut = conformance.create(model);
        if (JSON.stringify(conformance.observe(sut)) !== expect(0)) return { status: 'killed', by: describe(), steps: counter.steps };
        for (const e of path.edges) {
          sut.apply(model.events[x.edges[3 * e + 1]!]!);
          taken++;
          counter.steps++;
          if (JSON.stringify(conformance.observe(sut)) !== expect(x.edges[3 * e + 2]!)) return { status: 'killed', by: describe(), steps: counter.steps };
        }
      } catch (e) {
        if ((e as Error).name === HANG) return { status: 'hang', by: describe(), message: (e as Error).message, steps: counter.steps };
        return { status: 'crashed', by: describe(), message: `${(e as Error).name}: ${(e as Error).message}`.split('\n')[0]!, steps: counter.steps };
      }
    }
    return undefined;
  };
}
