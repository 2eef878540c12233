// A TypeScript transcription of the vfio-ccw driver C code (drivers/s390/cio/vfio_ccw_fsm.c,
// vfio_ccw_ops.c, vfio_ccw_drv.c, vfio_ccw_async.c) for each modelled version, written from
// the kernel sources named in machines/vfio-ccw/README.md, not from the machine. Threads are
// generators: a writer thread yields where another CPU may run (after copy_from_user, and in
// fsm_io_request after cp_init); everything else runs to completion. The hardware (SSCH/HSCH/
// CSCH condition codes, the IRB) answers from the event payloads.
import type { EventObject } from 'xstate';
import type { SystemUnderTest } from '../paths/cover.ts';

export type CcwKernel = 'v4.19' | 'v5.0' | 'v5.2' | 'v5.14' | 'v6.2' | 'v6-notoper-work' | 'morel-v3';

/** what write() returns on success: the byte count, any positive value here */
const COUNT = 1;
const EIO = 5, EAGAIN = 11, EACCES = 13, EBUSY = 16, ENODEV = 19, EINVAL = 22, EOPNOTSUPP = 95;
const ERRNO: Record<number, string> = { [EIO]: '-EIO', [EAGAIN]: '-EAGAIN', [EACCES]: '-EACCES', [EBUSY]: '-EBUSY', [ENODEV]: '-ENODEV', [EINVAL]: '-EINVAL', [EOPNOTSUPP]: '-EOPNOTSUPP' };
const SCSW_FCTL_START_FUNC = 0x4, SCSW_FCTL_HALT_FUNC = 0x2, SCSW_FCTL_CLEAR_FUNC = 0x1;
/** vfio_ccw_cp.h: the most CCWs one chain may have */
const CCWCHAIN_LEN_MAX = 256;

/** union orb as far as the driver reads it: the transport-mode bit, the logical path mask, and (for the chain walk) how many chained CCWs cpa points to */
interface Orb {
  tm: boolean;
  lpm: number;
  ccws: number;
}

const SCSW_ACTL_DEVACT = 0x2, SCSW_ACTL_SCHACT = 0x1;
const VFIO_CCW_ASYNC_CMD_HSCH = 1, VFIO_CCW_ASYNC_CMD_CSCH = 2;

type State = 'NOT_OPER' | 'STANDBY' | 'IDLE' | 'BOXED' | 'BUSY' | 'CP_PROCESSING' | 'CP_PENDING';
type Ev = 'NOT_OPER' | 'IO_REQ' | 'ASYNC_REQ' | 'INTERRUPT' | 'OPEN' | 'CLOSE';
type Yield = 'copied' | 'request';
type Outcome = string | undefined;
type Thread = Generator<Yield, void, Outcome>;
type FsmFunc = (p: VfioCcwPrivate, event: Ev) => Thread;

interface Irb {
  solicited: boolean;
  actl: number;
  /** tracker, not kernel state: the ccwchain of the program whose start function this status reports */
  chain?: number | undefined;
}

/** What one event found (the machine's CCW_FLAG lifetime bits): KASAN-style findings, not kernel state. */
export const SUT_FLAG = { CP_FREE_WHILE_IO: 1, STALE_IRB_ENDS_CP: 2, IRB_LOST: 4, INTERMEDIATE_ENDS_CP: 8 } as const;

/** struct channel_program, with a lifetime tracker for its ccwchain allocations */
class ChannelProgram {
  initialized = false;
  orb: Orb = { tm: false, lpm: 0, ccws: 1 };
  chains: number[] = [];
}

/** struct subchannel as far as vfio-ccw uses it, plus the channel subsystem's answers */
class Subchannel {
  ena = false;
  /** start/halt/clear function pending: the hardware still owes the final status */
  fnPending = false;
  /** condition code the hardware gives the next SSCH/HSCH/CSCH (from the event payload) */
  nextCc = 0;
  /** whether the next cio_enable_subchannel succeeds (from the event payload) */
  enableOk = true;
  /** sch->lpm: the logical path mask of the operational channel paths (two paths) */
  lpm = 0xc0;
  /** tracker: the ccwchain the running start function executes (the ORB's channel program) */
  startedChain: number | undefined = undefined;
  /** tracker: the program whose final status the pending function (start, or a halt or clear of it) ends in */
  fnChain: number | undefined = undefined;
}

export class VfioCcwPrivate {
  state: State = 'NOT_OPER';
  /** struct ccw_io_region: what userspace copied in (scsw_area's function control, orb_area) and ret_code */
  io_region = { ret_code: 0, scsw_fctl: SCSW_FCTL_START_FUNC, orb: { tm: false, lpm: 0, ccws: 1 } as Orb };
  cmd_region = { command: 0, ret_code: 0 };
  cp = new ChannelProgram();
  irb: Irb = { solicited: false, actl: 0 };
  /** the per-cpu cio_irb that cio fills (TSCH) before calling the driver's irq callback */
  cio_irb: Irb = { solicited: false, actl: 0 };
  io_work_queued = false;
  notoper_work_queued = false;
  io_mutex = -1;
  mdev = false;
  completion = false;
  sch = new Subchannel();
  // lifetime tracker (what KASAN/kmemleak would report), not kernel state
  leaked = false;
  freedWhileProcessing = false;
  notoperRan = false;
  allocated = new Set<number>();
  nextChain = 1;
  /** threads suspended inside fsm_io_request after cp_init, by writer */
  inRequest = new Set<number>();
  /** the writer running now, -1 for interrupt/work/css context */
  current = -1;
  /** lifetime findings of the current event, SUT_FLAG bits */
  flags = 0;

  constructor(readonly k: CcwKernel) {}

  get v6(): boolean {
    return this.k === 'v6.2' || this.k === 'v6-notoper-work';
  }
  get v5_2plus(): boolean {
    return this.k === 'v5.2' || this.k === 'v5.14' || this.v6;
  }
  get v5_14plus(): boolean {
    return this.k === 'v5.14' || this.v6;
  }
}

// ---- vfio_ccw_cp.c (only the lifetime of the chains matters here) ----

// vfio_ccw_cp.c ccwchain_calc_length: count chained CCWs up to CCWCHAIN_LEN_MAX (the guest's CCW
// cnt-1 is the last when it has no chaining flag; TICs back into the chain are not in the bounds)
function ccwchain_calc_length(orb: Orb): number {
  let cnt = 0;
  do {
    cnt++;
    if (cnt >= orb.ccws) break;
  } while (cnt < CCWCHAIN_LEN_MAX + 1);
  if (cnt === CCWCHAIN_LEN_MAX + 1) cnt = -EINVAL;
  return cnt;
}

function cp_init(p: VfioCcwPrivate, orb: Orb): number {
  const cp = p.cp;
  // "vfio-ccw: Check initialized flag in cp_init()" (v5.14)
  if (p.v5_14plus && cp.initialized) return -EBUSY;
  cp.orb = { ...orb };
  // ccwchain_handle_ccw: the first segment's length (v6.17-rc4 order; vfio_dma_rw and the format-0 conversion do not fail in the bounds)
  const len = ccwchain_calc_length(orb);
  if (len < 0) return len;
  if (cp.chains.some((c) => p.allocated.has(c))) p.leaked = true;
  const chain = p.nextChain++;
  p.allocated.add(chain);
  cp.chains = [chain];
  cp.initialized = true;
  return 0;
}

function cp_prefetch(p: VfioCcwPrivate, outcome: Outcome): number {
  if (p.v5_14plus && !p.cp.initialized) return -EINVAL;
  return outcome === 'cp_prefetch' ? -EINVAL : 0;
}

function cp_free(p: VfioCcwPrivate): void {
  const cp = p.cp;
  if (p.v5_2plus && !cp.initialized) return;
  if (cp.chains.some((c) => p.allocated.has(c)) && [...p.inRequest].some((w) => w !== p.current)) p.freedWhileProcessing = true;
  // the channel still runs this program (its IDAL pages are about to be unpinned); a gone device runs nothing
  const running = p.sch.fnPending && p.sch.startedChain !== undefined && cp.chains.includes(p.sch.startedChain) && p.allocated.has(p.sch.startedChain);
  if (running && !(p.v6 && p.notoperRan)) p.flags |= SUT_FLAG.CP_FREE_WHILE_IO;
  cp.initialized = false;
  for (const c of cp.chains) p.allocated.delete(c);
  cp.chains = [];
}

// ---- cio ----

function cio_enable_subchannel(p: VfioCcwPrivate, ok: boolean): number {
  if (!ok) return -EIO;
  p.sch.ena = true;
  return 0;
}

function cio_disable_subchannel(p: VfioCcwPrivate): number {
  if (p.sch.fnPending) return -EBUSY;
  p.sch.ena = false;
  return 0;
}

function ssch(p: VfioCcwPrivate): number {
  const cc = p.sch.nextCc;
  if (cc === 0) {
    p.sch.fnPending = true;
    p.sch.startedChain = p.cp.chains[0];
    p.sch.fnChain = p.cp.chains[0];
  }
  return cc;
}

// ---- vfio_ccw_fsm.c ----

function fsm_io_helper(p: VfioCcwPrivate): number {
  if (p.k === 'v4.19' || p.k === 'v5.0' || p.k === 'morel-v3') p.state = 'BUSY';
  if (p.v5_14plus && !p.cp.initialized) return -EIO; // cp_get_orb returns NULL
  // cp_get_orb: if (orb->cmd.lpm == 0) orb->cmd.lpm = sch->lpm
  const orb = p.cp.orb;
  if (orb.lpm === 0) orb.lpm = p.sch.lpm;
  const ccode = ssch(p);
  switch (ccode) {
    case 0:
      if (p.v5_2plus) p.state = 'CP_PENDING';
      return 0;
    case 1:
    case 2:
      return -EBUSY;
    case 3: {
      // Device/path not operational
      const lpm = orb.lpm;
      if (lpm !== 0) p.sch.lpm &= ~lpm;
      else p.sch.lpm = 0;
      // cio_update_schib succeeds: the subchannel is there (its loss is vfio_ccw_sch_event)
      return p.sch.lpm ? -EACCES : -ENODEV;
    }
    default:
      return ccode;
  }
}

function fsm_do_halt(p: VfioCcwPrivate): number {
  const ccode = p.sch.nextCc;
  switch (ccode) {
    case 0:
      p.sch.fnPending = true;
      // tracker: a halt or clear of the current program ends that program
      p.sch.fnChain = p.cp.chains.find((c) => p.allocated.has(c));
      return 0;
    case 1:
    case 2:
      return -EBUSY;
    case 3:
      return -ENODEV;
    default:
      return ccode;
  }
}

function fsm_do_clear(p: VfioCcwPrivate): number {
  const ccode = p.sch.nextCc;
  switch (ccode) {
    case 0:
      p.sch.fnPending = true;
      // tracker: a halt or clear of the current program ends that program
      p.sch.fnChain = p.cp.chains.find((c) => p.allocated.has(c));
      return 0;
    case 3:
      return -ENODEV;
    default:
      return ccode;
  }
}

function* fsm_notoper(p: VfioCcwPrivate): Thread {
  p.notoperRan = true;
  p.state = 'NOT_OPER'; // after css_sched_sch_todo(sch, SCH_TODO_UNREG)
  if (p.k === 'v6.2') cp_free(p);
  if (p.k === 'v6-notoper-work') p.notoper_work_queued = true;
}

function* fsm_nop(): Thread {}

function* fsm_io_error(p: VfioCcwPrivate): Thread {
  p.io_region.ret_code = -EIO;
}

function* fsm_io_busy(p: VfioCcwPrivate): Thread {
  p.io_region.ret_code = -EBUSY;
}

function* fsm_io_retry(p: VfioCcwPrivate): Thread {
  p.io_region.ret_code = -EAGAIN;
}

function* fsm_async_error(p: VfioCcwPrivate): Thread {
  p.cmd_region.ret_code = -EIO;
}

function* fsm_async_retry(p: VfioCcwPrivate): Thread {
  p.cmd_region.ret_code = -EAGAIN;
}

function* fsm_disabled_irq(p: VfioCcwPrivate): Thread {
  cio_disable_subchannel(p);
}

function* fsm_io_request(p: VfioCcwPrivate): Thread {
  const io_region = p.io_region;
  p.state = p.k === 'v4.19' || p.k === 'morel-v3' ? 'BOXED' : p.k === 'v5.0' ? 'BUSY' : 'CP_PROCESSING';
  const fctl = io_region.scsw_fctl;
  if (fctl & SCSW_FCTL_START_FUNC) {
    const orb = io_region.orb;
    // "Don't try to build a cp if transport mode is specified."
    if (orb.tm) {
      io_region.ret_code = -EOPNOTSUPP;
    } else {
      io_region.ret_code = cp_init(p, orb);
      if (!io_region.ret_code) {
        const w = p.current;
        p.inRequest.add(w);
        const outcome = yield 'request';
        p.current = w;
        p.inRequest.delete(w);
        p.sch.nextCc = outcome === undefined || outcome === 'cp_prefetch' ? 0 : Number(outcome.slice(2, 3));
        io_region.ret_code = cp_prefetch(p, outcome);
        if (io_region.ret_code) {
          cp_free(p);
        } else {
          io_region.ret_code = fsm_io_helper(p);
          if (!io_region.ret_code) return;
          cp_free(p);
        }
      }
    }
  } else if (fctl & SCSW_FCTL_HALT_FUNC) {
    // halt is handled via the async cmd region
    io_region.ret_code = -EOPNOTSUPP;
  } else if (fctl & SCSW_FCTL_CLEAR_FUNC) {
    io_region.ret_code = -EOPNOTSUPP;
  }
  // err_out
  if (p.k !== 'v5.2') p.state = 'IDLE';
}

function* fsm_async_request(p: VfioCcwPrivate): Thread {
  const r = p.cmd_region;
  if (r.command === VFIO_CCW_ASYNC_CMD_HSCH) r.ret_code = fsm_do_halt(p);
  else if (r.command === VFIO_CCW_ASYNC_CMD_CSCH) r.ret_code = fsm_do_clear(p);
  else r.ret_code = -EINVAL;
}

function* fsm_irq(p: VfioCcwPrivate): Thread {
  if (p.io_work_queued) p.flags |= SUT_FLAG.IRB_LOST;
  p.irb = { ...p.cio_irb };
  p.io_work_queued = true; // queue_work on a pending work item is a no-op; the irb is overwritten
  if (p.completion) p.completion = false;
}

function* fsm_open(p: VfioCcwPrivate): Thread {
  const ret = cio_enable_subchannel(p, p.sch.enableOk);
  if (!ret) {
    p.state = 'IDLE';
    return;
  }
  yield* vfio_ccw_fsm_event(p, 'NOT_OPER');
}

function* fsm_close(p: VfioCcwPrivate): Thread {
  let ret = 0;
  if (p.sch.ena) {
    ret = cio_disable_subchannel(p);
    if (ret === -EBUSY) ret = vfio_ccw_sch_quiesce(p);
    if (!ret) {
      p.state = 'STANDBY';
      cp_free(p);
      return;
    }
  }
  yield* vfio_ccw_fsm_event(p, 'NOT_OPER');
}

const JUMPTABLE: Record<string, Partial<Record<State, Partial<Record<Ev, FsmFunc>>>>> = {};
{
  const v419 = {
    NOT_OPER: { NOT_OPER: fsm_nop, IO_REQ: fsm_io_error, INTERRUPT: fsm_disabled_irq },
    STANDBY: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_error, INTERRUPT: fsm_irq },
    IDLE: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_request, INTERRUPT: fsm_irq },
    BOXED: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_busy, INTERRUPT: fsm_irq },
    BUSY: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_busy, INTERRUPT: fsm_irq },
  };
  const v50 = {
    NOT_OPER: v419.NOT_OPER,
    STANDBY: v419.STANDBY,
    IDLE: v419.IDLE,
    BUSY: v419.BUSY,
  };
  const v52 = {
    NOT_OPER: { NOT_OPER: fsm_nop, IO_REQ: fsm_io_error, ASYNC_REQ: fsm_async_error, INTERRUPT: fsm_disabled_irq },
    STANDBY: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_error, ASYNC_REQ: fsm_async_error, INTERRUPT: fsm_irq },
    IDLE: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_request, ASYNC_REQ: fsm_async_request, INTERRUPT: fsm_irq },
    CP_PROCESSING: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_retry, ASYNC_REQ: fsm_async_retry, INTERRUPT: fsm_irq },
    CP_PENDING: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_busy, ASYNC_REQ: fsm_async_request, INTERRUPT: fsm_irq },
  };
  const v6 = {
    NOT_OPER: { NOT_OPER: fsm_nop, IO_REQ: fsm_io_error, ASYNC_REQ: fsm_async_error, INTERRUPT: fsm_disabled_irq, OPEN: fsm_nop, CLOSE: fsm_nop },
    STANDBY: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_error, ASYNC_REQ: fsm_async_error, INTERRUPT: fsm_disabled_irq, OPEN: fsm_open, CLOSE: fsm_notoper },
    IDLE: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_request, ASYNC_REQ: fsm_async_request, INTERRUPT: fsm_irq, OPEN: fsm_notoper, CLOSE: fsm_close },
    CP_PROCESSING: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_retry, ASYNC_REQ: fsm_async_retry, INTERRUPT: fsm_irq, OPEN: fsm_notoper, CLOSE: fsm_close },
    CP_PENDING: { NOT_OPER: fsm_notoper, IO_REQ: fsm_io_busy, ASYNC_REQ: fsm_async_request, INTERRUPT: fsm_irq, OPEN: fsm_notoper, CLOSE: fsm_close },
  };
  Object.assign(JUMPTABLE, { 'v4.19': v419, 'morel-v3': v419, 'v5.0': v50, 'v5.2': v52, 'v5.14': v52, 'v6.2': v6, 'v6-notoper-work': v6 });
}

/** The jump table of a version, as handler names (for the comparison with the machine). */
export function jumptableNames(k: CcwKernel): Record<string, Record<string, string>> {
  const t = JUMPTABLE[k]!;
  return Object.fromEntries(Object.entries(t).map(([s, row]) => [s, Object.fromEntries(Object.entries(row!).map(([e, f]) => [e, f!.name]))]));
}

function* vfio_ccw_fsm_event(p: VfioCcwPrivate, event: Ev): Thread {
  const fn = JUMPTABLE[p.k]![p.state]?.[event];
  if (!fn) throw new Error(`${p.k}: no jump table entry for ${p.state} x ${event}`);
  yield* fn(p, event);
}

/** Runs a thread that must not block (interrupt, work item, css callback). */
function run(p: VfioCcwPrivate, t: Thread): void {
  const saved = p.current;
  p.current = -1;
  const r = t.next();
  p.current = saved;
  if (!r.done) throw new Error('a non-writer thread yielded');
}

// ---- vfio_ccw_drv.c ----

function vfio_ccw_sch_quiesce(p: VfioCcwPrivate): number {
  let ret = 0;
  if (p.sch.ena) {
    ret = cio_disable_subchannel(p);
    while (ret === -EBUSY) {
      // cio_cancel_halt_clear: the function ends and the hardware presents final status
      p.sch.fnPending = false;
      p.cio_irb = { solicited: true, actl: 0, chain: p.sch.fnChain };
      p.sch.startedChain = undefined;
      p.sch.fnChain = undefined;
      run(p, vfio_ccw_fsm_event(p, 'INTERRUPT'));
      // flush_workqueue
      if (p.io_work_queued) vfio_ccw_sch_io_todo(p);
      ret = cio_disable_subchannel(p);
    }
  }
  if (!p.v6) p.state = 'NOT_OPER';
  return ret;
}

function vfio_ccw_sch_io_todo(p: VfioCcwPrivate): void {
  p.io_work_queued = false;
  const irb = p.irb;
  const is_final = !(irb.actl & (SCSW_ACTL_DEVACT | SCSW_ACTL_SCHACT));
  // trackers: whether the status reports the current program's I/O
  const own = irb.chain !== undefined && p.cp.chains.includes(irb.chain) && p.allocated.has(irb.chain);
  const before = p.state;
  let freed = false;
  const free = () => {
    if (p.cp.chains.some((c) => p.allocated.has(c)) && !own) p.flags |= SUT_FLAG.STALE_IRB_ENDS_CP;
    freed = true;
    cp_free(p);
  };
  let cp_is_finished = false;
  if (p.v5_2plus) {
    if (irb.solicited && is_final && p.state === 'CP_PENDING') {
      free();
      cp_is_finished = true;
    }
    if (cp_is_finished && (p.v6 || p.mdev)) p.state = 'IDLE';
  } else {
    if (irb.solicited && is_final) free();
    if (p.mdev && is_final) p.state = 'IDLE';
  }
  if (!is_final && (freed || (p.state === 'IDLE' && before !== 'IDLE'))) p.flags |= SUT_FLAG.INTERMEDIATE_ENDS_CP;
}

// ---- the threads of vfio_ccw_ops.c / vfio_ccw_async.c ----

function* vfio_ccw_mdev_write(p: VfioCcwPrivate, w: number): Generator<Yield, number, Outcome> {
  const region = p.io_region;
  if (p.k === 'v4.19' || p.k === 'v5.0' || p.k === 'morel-v3') {
    if (p.k === 'morel-v3') p.io_mutex = w; // "serialize the write system calls": blocking lock
    let ret: number;
    if (p.state !== 'IDLE') {
      ret = -EACCES;
    } else {
      yield 'copied';
      yield* vfio_ccw_fsm_event(p, 'IO_REQ');
      if (region.ret_code !== 0) p.state = 'IDLE';
      ret = region.ret_code !== 0 ? region.ret_code : COUNT;
    }
    if (p.k === 'morel-v3') p.io_mutex = -1;
    return ret;
  }
  // vfio_ccw_mdev_write_io_region
  if (p.io_mutex !== -1) return -EAGAIN;
  p.io_mutex = w;
  yield 'copied';
  yield* vfio_ccw_fsm_event(p, 'IO_REQ');
  if (p.k === 'v5.2' && region.ret_code !== 0) p.state = 'IDLE';
  const ret = region.ret_code !== 0 ? region.ret_code : COUNT;
  p.io_mutex = -1;
  return ret;
}

/** The driver driven by the machine's events, projected onto the machine's vocabulary. */
export class VfioCcwSut implements SystemUnderTest {
  readonly p: VfioCcwPrivate;
  readonly threads: (Generator<Yield, number, Outcome> | undefined)[];
  readonly phase: ('none' | Yield)[];
  ret = '';
  asyncRet = '';

  constructor(readonly k: CcwKernel, writers: number) {
    const p = new VfioCcwPrivate(k);
    this.p = p;
    this.threads = Array.from({ length: writers }, () => undefined);
    this.phase = Array.from({ length: writers }, () => 'none' as const);
    // vfio_ccw_sch_probe / vfio_ccw_alloc_private
    if (p.v6) p.state = 'STANDBY';
    else if (k === 'morel-v3') p.state = 'NOT_OPER';
    else {
      p.state = 'NOT_OPER';
      cio_enable_subchannel(p, true);
      p.state = 'STANDBY';
    }
  }

  private step(w: number, outcome?: Outcome): void {
    const t = this.threads[w]!;
    this.p.current = w;
    const r = t.next(outcome);
    this.p.current = -1;
    if (r.done) {
      this.threads[w] = undefined;
      this.phase[w] = 'none';
      this.ret = r.value > 0 ? 'count' : ERRNO[-r.value] ?? String(r.value);
    } else {
      this.phase[w] = r.value;
    }
  }

  apply(e: EventObject): void {
    const p = this.p;
    const ev = e as EventObject & Record<string, any>;
    p.flags = 0;
    switch (e.type) {
      case 'vfio_ccw_mdev_write':
        this.threads[ev.w] = vfio_ccw_mdev_write(p, ev.w);
        return this.step(ev.w);
      case 'copy_from_user':
        // userspace's scsw_area and orb_area: a start of one CCW, a transport-mode ORB, a halt function, a chain of CCWCHAIN_LEN_MAX + 1 CCWs
        p.io_region.scsw_fctl = ev.orb === 'halt' ? SCSW_FCTL_HALT_FUNC : SCSW_FCTL_START_FUNC;
        p.io_region.orb = { tm: ev.orb === 'tm', lpm: 0, ccws: ev.orb === 'long' ? CCWCHAIN_LEN_MAX + 1 : 1 };
        return this.step(ev.w);
      case 'fsm_io_helper':
        // the channel subsystem: both paths operational before the SSCH (chp events are not modelled); for cc 3 the ORB named one
        // of them (another is left) or none, i.e. every path (cp_get_orb fills in sch->lpm: the last path fails)
        p.sch.lpm = 0xc0;
        if (ev.result === 'cc3' && p.cp.initialized) p.cp.orb.lpm = 0x80;
        return this.step(ev.w, ev.result);
      case 'vfio_ccw_sch_irq':
        // the hardware: final and intermediate status report the pending function (intermediate: device still active)
        p.cio_irb = { solicited: ev.irb !== 'unsolicited', actl: ev.irb === 'intermediate' ? SCSW_ACTL_DEVACT : 0, ...(ev.irb !== 'unsolicited' ? { chain: p.sch.fnChain } : {}) };
        if (ev.irb === 'final') {
          p.sch.fnPending = false;
          p.sch.startedChain = undefined;
          p.sch.fnChain = undefined;
        }
        return run(p, vfio_ccw_fsm_event(p, 'INTERRUPT'));
      case 'vfio_ccw_sch_io_todo':
        return vfio_ccw_sch_io_todo(p);
      case 'vfio_ccw_sch_event':
        // cio_update_schib fails when the subchannel is gone, and whatever it had pending is gone with it
        if (ev.schib === 'gone') {
          p.sch.fnPending = false;
          p.sch.startedChain = undefined;
          p.sch.fnChain = undefined;
          return run(p, vfio_ccw_fsm_event(p, 'NOT_OPER'));
        }
        if (!p.v6 && p.k !== 'morel-v3' && p.state === 'NOT_OPER') p.state = p.mdev ? 'IDLE' : 'STANDBY';
        return;
      case 'vfio_ccw_async_region_write': {
        if (p.io_mutex !== -1) {
          this.asyncRet = '-EAGAIN';
          return;
        }
        p.cmd_region.command = ev.cmd === 'HSCH' ? VFIO_CCW_ASYNC_CMD_HSCH : VFIO_CCW_ASYNC_CMD_CSCH;
        p.sch.nextCc = ev.cc;
        run(p, vfio_ccw_fsm_event(p, 'ASYNC_REQ'));
        const r = p.cmd_region.ret_code;
        this.asyncRet = r === 0 ? 'count' : ERRNO[-r] ?? String(r);
        return;
      }
      case 'vfio_ccw_mdev_create':
        if (p.k === 'morel-v3') {
          p.mdev = true;
          p.state = 'STANDBY';
          return;
        }
        if (p.state === 'NOT_OPER') return; // -ENODEV
        p.mdev = true;
        p.state = 'IDLE';
        return;
      case 'vfio_ccw_mdev_remove':
        if (p.k === 'morel-v3') {
          cp_free(p);
          p.mdev = false;
          p.state = 'NOT_OPER';
          return;
        }
        if (p.state !== 'NOT_OPER' && p.state !== 'STANDBY') {
          if (!vfio_ccw_sch_quiesce(p)) p.state = 'STANDBY';
        }
        cp_free(p);
        p.mdev = false;
        return;
      case 'vfio_ccw_mdev_open':
        if (cio_enable_subchannel(p, ev.enable === 'ok')) p.state = 'NOT_OPER';
        else p.state = 'IDLE';
        return;
      case 'vfio_ccw_mdev_release':
        vfio_ccw_sch_quiesce(p);
        p.state = 'STANDBY';
        cp_free(p);
        return;
      case 'vfio_ccw_mdev_open_device':
        if (p.state === 'NOT_OPER') return; // -EINVAL
        p.sch.enableOk = ev.enable === 'ok';
        run(p, vfio_ccw_fsm_event(p, 'OPEN'));
        p.mdev = (p.state as State) !== 'NOT_OPER';
        return;
      case 'vfio_ccw_mdev_close_device':
        run(p, vfio_ccw_fsm_event(p, 'CLOSE'));
        p.mdev = false;
        return;
      case 'vfio_ccw_mdev_reset':
        // vfio_ccw_mdev_reset: CLOSE, OPEN (no io_mutex); -EINVAL if NOT_OPER after
        p.sch.enableOk = ev.enable === 'ok';
        run(p, vfio_ccw_fsm_event(p, 'CLOSE'));
        run(p, vfio_ccw_fsm_event(p, 'OPEN'));
        return;
      case 'vfio_ccw_notoper_todo':
        p.notoper_work_queued = false;
        cp_free(p); // under io_mutex
        return;
      default:
        throw new Error(`vfio-ccw SUT: unknown event ${e.type}`);
    }
  }

  /** The projection compared with the machine after every step. */
  observe() {
    const p = this.p;
    return {
      state: p.state,
      writers: this.phase,
      mutex: p.io_mutex,
      ret: this.ret,
      asyncRet: this.asyncRet,
      cp: p.cp.initialized,
      ena: p.sch.ena,
      busy: p.sch.fnPending,
      irb: p.io_work_queued ? (!p.irb.solicited ? 'unsolicited' : p.irb.actl ? 'intermediate' : 'final') : 'none',
      mdev: p.mdev,
      notoperWork: p.notoper_work_queued,
      dead: p.v6 && p.notoperRan,
      faults: (p.leaked ? 1 : 0) | (p.freedWhileProcessing ? 2 : 0),
      startOwn: p.sch.fnPending && p.sch.startedChain !== undefined && p.cp.chains.includes(p.sch.startedChain) && p.allocated.has(p.sch.startedChain),
      fnOwn: p.sch.fnPending && p.sch.fnChain !== undefined && p.cp.chains.includes(p.sch.fnChain) && p.allocated.has(p.sch.fnChain),
      irbOwn: p.io_work_queued && p.irb.chain !== undefined && p.cp.chains.includes(p.irb.chain) && p.allocated.has(p.irb.chain),
      irbNext: 'none',
      irbNextOwn: false,
      flags: p.flags,
    };
  }
}

/**
 * The machine's side of the comparison (test/sut/vfio_ccw.test.ts and the mutation path suites,
 * src/mutate/targets.ts): the fields of `VfioCcwSut.observe` read from the machine's state.
 */
export function observeCcwModel(value: unknown, context: unknown): ReturnType<VfioCcwSut['observe']> {
  const c = context as {
    writers: string[]; mutex: number; ret: string; asyncRet: string; cp: boolean; ena: boolean; busy: boolean; irb: string; mdev: boolean; notoperWork: boolean;
    dead: boolean; faults: number; startOwn: boolean; fnOwn: boolean; irbOwn: boolean; irbNext: string; irbNextOwn: boolean; flags: number;
  };
  return {
    state: value as never, writers: c.writers as never, mutex: c.mutex, ret: c.ret, asyncRet: c.asyncRet, cp: c.cp, ena: c.ena, busy: c.busy,
    irb: c.irb as never, mdev: c.mdev, notoperWork: c.notoperWork, dead: c.dead, faults: c.faults,
    startOwn: c.startOwn, fnOwn: c.fnOwn, irbOwn: c.irbOwn, irbNext: c.irbNext as never, irbNextOwn: c.irbNextOwn,
    // the lifetime findings of the step (CCW_FLAG's low four bits); the return-code meanings are the model's reading of the document
    flags: c.flags & 15,
  };
}
