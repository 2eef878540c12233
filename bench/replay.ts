// The replay section of `npm run bench`: lines per second on a conforming log of a million lines,
// generated while it is read (a random walk of the machine that prints each step as the format
// would; never held in memory), for NDJSON on the composed system and the kernel's text on vfio-ccw
// and on the composed system (its per-VM s390dbf view, the vfio_ap view and ftrace, interleaved).
import { findSpec } from '../machines/index.ts';
import { explore } from '../src/check/explore.ts';
import { makeFormat, type FormatId } from '../src/replay/formats.ts';
import { replay, StepGraph, type LogRecord } from '../src/replay/replay.ts';
import type { Model } from '../src/spec.ts';

/** xorshift32: a reproducible walk. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/**
 * Walks the machine at random inside the states from which the initial state is reachable again
 * (so the walk never ends in a teardown), with at most `maxHidden` unlogged steps in a row, and
 * yields `lines` log lines.
 */
export function walkLog(model: Model, format: FormatId, lines: number, toLine: (r: LogRecord) => string, maxHidden = 8, seed = 1): Generator<string> {
  const f = makeFormat(format, model);
  const graph = new StepGraph(model, f.printer, maxHidden);
  const live = liveStates(model, graph);
  return walk(graph, live, lines, toLine, maxHidden, random(seed));
}

function* walk(graph: StepGraph, live: Set<number>, lines: number, toLine: (r: LogRecord) => string, maxHidden: number, rnd: () => number): Generator<string> {
  const model = graph.model;
  let id = graph.initial;
  let hidden = 0;
  for (let n = 0; n < lines; ) {
    const steps = graph.stepsFrom(id).filter((s) => live.has(s.to) && (hidden < maxHidden || s.records.length));
    if (!steps.length) throw new Error(`the walk of ${model.machineId} is stuck in state ${id}`);
    const s = steps[Math.floor(rnd() * steps.length)]!;
    hidden = s.records.length ? 0 : hidden + 1;
    for (const r of s.records) {
      yield toLine(r);
      n++;
    }
    id = s.to;
  }
}

/** The graph ids of the states from which the initial state can be reached. */
function liveStates(model: Model, graph: StepGraph): Set<number> {
  const x = explore(model);
  const back: number[][] = x.states.map(() => []);
  for (let i = 0; i < x.edges.length; i += 3) back[x.edges[i + 2]!]!.push(x.edges[i]!);
  const seen = new Set([0]);
  const queue = [0];
  while (queue.length) for (const p of back[queue.shift()!]!) if (!seen.has(p)) (seen.add(p), queue.push(p));
  // map exploration indices to graph ids by walking the same snapshots through the graph
  const ids = new Set<number>();
  const byKey = new Map(x.keys.map((k, i) => [k, i]));
  const stack = [graph.initial];
  const visited = new Set(stack);
  while (stack.length) {
    const id = stack.pop()!;
    const snap = graph.snapshot(id);
    const i = byKey.get(JSON.stringify([snap.value, snap.context]));
    if (i !== undefined && seen.has(i)) ids.add(id);
    for (const s of graph.stepsFrom(id)) if (!visited.has(s.to)) (visited.add(s.to), stack.push(s.to));
  }
  return ids;
}

export const ndjsonLine = (r: LogRecord) => JSON.stringify({ event: r.event, ...r.fields });

/** trace_print_context's prefix: "%16s-%-7d " "[%03d] " lat flags " %5lu.%06lu" ": ". */
const ftrace = (comm: string, pid: number, event: string, msg: string) => `${comm.padStart(16)}-${String(pid).padEnd(7)} [001] ..... ${'102'.padStart(5)}.118801: ${event}: ${msg}`;
/** debug_dflt_header_fn's prefix of an s390dbf sprintf view line: "%02i %011ld:%06lu %1u %1s %04u %px  ". */
const dbf = (msg: string, level = 3) => `00 01757002161:120044 ${level} - 0001 000003ff80d4b1a8  ${msg}`;
/** VCPU_EVENT's and VCPU_TP_PRINTK's "%02d[%016lx-%016lx]: ". */
const vcpu = (id: unknown, msg: string) => `${String(id).padStart(2, '0')}[0706000180000000-0000000000a0b1c2]: ${msg}`;

/** The vfio_ccw_fsm_event TP_printk line for a record, with an ftrace prefix. */
export function ccwLine(): (r: LogRecord) => string {
  const states = ['NOT_OPER', 'STANDBY', 'IDLE', 'CP_PROCESSING', 'CP_PENDING'];
  const events = ['NOT_OPER', 'IO_REQ', 'INTERRUPT', 'ASYNC_REQ', 'OPEN', 'CLOSE'];
  return (r) => ftrace('qemu-kvm', 2301, 'vfio_ccw_fsm_event', `schid=0.0.0313 state=${states.indexOf(String(r.fields.state))} event=${events.indexOf(r.event.replace('VFIO_CCW_EVENT_', ''))}`);
}

/** One value of a field a printed record allows (one of several, or any). */
const one = (v: unknown, any: number | string = 0) => (Array.isArray(v) ? v[0] : v === '*' ? any : v);

/**
 * The kernel's text for a record of the composed guest, each in the view that prints it: the
 * per-VM s390dbf view (one guest: no file names needed), the vfio_ap view and ftrace.
 */
export function systemLine(): (r: LogRecord) => string {
  return (r) => {
    const f = r.fields;
    switch (r.event) {
      case 'kvm_s390_vcpu_start':
        return ftrace('qemu-system-s39', 4242, 'kvm_s390_vcpu_start_stop', `starting cpu ${one(f.vcpu)}`);
      case 'kvm_s390_vcpu_stop':
        return ftrace('qemu-system-s39', 4242, 'kvm_s390_vcpu_start_stop', `stopping cpu ${one(f.vcpu)}`);
      case 'kvm_s390_handle_wait':
        return dbf(vcpu(one(f.vcpu), 'enabled wait w/o timer'));
      case 'kvm_s390_gisa_clear':
        return dbf('gisa 0x00000000a4c1f73e cleared');
      case 'kvm_arch_crypto_set_masks':
        return dbf('SET CRYCB: apm 4000000000000000 0000000000000000 0000000000000000 0000000000000000');
      case 'kvm_arch_crypto_clear_masks':
        return dbf('CLR CRYCB:');
      case '__deliver_io':
        return dbf(vcpu(one(f.vcpu), `deliver: I/O (AI/gisa) isc ${f.isc}`), 4);
      case 'kvm_s390_deliver_interrupt':
        return ftrace('CPU 0/KVM', 4251, 'kvm_s390_deliver_interrupt', `deliver interrupt (vcpu ${one(f.vcpu)}): type:4000000 (adapter I/O interrupt) data:00000000 ${((((Number(f.isc) << 27) | 0x80000000) >>> 0).toString(16)).padStart(16, '0')}`);
      case 'PQAP':
        return ftrace('CPU 0/KVM', 4251, 'kvm_s390_intercept_instruction', vcpu(one(f.vcpu), 'intercepted instruction b2af000000000000 (0xb2af)'));
      case 'vfio_ap_irq_enable':
        if (f.rc === 'invalid NIB address') return dbf('vfio_ap_irq_enable: invalid NIB address: nib=0x0000000080001000, apqn=0x305', 4);
        if (f.rc === 'vfio_pin_pages failed') return dbf('vfio_ap_irq_enable: vfio_pin_pages failed: rc=-22,nib=0x0000000080001000, apqn=0x305', 4);
        if (f.rc === 'PQAP(AQIC) failed')
          return dbf(`vfio_ap_irq_enable: PQAP(AQIC) failed with status=0x${Number(one(f.status, 1)).toString(16)}: zone=0, ir=0x1, gisc=0x${Number(f.gisc).toString(16)}, f=0x1,gisa=0x8d61300, isc=0x3, apqn=0x305`, 4);
    }
    throw new Error(`no text for ${r.event} ${JSON.stringify(f)} in the bench`);
  };
}

export async function replayBench(lines = 1_000_000): Promise<string[]> {
  const out = ['', `replay: a generated conforming log of ${lines.toLocaleString('en')} lines, streamed`, '', 'machine | format | lines | time | lines/s | heap after', '--- | --- | ---: | ---: | ---: | ---:'];
  const cases: [string, FormatId, (m: Model) => (r: LogRecord) => string][] = [
    ['system', 'ndjson', () => ndjsonLine],
    ['vfio_ccw_private', 'text', ccwLine],
    ['system', 'text', systemLine],
  ];
  for (const [id, format, line] of cases) {
    const model = findSpec(id)!.model();
    const f = makeFormat(format, model);
    const log = walkLog(model, format, lines, line(model));
    const t = performance.now();
    // as the command replays a log: the fewest unlogged steps first
    const r = await replay(model, log, { parse: f.parse, printer: f.printer, fewestHidden: true });
    const ms = performance.now() - t;
    if (!r.ok) throw new Error(`the generated ${id} log does not conform at line ${r.line}: ${r.text}`);
    const heap = `${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB`;
    out.push([`${model.machineId}/${model.variantId}/${model.configurationId}`, format, r.lines.toLocaleString('en'), `${(ms / 1000).toFixed(1)} s`, Math.round(r.lines / (ms / 1000)).toLocaleString('en'), heap].join(' | '));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--lines');
  for (const l of await replayBench(i > 0 ? Number(process.argv[i + 1]) : undefined)) console.log(l);
}
