// Test paths that cover every reachable state and every transition (edge) of a machine,
// run through xstate/graph's createTestModel against a system under test (SUT).
import { createTestModel } from 'xstate/graph';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { explore, type Exploration, type TraceStep } from '../check/explore.ts';
import type { AbstractState, Model } from '../spec.ts';

/** A system under test: a transcription of the kernel code that events drive. */
export interface SystemUnderTest {
  apply(event: EventObject): void;
}

/** How a SUT is created and compared with the machine, state by state. */
export interface Conformance<S extends SystemUnderTest = SystemUnderTest> {
  create(model: Model): S;
  /** The SUT's concrete state, projected onto the model's vocabulary. */
  observe(sut: S): unknown;
  /** The same projection computed from the machine's abstract state. */
  expect(state: AbstractState<any>): unknown;
  /**
   * Top-level observation fields that report the last call (its return value, what it copied
   * out), not the state: a refusal probe (src/paths/refusals.ts) compares the rest, since the
   * machine keeps the last accepted call's and the transcription reports the refused one's.
   */
  volatile?: readonly string[];
  /**
   * The values a refused event must leave in some `volatile` fields (a guest delivery that finds
   * nothing pending delivers nothing), checked by the refusal probes; undefined: none.
   */
  refused?(event: EventObject): Readonly<Record<string, unknown>> | undefined;
}

/** A path as indices: the edges it takes, in order (each edge index into exploration triples). */
export interface EdgePath {
  edges: number[];
}

/**
 * The graph's edges indexed for the cover: out-edges per state, the edge that first reached each
 * state, the edges by depth. The breadth-first explorer records each state's edges together, the
 * states in their order (so in depth order): then outEdges and order are the identity, left out
 * (null), and only the starts are counted.
 */
function edgeIndex(x: Exploration): { nEdges: number; outStart: Int32Array; outEdges: Int32Array | null; via: Int32Array; order: Int32Array | null } {
  const nEdges = x.edges.length / 3;
  const nStates = x.states.length;
  const edges = x.edges;
  // in the explorer's order: sources never decrease, and neither do their depths
  let inOrder = true;
  for (let e = 1; e < nEdges && inOrder; e++) {
    const a = edges[3 * e - 3]!;
    const b = edges[3 * e]!;
    inOrder = a <= b && x.depth[a]! <= x.depth[b]!;
  }
  // each state's out-edges in edge order, flat (outEdges[outStart[s] .. outStart[s + 1]])
  const outStart = new Int32Array(nStates + 1);
  for (let e = 0; e < nEdges; e++) outStart[edges[3 * e]! + 1]!++;
  for (let s = 0; s < nStates; s++) outStart[s + 1]! += outStart[s]!;
  let outEdges: Int32Array | null = null;
  if (!inOrder) {
    outEdges = new Int32Array(nEdges);
    const fill = outStart.slice(0, nStates);
    for (let e = 0; e < nEdges; e++) outEdges[fill[edges[3 * e]!]!++] = e;
  }
  // the edge that first reached each state, for shortest prefixes
  const via = new Int32Array(nStates).fill(-1);
  for (let e = 0; e < nEdges; e++) {
    const from = edges[3 * e]!;
    const ev = edges[3 * e + 1]!;
    const to = edges[3 * e + 2]!;
    if (via[to] === -1 && x.parent[to] === from && x.parentEvent[to] === ev) via[to] = e;
  }
  if (inOrder) return { nEdges, outStart, outEdges, via, order: null };
  // the edges by their source's depth, in edge order within a depth (a stable sort, counted)
  let deepest = 0;
  for (let s = 0; s < nStates; s++) if (x.depth[s]! > deepest) deepest = x.depth[s]!;
  const atDepth = new Int32Array(deepest + 2);
  for (let e = 0; e < nEdges; e++) atDepth[x.depth[edges[3 * e]!]! + 1]!++;
  for (let d = 0; d <= deepest; d++) atDepth[d + 1]! += atDepth[d]!;
  const order = new Int32Array(nEdges);
  for (let e = 0; e < nEdges; e++) order[atDepth[x.depth[edges[3 * e]!]!]!++] = e;
  return { nEdges, outStart, outEdges, via, order };
}

/**
 * Paths that together take every edge of the explored graph: for the shallowest uncovered
 * edge, the shortest path to its source, then onward along uncovered edges while there are any.
 */
export function edgeCoverPaths(x: Exploration, maxLength = 64): EdgePath[] {
  const { nEdges, outStart, outEdges, via, order } = edgeIndex(x);
  const covered = new Uint8Array(nEdges);
  // inPath[e] === stamp: edge e is on the path being built
  const inPath = new Int32Array(nEdges);
  let stamp = 0;
  const paths: EdgePath[] = [];
  for (let k = 0; k < nEdges; k++) {
    const start = order ? order[k]! : k;
    if (covered[start]) continue;
    stamp++;
    const prefix: number[] = [];
    for (let s = x.edges[3 * start]!; x.parent[s]! >= 0; s = x.parent[s]!) prefix.push(via[s]!);
    prefix.reverse();
    const edges = [...prefix, start];
    for (const e of edges) inPath[e] = stamp;
    let here = x.edges[3 * start + 2]!;
    while (edges.length < maxLength) {
      // the first out-edge of here neither covered nor on this path
      let next = -1;
      for (let j = outStart[here]!; j < outStart[here + 1]!; j++) {
        const e = outEdges ? outEdges[j]! : j;
        if (!covered[e] && inPath[e] !== stamp) {
          next = e;
          break;
        }
      }
      if (next < 0) break;
      edges.push(next);
      inPath[next] = stamp;
      here = x.edges[3 * next + 2]!;
    }
    for (const e of edges) covered[e] = 1;
    paths.push({ edges });
  }
  return paths;
}

/**
 * How many paths edgeCoverPaths(x, maxLength) returns, without building them (the review page
 * shows counts only): the same greedy choices, an edge marked covered as soon as the path takes
 * it (the same as "covered or on this path" there), and each state's shortest prefix walked only
 * up to the first state whose prefix edges are all covered already.
 */
export function edgeCoverCount(x: Exploration, maxLength = 64): number {
  const nStates = x.states.length;
  const { nEdges, outStart, outEdges, via, order } = edgeIndex(x);
  const covered = new Uint8Array(nEdges);
  // prefixDone[s]: every edge of s's shortest prefix is covered; prefixLength[s]: its length, once known
  const prefixDone = new Uint8Array(nStates);
  const prefixLength = new Int32Array(nStates);
  const walked: number[] = [];
  let count = 0;
  for (let k = 0; k < nEdges; k++) {
    const start = order ? order[k]! : k;
    if (covered[start]) continue;
    count++;
    let s = x.edges[3 * start]!;
    walked.length = 0;
    for (; !prefixDone[s] && x.parent[s]! >= 0; s = x.parent[s]!) {
      covered[via[s]!] = 1;
      walked.push(s);
    }
    // s: the initial state or a state whose prefix is covered and measured
    let length = prefixLength[s]!;
    for (let k = walked.length - 1; k >= 0; k--) {
      prefixDone[walked[k]!] = 1;
      prefixLength[walked[k]!] = ++length;
    }
    covered[start] = 1;
    length++;
    let here = x.edges[3 * start + 2]!;
    while (length < maxLength) {
      let next = -1;
      for (let j = outStart[here]!; j < outStart[here + 1]!; j++) {
        const e = outEdges ? outEdges[j]! : j;
        if (!covered[e]) {
          next = e;
          break;
        }
      }
      if (next < 0) break;
      covered[next] = 1;
      length++;
      here = x.edges[3 * next + 2]!;
    }
  }
  return count;
}

export interface PathTestReport {
  machine: string;
  variant: string;
  configuration: string;
  states: number;
  transitions: number;
  paths: number;
  steps: number;
  statesCovered: number;
  transitionsCovered: number;
  failures: { path: number; message: string; trace: TraceStep[] }[];
}

/**
 * Generates edge-covering paths, turns them into xstate/graph test paths and runs each
 * against a fresh SUT, comparing the SUT's observation with the machine's after every step.
 */
export async function runPathTests<S extends SystemUnderTest>(
  model: Model,
  conformance: Conformance<S>,
  x: Exploration = explore(model, { por: false }),
  /** Keep only some of the generated paths (coverage then counts what they cover). */
  keep: (p: EdgePath) => boolean = () => true,
): Promise<PathTestReport & { suts: S[] }> {
  const edgePaths = edgeCoverPaths(x).filter(keep);
  const suts: S[] = [];
  const testModel = createTestModel(model.machine, { events: model.events as EventObject[] });
  const statePaths = edgePaths.map((p) => ({
    state: x.snapshots[x.edges[3 * p.edges[p.edges.length - 1]! + 2]!]!,
    steps: p.edges.map((e) => ({ event: model.events[x.edges[3 * e + 1]!]!, state: x.snapshots[x.edges[3 * e + 2]!]! })),
    weight: p.edges.length,
  }));
  const testPaths = testModel.getPaths(() => statePaths as never, { allowDuplicatePaths: true });
  const seenStates = new Set<number>([0]);
  const seenEdges = new Set<number>();
  const failures: PathTestReport['failures'] = [];
  let steps = 0;
  for (let i = 0; i < testPaths.length; i++) {
    const tp = testPaths[i]!;
    let sut = conformance.create(model);
    let taken = 0;
    const types = Object.keys(model.eventInfo);
    const events = Object.fromEntries(
      types.map((t) => [
        t,
        (step: { event: EventObject }) => {
          taken++;
          sut.apply(step.event);
        },
      ]),
    );
    const check = (snap: AnyMachineSnapshot) => {
      const want = conformance.expect({ value: snap.value, context: snap.context });
      const got = conformance.observe(sut);
      const a = JSON.stringify(got);
      const b = JSON.stringify(want);
      if (a !== b) throw new Error(`SUT disagrees with the machine after step ${taken}\n  SUT:     ${a}\n  machine: ${b}`);
    };
    try {
      check(x.snapshots[0]!);
      await tp.test({ events: events as never, states: { '*': check as never } });
      suts.push(sut);
      for (const e of edgePaths[i]!.edges) {
        seenEdges.add(e);
        seenStates.add(x.edges[3 * e + 2]!);
      }
      steps += edgePaths[i]!.edges.length;
    } catch (err) {
      const trace = edgePaths[i]!.edges.slice(0, taken).map((e, k) => {
        const event = model.events[x.edges[3 * e + 1]!]!;
        return { step: k + 1, event, actor: model.eventInfo[event.type]?.actor ?? 'unknown' };
      });
      failures.push({ path: i, message: (err as Error).message.split('\nPath:')[0] ?? String(err), trace });
    }
  }
  return {
    machine: model.machineId,
    variant: model.variantId,
    configuration: model.configurationId,
    states: x.states.length,
    transitions: x.edges.length / 3,
    paths: testPaths.length,
    steps,
    statesCovered: seenStates.size,
    transitionsCovered: seenEdges.size,
    failures,
    suts,
  };
}
