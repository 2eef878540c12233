// The vfio-ccw subchannel FSM: `private->state` of struct vfio_ccw_private driven through
// vfio_ccw_jumptable[state][event], as a statechart whose states are the VFIO_CCW_STATE_*
// values and whose FSM events are the VFIO_CCW_EVENT_* values, one transition per table cell
// (the table is total, fsm_nop included). Around the table, the driver code that fires the
// FSM events or changes the state behind its back: the io_region write() (split where another
// CPU can interleave: after copy_from_user, and inside fsm_io_request between cp_init and
// fsm_io_helper), the async cmd region write, vfio_ccw_sch_irq, the io_work item
// vfio_ccw_sch_io_todo, vfio_ccw_sch_event, the mdev life cycle of each version, and
// VFIO_DEVICE_RESET (v6): one event, or in a configuration with `resetSteps` a thread of
// machines/kthread.ts steps beside the FSM (the machine is then parallel: regions `fsm`, `reset`).
//
// Ignores: the content of channel programs (one struct channel_program, initialised or not;
// the `errors` configuration's request kinds stand for what fsm_io_request and cp_init branch
// on: transport mode, a halt/clear function, a chain over CCWCHAIN_LEN_MAX), paths and lpm
// (SSCH cc 3 leaves a path, -EACCES, or was on the last one, -ENODEV: a payload), the schib
// and crw regions, chp events, eventfd signalling, the DMA-unmap notifier (a reset), the
// quiesce retry loop (quiesce always succeeds), cp_init's guest-memory and allocation
// failures, the sch todo (unregistration) that fsm_notoper schedules.
//
// Kernel files: drivers/s390/cio/vfio_ccw_fsm.c, vfio_ccw_ops.c, vfio_ccw_drv.c,
// vfio_ccw_private.h, vfio_ccw_async.c. Pinned versions (one factory option set each, see
// vfio_ccw_private.variants.ts): v4.19, v5.0, v5.2 (to v5.13), v5.14 (to v5.19), v6.2 (to the
// 2026 fix), the 2026 "Move cp cleanup out of not operational" fix, and the design of Pierre
// Morel's "vfio: ccw: VFIO CCW cleanup part1" v3 (Nov 2018).
import { and, setup, enqueueActions, stateIn, type AnyStateMachine, type EventObject } from 'xstate';
import type { Actor, EventInfo } from '../../src/spec.ts';
import { acquire, idleId, initialThreads, kfunction, locksOf, lockFree, mutex, named, release, threadEventInfo, threadEvents, threadRegion, threadWorld, type KFunction, type Step, type ThreadDef, type ThreadsContext } from '../kthread.ts';
import type { AsyncCmd, CcwBounds, Irb, IoResult, Orb } from './vfio_ccw_private.bounds.ts';
import { GHOST_FLAG, asyncEntryMeaning, asyncRetIsConditionCode, asyncRetMeaning, cpFreeFindings, disabledAgain, ioEntryMeaning, ioHelperMeaning, ioRequestMeaning, irqQueued, ioRetMeaning, notoperHandled, openDeviceFired, openDeviceRefused, openEnabled, quiesced, quiesceFindings, retReachesUser, schGone, storeAsyncRet, storeRet, withFindings } from './vfio_ccw_private.ghost.ts';

export type StateName = 'NOT_OPER' | 'STANDBY' | 'IDLE' | 'BOXED' | 'BUSY' | 'CP_PROCESSING' | 'CP_PENDING';
export type FsmEventName = 'NOT_OPER' | 'IO_REQ' | 'ASYNC_REQ' | 'INTERRUPT' | 'OPEN' | 'CLOSE';
export type Handler =
  | 'fsm_nop'
  | 'fsm_io_error'
  | 'fsm_io_busy'
  | 'fsm_io_retry'
  | 'fsm_io_request'
  | 'fsm_async_error'
  | 'fsm_async_retry'
  | 'fsm_async_request'
  | 'fsm_disabled_irq'
  | 'fsm_irq'
  | 'fsm_notoper'
  | 'fsm_open'
  | 'fsm_close';

export type JumpTable = Partial<Record<StateName, Partial<Record<FsmEventName, Handler>>>>;

/** What distinguishes one kernel version (or design) of the driver from another. */
export interface CcwVersion {
  /** enum vfio_ccw_state, in order */
  states: readonly StateName[];
  /** the events of enum vfio_ccw_event of this version (exploration order; the enum numbering, INTERRUPT before ASYNC_REQ, is in src/replay/formats.ts) */
  events: readonly FsmEventName[];
  jumptable: JumpTable;
  /** private->state once the subchannel is bound (vfio_ccw_sch_probe / vfio_ccw_alloc_private) */
  initial: StateName;
  /** sch->schib.pmcw.ena after probe */
  enabledAtProbe: boolean;
  /** the state fsm_io_request sets first: BOXED (v4.19), BUSY (v5.0), CP_PROCESSING (v5.2+) */
  requestState: StateName;
  /** the state after SSCH cc0: BUSY or CP_PENDING */
  pendingState: StateName;
  /** vfio_ccw_mdev_write: `if (private->state != VFIO_CCW_STATE_IDLE) return -EACCES` (v4.19, v5.0) */
  precheckIdle: boolean;
  /** private->io_mutex around the io_region write: none, mutex_trylock (-EAGAIN), or blocking */
  ioMutex: 'none' | 'trylock' | 'blocking';
  /** the write handler: `if (region->ret_code != 0) private->state = VFIO_CCW_STATE_IDLE` (to v5.13) */
  resetIdleOnError: boolean;
  /** fsm_io_request's err_out sets IDLE itself (v4.19, v5.0, v5.14+) */
  errOutIdle: boolean;
  /**
   * cp_init refuses an initialised program with -EBUSY (c6c82e0cd812, v5.14). The guards of
   * cp_prefetch/cp_get_orb date from 71189f263f8a3 (v5.2) but only matter once a cp can be
   * freed under fsm_io_request, which v5.2-v5.13 cannot do; the option covers both.
   */
  cpInitialized: boolean;
  /** vfio_ccw_sch_io_todo: free and go IDLE on any final IRB (to v5.1), or only a solicited one in CP_PENDING (v5.2+) */
  ioTodo: 'is_final' | 'cp_pending';
  /** vfio_ccw_sch_io_todo tests private->mdev before setting IDLE (to v5.19) */
  ioTodoNeedsMdev: boolean;
  /** what fsm_notoper does with private->cp: nothing, cp_free, or queue notoper_work (2026) */
  notoper: 'keep' | 'cp_free' | 'notoper_work';
  /** mdev create/remove (to v5.19), open_device/close_device firing OPEN/CLOSE (v6), or Morel's v3 design */
  lifecycle: 'mdev' | 'open_close' | 'morel';
  /** vfio_ccw_sch_event revives NOT_OPER to IDLE or STANDBY when the schib is readable again (to v5.19) */
  schEventRevives: boolean;
  /** VFIO_DEVICE_RESET as vfio_ccw_mdev_reset does it since v6.0: CLOSE, then OPEN, without io_mutex */
  reset?: boolean;
  /** the steps of vfio_ccw_mdev_reset changed (a planted ordering bug; fine-grained configurations only) */
  resetEdit?: (f: KFunction<CcwContext>) => KFunction<CcwContext>;
  /** the steps of vfio_ccw_sch_io_todo changed (a planted lock bug; io-todo-race only) */
  ioTodoEdit?: (f: KFunction<CcwContext>) => KFunction<CcwContext>;
  /** a design that keeps every IRB: fsm_irq queues a second one behind an unprocessed first (not in any kernel) */
  irbQueue?: boolean;
  /** a design in which io_todo ends a program only on an IRB of that program (say, a per-program intparm in the ORB; not in any kernel) */
  irbIdentity?: boolean;
  /** a design whose VFIO_DEVICE_RESET takes io_mutex (waits for a write in progress; not in any kernel) */
  resetLocked?: boolean;
  /** a design whose fsm_io_request does not overwrite NOT_OPER when it finishes (not in any kernel) */
  keepNotOper?: boolean;
  /**
   * a design whose vfio_ccw_sch_io_todo sets IDLE in the step that tests `state == CP_PENDING` and
   * frees the program (say, both under sch->lock), not after the io_mutex section as every kernel
   * does (fine-grained configurations with the io_todo thread only; not in any kernel)
   */
  ioTodoIdleLocked?: boolean;
  /** vfio_ccw_sch_io_todo frees the cp only for a final IRB (is_final); false: a planted bug that also ends on intermediate status */
  ioTodoChecksFinal?: boolean;
  /** fsm_do_halt / fsm_do_clear's code for a condition code, replaced (a planted bug; the kernels are `asyncRet`) */
  asyncRetOf?: (cmd: AsyncCmd, cc: number) => string;
  /** planted: fsm_irq copies the IRB only while io_work is not queued (the status presented meanwhile is dropped) */
  irqSkipsQueued?: boolean;
  /** planted: fsm_close of an idle subchannel without cio_disable_subchannel (only the -EBUSY path's vfio_ccw_sch_quiesce disables) */
  closeIdleNoDisable?: boolean;
  /** planted: fsm_io_request waits for a pending function to end before ssch (instead of ssch's cc 2, -EBUSY) */
  sschWaitsIdle?: boolean;
  /** planted: vfio_ccw_sch_io_todo copies the IRB to the region only for solicited status (the memcpy inside `if (scsw_is_solicited(...))`) */
  ioTodoCopiesSolicitedOnly?: boolean;
  /** planted: vfio_ccw_sch_io_todo copies the status presented last (private->irb) to the region, not the one it took from the queue (the fixed design's queue, io-todo thread configurations only) */
  ioTodoCopiesLatest?: boolean;
  /** planted: vfio_ccw_sch_quiesce without its flush_workqueue(vfio_ccw_work_q) */
  quiesceNoFlush?: boolean;
  /** planted: vfio_ccw_async_region_write without mutex_trylock(&private->io_mutex) */
  asyncUnlocked?: boolean;
  /** planted: vfio_ccw_mdev_write_io_region without its mutex_trylock on a version that has io_mutex (the machine runs it as ioMutex 'none'; IoMutexSerialisesWrites still applies) */
  writeUnlocked?: boolean;
  /** what fsm_io_helper makes of SSCH cc 2: -EBUSY (every kernel), or a planted bug's ccode, success, or -EACCES */
  sschCc2?: 'ebusy' | 'positive' | 'success' | 'eacces';
  /** planted: fsm_io_helper's `case 3:` answers -ENODEV whatever sch->lpm is left (as fsm_do_halt's `case 3:`) */
  sschCc3Enodev?: boolean;
  /** planted: fsm_io_request tests the ORB's transport-mode bit after cp_init (the program is built and kept; err_out frees nothing) */
  tmAfterCpInit?: boolean;
  /** planted: ccwchain_calc_length without its `cnt == CCWCHAIN_LEN_MAX + 1` test (a chain longer than 255 CCWs is started truncated) */
  chainLenUnchecked?: boolean;
}

export type Phase = 'none' | 'copied' | 'request';

export interface CcwContext {
  /** Per writer thread: outside write(), past copy_from_user, or inside fsm_io_request after cp_init. */
  writers: Phase[];
  /** private->io_mutex holder (writer index), -1 when free */
  mutex: number;
  /** what the last write() of the io_region returned: 'count' or an errno */
  ret: string;
  /** what the last write() of the async cmd region returned */
  asyncRet: string;
  /** private->cp.initialized: a channel program is built and not yet freed */
  cp: boolean;
  /** sch->schib.pmcw.ena */
  ena: boolean;
  /** a start, halt or clear function is pending at the subchannel: its final interrupt is due */
  busy: boolean;
  /** private->io_work is queued with private->irb of this kind */
  irb: 'none' | Irb;
  /** userspace holds the device: mdev created (to v5.19, Morel) or device opened (v6) */
  mdev: boolean;
  /** private->notoper_work is queued (2026 fix) */
  notoperWork: boolean;
  /** fsm_notoper ran (tracked from v6 on, where NOT_OPER is meant to be a dead end) */
  dead: boolean;
  /** lifetime tracker findings, CCW_FAULT bits */
  faults: number;
  /** the pending start function is the current channel program's (cp_free of it would unpin pages the channel still uses) */
  startOwn: boolean;
  /** the pending function (start, or a halt or clear issued on the current program) ends in the current program's final status */
  fnOwn: boolean;
  /** the queued IRB reports the current channel program's I/O (false: unsolicited, or a program freed since) */
  irbOwn: boolean;
  /** irbQueue designs: a second IRB queued behind the first, and whose it is */
  irbNext: 'none' | Irb;
  irbNextOwn: boolean;
  /** what the last step found, CCW_FLAG bits: cleared by every external event (a step's finding, not a sticky tracker, so it adds no copy of the state space) */
  flags: number;
  /** fine-grained configurations (VFIO_DEVICE_RESET as a thread): locks, locals, lock faults (machines/kthread.ts) */
  threads?: ThreadsContext;
  /** io_todo as a thread (configuration io-todo-race): its local `cp_is_finished`, set by its first step and read by its IDLE store */
  cpIsFinished?: boolean;
  /**
   * io_todo as a thread: what its `irb = &private->irb` holds between its test and its memcpy to the region:
   * nothing in flight, the IRB it tested, or another one fsm_irq copied over it since (the kernels' single buffer)
   */
  ioTodoIrb?: 'none' | 'tested' | 'overwritten';
}

export const CCW_FAULT = {
  /** cp_init ran on an initialised channel program: its chains and pinned pages are lost */
  CP_LEAK: 1,
  /** cp_free ran while another thread was between cp_init and fsm_io_helper on that program */
  CP_FREE_WHILE_PROCESSING: 2,
} as const;

/** What one step found (context.flags, cleared by the next external event). */
export const CCW_FLAG = {
  /** cp_free ran while the program's start function was still pending at the subchannel (its pages unpinned under the channel) */
  CP_FREE_WHILE_IO: 1,
  /** vfio_ccw_sch_io_todo ended the current program on an IRB of another (freed) program */
  STALE_IRB_ENDS_CP: 2,
  /** fsm_irq overwrote private->irb before io_work copied it to the io_region */
  IRB_LOST: 4,
  /** vfio_ccw_sch_io_todo ended a program on intermediate status */
  INTERMEDIATE_ENDS_CP: 8,
  // a return code whose documented meaning (vfio-ccw.rst) does not describe the situation it was returned in:
  /** -EIO while the device was ready to accept requests */
  EIO: 16,
  /** -EBUSY with the subchannel neither status pending nor busy and no request active */
  EBUSY: 32,
  /** -EAGAIN with no request being processed */
  EAGAIN: 64,
  /** -EACCES without a channel path found not operational */
  EACCES: 128,
  /** 0 (the byte count) without a started channel program */
  SUCCESS: 256,
  /** a cmd region code outside its documented meaning */
  ASYNC: 512,
  /** VFIO_CCW_EVENT_OPEN or CLOSE reached a state whose table cell is fsm_notoper (an OPEN while open, a CLOSE while closed): the device goes NOT_OPER */
  OPEN_CLOSE_OUT_OF_ORDER: 1024,
  /** io_todo's `state = IDLE` (after its unlocked CP_PENDING test) overwrote a state someone else set since: a close's STANDBY, a notoper's NOT_OPER, a new program's CP_PROCESSING or CP_PENDING */
  IO_TODO_IDLE_OVERWRITES: 2048,
  /** io_todo's memcpy to the region copied an IRB fsm_irq wrote over private->irb after io_todo's test: not the status it acted on (a bit far above GHOST_FLAG's) */
  IRB_COPIED_NOT_TESTED: 1073741824,
  /** the ghost bits of vfio_ccw_private.ghost.ts: a code stored in this access, a code returned that was not, the cmd region's code against its condition code */
  ...GHOST_FLAG,
} as const;

/** Events only the driver raises (the FSM events and the callers' checks after vfio_ccw_fsm_event): they do not clear flags. */
const isRaised = (type: string): boolean =>
  type.startsWith('VFIO_CCW_EVENT_') || type === 'io_region_ret_code' || type === 'open_device_ret' || type === 'vfio_ccw_mdev_reset_open' || type === IO_TODO_TEST || type === IO_TODO_IDLE;

/** The io_todo thread's first step (the CP_PENDING test and cp_free) and last (the IDLE store), raised to the FSM region, which knows the state. */
export const IO_TODO_TEST = 'vfio_ccw_sch_io_todo_cp_pending';
export const IO_TODO_IDLE = 'vfio_ccw_sch_io_todo_set_idle';

export interface CcwEvent extends EventObject {
  type: string;
  w?: number;
  result?: IoResult;
  /** copy_from_user, IO_REQ: the request the writer copied in (absent: a supported start) */
  orb?: Orb;
  irb?: Irb;
  cmd?: AsyncCmd;
  cc?: number;
  enable?: 'ok' | 'fail';
  schib?: 'gone' | 'ok';
  /** INTERRUPT: the IRB reports the current program's I/O */
  own?: boolean;
  /** OPEN fired by vfio_ccw_mdev_reset (not by open_device) */
  from?: 'reset';
}

export const FSM_EVENT_PREFIX = 'VFIO_CCW_EVENT_';
export const fsmEvent = (e: FsmEventName): string => FSM_EVENT_PREFIX + e;

/**
 * private->io_mutex as a kthread lock: held by a thread of a fine-grained configuration (the
 * reset); the coarse writer's hold is `mutex`. Every acquire tests both (ioMutexFree).
 */
export const io_mutex = mutex('private->io_mutex');

/** io_mutex is free: no coarse writer and no thread holds it (coarse configurations have no threads). */
export const ioMutexFree = (c: CcwContext): boolean => c.mutex === -1 && lockFree(c, io_mutex);

/**
 * VFIO_DEVICE_RESET as a thread (configuration reset-race): vfio_ccw_mdev_reset fires CLOSE and
 * OPEN as two vfio_ccw_fsm_event calls, each an FSM handler run to completion (raised to the
 * fsm region), with nothing held in between; a design that locks takes io_mutex around both.
 * The ioctl needs the device open (its first step waits for `mdev`); cio_enable_subchannel
 * succeeds (the configuration enumerates no failure); the -EINVAL return when the state is
 * NOT_OPER afterwards is not recorded (as in the coarse event).
 */
export function resetThread(v: CcwVersion): ThreadDef<CcwContext> {
  const cite = 'drivers/s390/cio/vfio_ccw_ops.c vfio_ccw_mdev_reset (vfio_ccw_mdev_ioctl VFIO_DEVICE_RESET)';
  // each step is an external event: what the previous one found is cleared, as kfn does
  const fresh = { writes: [['flags']] as const, run: (c: CcwContext) => void (c.flags = 0) };
  const close: Step<CcwContext> = {
    at: 'vfio_ccw_fsm_event(CLOSE)',
    cite,
    writes: [['flags']],
    raises: [fsmEvent('CLOSE')],
    run: (c, _t, fx) => {
      c.flags = 0;
      fx.raise({ type: fsmEvent('CLOSE') });
    },
  };
  const open: Step<CcwContext> = {
    at: 'vfio_ccw_fsm_event(OPEN)',
    cite,
    writes: [['flags']],
    raises: [fsmEvent('OPEN')],
    run: (c, _t, fx) => {
      c.flags = 0;
      fx.raise({ type: fsmEvent('OPEN'), enable: 'ok', from: 'reset' });
    },
  };
  const locked = [
    acquire<CcwContext>(io_mutex, 'write', { ...fresh, reads: [['mutex']], when: named('no writer holds io_mutex', (c: CcwContext) => c.mutex === -1), cite }),
    close,
    open,
    release<CcwContext>(io_mutex, 'write', { ...fresh, cite }),
  ];
  let fn = kfunction<CcwContext>('vfio_ccw_mdev_reset', cite, v.resetLocked ? locked : [close, open]);
  if (v.resetEdit) fn = v.resetEdit(fn);
  // the ioctl is made on an open device fd: the entry step waits for it
  const [first, ...rest] = fn.steps;
  const w = first!.when;
  const entry: Step<CcwContext> = { ...first!, reads: [...(first!.reads ?? []), ['mdev']], when: named(w ? `device open && ${w.name}` : 'device open', (c: CcwContext, t) => c.mdev && (!w || w(c, t))) };
  return { name: 'reset', actor: 'userspace', fns: [{ ...fn, steps: [entry, ...rest] }] };
}

/**
 * vfio_ccw_sch_io_todo as a thread (configuration io-todo-race): the work item of private->io_work
 * on vfio_ccw_work_q, as vfio_ccw_drv.c has it (v6.17-rc4 9b44fff655e2):
 *
 *   is_final = ...; if (scsw_is_solicited) { cp_update_scsw; if (is_final && private->state == CP_PENDING) { cp_free; cp_is_finished = true; } }
 *   mutex_lock(&private->io_mutex); memcpy(io_region->irb_area, irb); mutex_unlock(&private->io_mutex);
 *   if (cp_is_finished) private->state = VFIO_CCW_STATE_IDLE;
 *
 * The test and the store hold neither io_mutex nor sch->lock (Halil Pasic, "Re: [RFC PATCH v4 0/4]
 * vfio-ccw: Fix interrupt handling for HALT/CLEAR", kvm list 2021-04-23: "vfio_ccw_sch_io_todo()
 * (has both a read and a write, and runs from the workqueue) and fsm_io_request() ... the accesses
 * form vfio_ccw_sch_io_todo() are not with the io_mutex held"). The first step runs io_todo's test
 * and cp_free to completion in the FSM region (which knows the state) and keeps cp_is_finished;
 * the io_mutex section blocks behind a writer holding the mutex (a writer's trylock fails while
 * io_todo holds it: -EAGAIN); the last step stores IDLE. A design with `ioTodoIdleLocked` stores
 * IDLE in the first step and has no last step. The work starts when it is queued (an IRB waits).
 */
export function ioTodoThread(v: CcwVersion): ThreadDef<CcwContext> {
  const cite = 'drivers/s390/cio/vfio_ccw_drv.c vfio_ccw_sch_io_todo';
  const fresh = { writes: [['flags']] as const, run: (c: CcwContext) => void (c.flags = 0) };
  const test: Step<CcwContext> = {
    at: 'if (is_final && state == CP_PENDING) cp_free(cp)',
    cite,
    reads: [['irb']],
    writes: [['flags']],
    raises: [IO_TODO_TEST],
    when: named('io_work queued', (c: CcwContext) => c.irb !== 'none'),
    run: (c, _t, fx) => {
      c.flags = 0;
      fx.raise({ type: IO_TODO_TEST });
    },
  };
  const store: Step<CcwContext> = {
    at: 'if (cp_is_finished) state = IDLE',
    cite,
    writes: [['flags']],
    raises: [IO_TODO_IDLE],
    run: (c, _t, fx) => {
      c.flags = 0;
      fx.raise({ type: IO_TODO_IDLE });
    },
  };
  const section = [
    acquire<CcwContext>(io_mutex, 'write', { ...fresh, reads: [['mutex']], when: named('no writer holds io_mutex', (c: CcwContext) => c.mutex === -1), cite: `${cite}: memcpy(io_region->irb_area) under io_mutex` }),
    // memcpy(private->io_region->irb_area, irb, sizeof(*irb)) before the unlock: irb is &private->irb, which fsm_irq may have overwritten since the test
    release<CcwContext>(io_mutex, 'write', {
      reads: [['ioTodoIrb']],
      writes: [['flags'], ['ioTodoIrb']],
      run: (c: CcwContext) => {
        c.flags = c.ioTodoIrb === 'overwritten' ? CCW_FLAG.IRB_COPIED_NOT_TESTED : 0;
        c.ioTodoIrb = 'none';
      },
      cite: `${cite}: memcpy(private->io_region->irb_area, irb) of irb = &private->irb, then mutex_unlock`,
    }),
  ];
  const fn = kfunction<CcwContext>('vfio_ccw_sch_io_todo', cite, v.ioTodoIdleLocked ? [test, ...section] : [test, ...section, store]);
  return { name: 'io_todo', actor: 'kernel', fns: [v.ioTodoEdit ? v.ioTodoEdit(fn) : fn] };
}

/** The threads of a configuration: the reset thread where the bounds split VFIO_DEVICE_RESET and the version has it, the io_todo work where they split it. */
export function ccwThreads(v: CcwVersion, b: CcwBounds): ThreadDef<CcwContext>[] {
  return [...(b.resetSteps && v.reset ? [resetThread(v)] : []), ...(b.ioTodoSteps ? [ioTodoThread(v)] : [])];
}

/** Who causes each event; VFIO_CCW_EVENT_* and the write's ret_code check are raised by the driver. */
export function eventInfo(v: CcwVersion, b?: CcwBounds): Record<string, EventInfo> {
  const ev = (actor: Actor, cite: string, fair?: true): EventInfo => ({ actor, cite, ...(fair ? { fair } : {}) });
  const info: Record<string, EventInfo> = {
    vfio_ccw_mdev_write: ev('userspace', 'vfio_ccw_ops.c vfio_ccw_mdev_write / vfio_ccw_mdev_write_io_region, up to copy_from_user'),
    // fair: a thread inside write() runs on (vfio_ccw_private.liveness.ts)
    copy_from_user: ev('userspace', 'vfio_ccw_ops.c: the writer returns from copy_from_user and calls vfio_ccw_fsm_event(IO_REQ)', true),
    fsm_io_helper: ev('hardware', 'vfio_ccw_fsm.c fsm_io_request after cp_init: cp_prefetch, fsm_io_helper (ssch condition code), err_out', true),
    io_region_ret_code: ev('kernel', 'vfio_ccw_ops.c: the write handler reads region->ret_code after vfio_ccw_fsm_event returns'),
    vfio_ccw_sch_irq: ev('hardware', 'vfio_ccw_drv.c vfio_ccw_sch_irq: I/O interruption for the subchannel'),
    // fair: a queued work item runs
    vfio_ccw_sch_io_todo: ev('kernel', 'vfio_ccw_drv.c vfio_ccw_sch_io_todo (private->io_work on vfio_ccw_work_q)', true),
    vfio_ccw_sch_event: ev('kernel', 'vfio_ccw_drv.c vfio_ccw_sch_event (css sch_event callback, cio_update_schib)'),
  };
  for (const e of v.events) info[fsmEvent(e)] = ev('kernel', `vfio_ccw_private.h enum vfio_ccw_event, fired through vfio_ccw_fsm_event`);
  if (v.events.includes('ASYNC_REQ')) info.vfio_ccw_async_region_write = ev('userspace', 'vfio_ccw_async.c vfio_ccw_async_region_write');
  if (v.lifecycle === 'mdev' || v.lifecycle === 'morel') {
    info.vfio_ccw_mdev_create = ev('userspace', 'vfio_ccw_ops.c vfio_ccw_mdev_create (mdev sysfs create)');
    info.vfio_ccw_mdev_remove = ev('userspace', 'vfio_ccw_ops.c vfio_ccw_mdev_remove (mdev sysfs remove)');
  }
  if (v.lifecycle === 'morel') {
    info.vfio_ccw_mdev_open = ev('userspace', 'vfio_ccw_ops.c vfio_ccw_mdev_open (Morel v3: enables the subchannel)');
    info.vfio_ccw_mdev_release = ev('userspace', 'vfio_ccw_ops.c vfio_ccw_mdev_release (Morel v3: quiesce, STANDBY)');
  }
  if (v.lifecycle === 'open_close') {
    info.vfio_ccw_mdev_open_device = ev('userspace', 'vfio_ccw_ops.c vfio_ccw_mdev_open_device (fires VFIO_CCW_EVENT_OPEN)');
    info.open_device_ret = ev('kernel', 'vfio_ccw_ops.c vfio_ccw_mdev_open_device: state == NOT_OPER after OPEN -> -EINVAL');
    info.vfio_ccw_mdev_close_device = ev('userspace', 'vfio_ccw_ops.c vfio_ccw_mdev_close_device (fires VFIO_CCW_EVENT_CLOSE)');
  }
  if (v.notoper === 'notoper_work') info.vfio_ccw_notoper_todo = ev('kernel', 'vfio_ccw_drv.c vfio_ccw_notoper_todo (private->notoper_work, under io_mutex)', true);
  const threads = b ? ccwThreads(v, b) : [];
  if (v.reset && !threads.length) {
    info.vfio_ccw_mdev_reset = ev('userspace', 'vfio_ccw_ops.c vfio_ccw_mdev_ioctl VFIO_DEVICE_RESET -> vfio_ccw_mdev_reset (CLOSE, OPEN)');
    info.vfio_ccw_mdev_reset_open = ev('kernel', 'vfio_ccw_ops.c vfio_ccw_mdev_reset: vfio_ccw_fsm_event(OPEN) once vfio_ccw_fsm_event(CLOSE) returned (after the NOT_OPER event fsm_close may fire)');
  }
  if (threads.some((t) => t.name === 'io_todo')) {
    info[IO_TODO_TEST] = ev('kernel', 'vfio_ccw_drv.c vfio_ccw_sch_io_todo: is_final && state == CP_PENDING -> cp_free, cp_is_finished (the io_todo thread\'s first step, run in the FSM region)');
    info[IO_TODO_IDLE] = ev('kernel', 'vfio_ccw_drv.c vfio_ccw_sch_io_todo: if (cp_is_finished) private->state = VFIO_CCW_STATE_IDLE (the io_todo thread\'s last step)');
  }
  Object.assign(info, threadEventInfo(threads));
  return info;
}

/** Every external event with every payload the bounds enumerate (raised events excluded). */
export function events(v: CcwVersion, b: CcwBounds): CcwEvent[] {
  const out: CcwEvent[] = [];
  for (let w = 0; w < b.writers; w++) {
    out.push({ type: 'vfio_ccw_mdev_write', w });
    for (const orb of b.orbs ?? ['start']) out.push({ type: 'copy_from_user', w, ...(orb === 'start' ? {} : { orb }) });
    for (const result of b.results) out.push({ type: 'fsm_io_helper', w, result });
  }
  for (const irb of b.irbs) out.push({ type: 'vfio_ccw_sch_irq', irb });
  // the io_todo thread replaces the atomic work item
  if (!b.ioTodoSteps) out.push({ type: 'vfio_ccw_sch_io_todo' });
  if (b.schibGone !== false) out.push({ type: 'vfio_ccw_sch_event', schib: 'gone' });
  if (v.schEventRevives) out.push({ type: 'vfio_ccw_sch_event', schib: 'ok' });
  if (v.events.includes('ASYNC_REQ')) for (const a of b.asyncs) out.push({ type: 'vfio_ccw_async_region_write', cmd: a.cmd, cc: a.cc });
  if (v.lifecycle === 'mdev' || v.lifecycle === 'morel') out.push({ type: 'vfio_ccw_mdev_create' }, { type: 'vfio_ccw_mdev_remove' });
  if (v.lifecycle === 'morel') {
    for (const enable of b.enable) out.push({ type: 'vfio_ccw_mdev_open', enable });
    out.push({ type: 'vfio_ccw_mdev_release' });
  }
  if (v.lifecycle === 'open_close') {
    for (const enable of b.enable) out.push({ type: 'vfio_ccw_mdev_open_device', enable });
    if (!b.keepsOpen) out.push({ type: 'vfio_ccw_mdev_close_device' });
  }
  if (v.notoper === 'notoper_work') out.push({ type: 'vfio_ccw_notoper_todo' });
  const threads = ccwThreads(v, b);
  if (v.reset && !threads.length) for (const enable of b.enable) out.push({ type: 'vfio_ccw_mdev_reset', enable });
  out.push(...threadEvents(threads));
  return out;
}

export function initialContext(v: CcwVersion, b: CcwBounds): CcwContext {
  const threads = ccwThreads(v, b);
  return {
    ...(threads.length ? { threads: initialThreads(threads, locksOf(threads)) } : {}),
    writers: Array.from({ length: b.writers }, (): Phase => 'none'),
    mutex: -1,
    ret: '',
    asyncRet: '',
    cp: false,
    ena: v.enabledAtProbe,
    busy: false,
    irb: 'none',
    mdev: false,
    notoperWork: false,
    dead: false,
    faults: 0,
    startOwn: false,
    fnOwn: false,
    irbOwn: false,
    irbNext: 'none',
    irbNextOwn: false,
    flags: 0,
    ...(b.ioTodoSteps ? { cpIsFinished: false, ioTodoIrb: 'none' as const } : {}),
  };
}

/** The errno fsm_io_helper or cp_prefetch leaves in io_region->ret_code, or 'count' for cc0. */
export function ioResultRet(result: IoResult): string {
  switch (result) {
    case 'cc0':
      return 'count';
    case 'cc1':
    case 'cc2':
      return '-EBUSY';
    case 'cc3':
      return '-EACCES';
    case 'cc3-nopath':
      return '-ENODEV';
    case 'cp_prefetch':
      return '-EINVAL';
  }
}

/** fsm_do_halt / fsm_do_clear: the errno for a condition code. */
export function asyncRet(cmd: AsyncCmd, cc: number): string {
  if (cc === 0) return 'count';
  if (cc === 3) return '-ENODEV';
  return cmd === 'HSCH' ? '-EBUSY' : String(cc);
}

type Ctx = CcwContext;
type Fx = { raise(e: CcwEvent): void };
type Fn = (c: Ctx, e: CcwEvent, fx: Fx, params: { state: StateName }) => void;
/** A ghost check after the step (vfio_ccw_private.ghost.ts): reads the step's result, sets flags only. */
type Post = (c: Ctx, before: Ctx, e: CcwEvent, state: StateName) => void;

function clone(c: Ctx): Ctx {
  return { ...c, writers: c.writers.slice() };
}

/** The events a step raises, in order (a class: no function object, named by esbuild's keepNames, is made per step). */
class Raised implements Fx {
  readonly list: CcwEvent[] = [];
  raise(e: CcwEvent): void {
    this.list.push(e);
  }
}

function kfn(fn: Fn, post?: Post) {
  return enqueueActions(({ context, event, enqueue }, params: { state: StateName }) => {
    const c = clone(context as Ctx);
    if (!isRaised((event as CcwEvent).type)) c.flags = 0;
    const raised = new Raised();
    const p = params ?? { state: 'IDLE' };
    fn(c, event as CcwEvent, raised, p);
    post?.(c, context as Ctx, event as CcwEvent, p.state);
    // writers unchanged: the parent's array (the same JSON), so the checker's interning compares and hashes it by reference
    const w0 = (context as Ctx).writers;
    if (c.writers.length === w0.length && c.writers.every((x, i) => x === w0[i])) c.writers = w0;
    enqueue.assign(() => c);
    for (const e of raised.list) enqueue.raise(e as never);
  });
}

/** cp_free(&private->cp), with the lifetime tracker: `by` is the writer calling it, -1 for others. */
const cpFree = withFindings(cpFreeFindings, function cp_free(c: Ctx, _by: number): void {
  c.cp = false;
  // the I/O still pending and the IRBs still queued belong to a program that is gone
  c.startOwn = false;
  c.fnOwn = false;
  c.irbOwn = false;
  c.irbNextOwn = false;
});

/** flush_workqueue: io_todo copies every queued IRB to the io_region (their other effects are the caller's cp_free's). */
function flushIoWork(c: Ctx): void {
  c.irb = 'none';
  c.irbOwn = false;
  c.irbNext = 'none';
  c.irbNextOwn = false;
}

/**
 * The close path's disable: cio_disable_subchannel succeeds on an idle subchannel and returns
 * without flushing io_work; on a busy one vfio_ccw_sch_quiesce cancels, halts or clears the
 * function, waits for its interrupt and flushes io_work (always succeeding here).
 */
const quiesce = withFindings(quiesceFindings, function vfio_ccw_sch_quiesce(c: Ctx, v: CcwVersion, _state: StateName): void {
  if (!c.ena) return;
  // the cancel/halt/clear's interruption lands in private->irb; flush_workqueue copies it (and what was queued)
  if (c.busy && !v.quiesceNoFlush) flushIoWork(c);
  c.busy = false;
  c.startOwn = false;
  c.fnOwn = false;
  c.ena = false;
}, quiesced);

/** Builds the machine of one version: the jump table plus the driver code around it. */
export function createVfioCcwMachine(v: CcwVersion, b: CcwBounds): AnyStateMachine {
  const by = (actor: Actor) => ({ actor });
  const idle = (c: Ctx) => c.writers.every((p) => p === 'none');
  const threads = ccwThreads(v, b);

  /** vfio_ccw_drv.c vfio_ccw_sch_io_todo up to its IDLE store: takes the IRB, frees the program if it ended (returns cp_is_finished) */
  const ioTodo = (c: Ctx, state: StateName): boolean => {
    const irb = c.irb;
    const own = c.irbOwn;
    c.irb = c.irbNext;
    c.irbOwn = c.irbNextOwn;
    c.irbNext = 'none';
    c.irbNextOwn = false;
    const solicited = irb !== 'unsolicited';
    // is_final = !(actl & (DEVACT | SCHACT)): intermediate status has them set; a planted bug ignores it
    const ends = irb === 'final' || (irb === 'intermediate' && v.ioTodoChecksFinal === false);
    const frees = solicited && ends && (v.ioTodo === 'is_final' || state === 'CP_PENDING') && (!v.irbIdentity || own);
    // to v5.1 the IDLE reset needs only mdev && is_final (an unsolicited IRB counts as final)
    const idles = v.ioTodo === 'is_final' ? (!v.ioTodoNeedsMdev || c.mdev) && (irb !== 'intermediate' || v.ioTodoChecksFinal === false) : frees;
    if (irb === 'intermediate' && (frees || idles)) c.flags |= CCW_FLAG.INTERMEDIATE_ENDS_CP;
    if (frees) {
      if (c.cp && !own) c.flags |= CCW_FLAG.STALE_IRB_ENDS_CP;
      cpFree(c, -1);
    }
    return frees;
  };

  const actions = {
    // vfio_ccw_fsm.c fsm_nop
    fsm_nop: () => {},
    // vfio_ccw_fsm.c fsm_io_error ("not in a state ready to accept requests": NOT_OPER, STANDBY)
    fsm_io_error: kfn((c) => storeRet(c, '-EIO'), ioRetMeaning),
    // vfio_ccw_fsm.c fsm_io_busy ("status pending or busy, or a request is already active")
    fsm_io_busy: kfn((c) => storeRet(c, '-EBUSY'), ioRetMeaning),
    // vfio_ccw_fsm.c fsm_io_retry ("a request was being processed")
    fsm_io_retry: kfn((c) => storeRet(c, '-EAGAIN'), ioRetMeaning),
    // vfio_ccw_fsm.c fsm_io_request, up to and including cp_init (the state change is the target)
    fsm_io_request: kfn((c, e) => {
      const w = e.w!;
      // "Don't try to build a cp if transport mode is specified"; a halt or clear on the io_region (the async cmd region has them)
      if ((e.orb === 'tm' && !v.tmAfterCpInit) || e.orb === 'halt') return storeRet(c, '-EOPNOTSUPP');
      if (v.cpInitialized && c.cp) return storeRet(c, '-EBUSY');
      // cp_init -> ccwchain_handle_ccw -> ccwchain_calc_length: a chain longer than CCWCHAIN_LEN_MAX, -EINVAL, nothing built
      if (e.orb === 'long' && !v.chainLenUnchecked) return storeRet(c, '-EINVAL');
      if (c.cp) c.faults |= CCW_FAULT.CP_LEAK;
      c.cp = true;
      // a new program: whatever runs or is queued belongs to an older one
      c.startOwn = false;
      c.fnOwn = false;
      c.irbOwn = false;
      c.irbNextOwn = false;
      // planted tmAfterCpInit: the program built, then the transport-mode test: err_out keeps it
      if (e.orb === 'tm') return storeRet(c, '-EOPNOTSUPP');
      c.writers[w] = 'request';
    }, ioRequestMeaning),
    // vfio_ccw_fsm.c fsm_async_error
    fsm_async_error: kfn((c) => storeAsyncRet(c, '-EIO'), asyncRetMeaning),
    // vfio_ccw_fsm.c fsm_async_retry
    fsm_async_retry: kfn((c) => storeAsyncRet(c, '-EAGAIN'), asyncRetMeaning),
    // vfio_ccw_fsm.c fsm_async_request -> fsm_do_halt / fsm_do_clear
    fsm_async_request: kfn((c, e) => {
      storeAsyncRet(c, (v.asyncRetOf ?? asyncRet)(e.cmd!, e.cc!));
      // a halt or clear of the current program ends it: its final status is that program's
      if (e.cc === 0) {
        c.busy = true;
        c.fnOwn = c.cp;
      }
    }, asyncRetIsConditionCode),
    // vfio_ccw_fsm.c fsm_disabled_irq: cio_disable_subchannel
    fsm_disabled_irq: kfn((c) => void (c.ena = false), disabledAgain),
    // vfio_ccw_fsm.c fsm_irq: memcpy(&private->irb, ...), queue_work(io_work): a queued work item is not queued again
    fsm_irq: kfn((c, e) => {
      const own = !!e.own;
      // the irbQueue design: behind the IRB io_work has not taken yet (irb_possible bounds the queue at two)
      if (v.irbQueue && c.irb !== 'none') {
        c.irbNext = e.irb!;
        c.irbNextOwn = own;
        return;
      }
      // planted: the copy skipped while io_work is still queued
      if (v.irqSkipsQueued && c.irb !== 'none') return;
      // memcpy over the one io_work has not copied yet, if any (the ghost irqQueued flags the loss)
      c.irb = e.irb!;
      c.irbOwn = own;
    }, irqQueued),
    // vfio_ccw_fsm.c fsm_irq's memcpy(&private->irb) while io_todo is between its test and its memcpy to the region (io_todo threads):
    // the kernels' single buffer loses the status io_todo tested (no lock in common: sch->lock here, io_mutex there); the fixed design's queue entry is io_todo's own
    fsm_irq_overwrites_io_todo_irb: kfn((c) => {
      if (c.ioTodoIrb === 'tested' && (!v.irbQueue || v.ioTodoCopiesLatest)) c.ioTodoIrb = 'overwritten';
    }),
    // vfio_ccw_fsm.c fsm_notoper (the state change is the target)
    fsm_notoper: kfn((c, e, fx) => {
      // vfio_ccw_mdev_open_device sees NOT_OPER after its OPEN: -EINVAL, the device is not opened
      if (e.type === fsmEvent('OPEN') && e.from !== 'reset') fx.raise({ type: 'open_device_ret' });
      if (v.lifecycle === 'open_close') c.dead = true;
      if (v.notoper === 'cp_free') cpFree(c, -1);
      if (v.notoper === 'notoper_work') c.notoperWork = true;
    }, notoperHandled),
    // vfio_ccw_fsm.c fsm_open: cio_enable_subchannel, or VFIO_CCW_EVENT_NOT_OPER on failure
    fsm_open: kfn((c, e, fx) => {
      if (e.enable === 'ok') return void (c.ena = true);
      fx.raise({ type: fsmEvent('NOT_OPER') });
      // from vfio_ccw_mdev_open_device, whose NOT_OPER check must see the recursive event (a reset keeps the device open)
      if (e.from !== 'reset') fx.raise({ type: 'open_device_ret' });
    }, openEnabled),
    // vfio_ccw_fsm.c fsm_close: disable (quiesce if busy), cp_free; NOT_OPER if not enabled
    fsm_close: kfn((c, _e, fx, { state }) => {
      if (!c.ena) return fx.raise({ type: fsmEvent('NOT_OPER') });
      if (!(v.closeIdleNoDisable && !c.busy)) quiesce(c, v, state);
      cpFree(c, -1);
    }),

    // vfio_ccw_ops.c vfio_ccw_mdev_write(_io_region): the checks before the FSM event
    vfio_ccw_mdev_write: kfn((c, e, _fx, { state }) => {
      const w = e.w!;
      if (v.ioMutex === 'trylock' && !ioMutexFree(c)) return void (c.ret = '-EAGAIN');
      if (v.precheckIdle && state !== 'IDLE') {
        // "-EACCES: The channel path(s) used for the I/O were found to be not operational"
        c.flags |= CCW_FLAG.EACCES;
        return void (c.ret = '-EACCES');
      }
      if (v.ioMutex !== 'none') c.mutex = w;
      c.writers[w] = 'copied';
    }, ioEntryMeaning),
    // vfio_ccw_ops.c: vfio_ccw_fsm_event(private, VFIO_CCW_EVENT_IO_REQ), then the ret_code check
    copy_from_user: kfn((_c, e, fx) => {
      fx.raise({ type: fsmEvent('IO_REQ'), w: e.w!, ...(e.orb ? { orb: e.orb } : {}) });
      fx.raise({ type: 'io_region_ret_code', w: e.w! });
    }),
    // vfio_ccw_ops.c: ret = region->ret_code ?: count; mutex_unlock (the IDLE reset is the target)
    io_region_ret_code: kfn((c, e) => {
      c.writers[e.w!] = 'none';
      if (c.mutex === e.w) c.mutex = -1;
    }, retReachesUser),
    // vfio_ccw_fsm.c fsm_io_request after cp_init: cp_prefetch, fsm_io_helper, err_out
    fsm_io_helper: kfn((c, e, fx) => {
      const w = e.w!;
      const result = v.cpInitialized && !c.cp ? 'cp_prefetch' : e.result!;
      storeRet(c, ioResultRet(result));
      if (result === 'cc2' && v.sschCc2 === 'positive') c.ret = '2';
      if (result === 'cc2' && v.sschCc2 === 'eacces') {
        c.ret = '-EACCES';
        c.flags |= CCW_FLAG.EACCES;
      }
      if (result === 'cc2' && v.sschCc2 === 'success') {
        c.ret = 'count';
        c.flags |= CCW_FLAG.SUCCESS;
      }
      if (result === 'cc3' && v.sschCc3Enodev) c.ret = '-ENODEV';
      if (result === 'cc0') {
        // "0: The operation was successful" (K2, K3): the translated program was issued; one freed under the writer was not (retReachesUser)
        c.busy = true;
        // (a program freed under the writer runs from freed memory: it is no one's)
        c.startOwn = c.cp;
        c.fnOwn = c.cp;
      } else if (!(result === 'cc2' && v.sschCc2 === 'success')) cpFree(c, w);
      c.writers[w] = 'copied';
      fx.raise({ type: 'io_region_ret_code', w });
    }, ioHelperMeaning),
    // vfio_ccw_drv.c vfio_ccw_sch_irq
    vfio_ccw_sch_irq: kfn((c, e, fx) => {
      // solicited status reports the function pending: the current program's if its start is
      const own = e.irb !== 'unsolicited' && c.fnOwn;
      if (e.irb === 'final') {
        c.busy = false;
        c.startOwn = false;
        c.fnOwn = false;
      }
      fx.raise({ type: fsmEvent('INTERRUPT'), irb: e.irb!, own });
    }),
    // vfio_ccw_drv.c vfio_ccw_sch_io_todo (the IDLE reset is the target)
    vfio_ccw_sch_io_todo: kfn((c, _e, _fx, { state }) => {
      // planted (ioTodoCopiesSolicitedOnly): the memcpy to the region inside the solicited branch: unsolicited status stays in private->irb
      if (!(v.ioTodoCopiesSolicitedOnly && c.irb === 'unsolicited')) ioTodo(c, state);
    }),
    // the io_todo thread's first step: the same, keeping cp_is_finished for its IDLE store (the ioTodoIdleLocked design stores it here: the target)
    [IO_TODO_TEST]: kfn((c, _e, _fx, { state }) => {
      const finished = ioTodo(c, state);
      c.cpIsFinished = finished && !v.ioTodoIdleLocked;
      // irb = &private->irb: the status tested stays there for the memcpy (the fixed design's queue entry is io_todo's own)
      c.ioTodoIrb = 'tested';
    }),
    // the io_todo thread's last step: `if (cp_is_finished) private->state = IDLE` (the target), over whatever state the FSM reached since its test
    [IO_TODO_IDLE]: kfn((c, _e, _fx, { state }) => {
      // the test saw CP_PENDING and freed that program: CP_PENDING without a program is still it, IDLE is stored again
      if (c.cpIsFinished && state !== 'IDLE' && (state !== 'CP_PENDING' || c.cp)) c.flags |= CCW_FLAG.IO_TODO_IDLE_OVERWRITES;
      c.cpIsFinished = false;
    }),
    // vfio_ccw_drv.c vfio_ccw_sch_event: cio_update_schib failed: the subchannel is gone, with whatever function it had pending
    vfio_ccw_sch_event: kfn((c, e, fx) => {
      if (e.schib !== 'gone') return;
      c.busy = false;
      c.startOwn = false;
      c.fnOwn = false;
      fx.raise({ type: fsmEvent('NOT_OPER') });
    }, schGone),
    // vfio_ccw_async.c vfio_ccw_async_region_write: mutex_trylock, ASYNC_REQ
    vfio_ccw_async_region_write: kfn((c, e, fx) => {
      if (!v.asyncUnlocked && !ioMutexFree(c)) return void (c.asyncRet = '-EAGAIN');
      fx.raise({ type: fsmEvent('ASYNC_REQ'), cmd: e.cmd!, cc: e.cc! });
    }, asyncEntryMeaning),
    // vfio_ccw_ops.c vfio_ccw_mdev_create
    vfio_ccw_mdev_create: kfn((c) => void (c.mdev = true)),
    // vfio_ccw_ops.c vfio_ccw_mdev_remove: quiesce unless NOT_OPER/STANDBY, cp_free, mdev = NULL
    vfio_ccw_mdev_remove: kfn((c, _e, _fx, { state }) => {
      if (v.lifecycle === 'mdev' && state !== 'NOT_OPER' && state !== 'STANDBY') quiesce(c, v, state);
      cpFree(c, -1);
      c.mdev = false;
    }),
    // Morel v3 vfio_ccw_mdev_open: enable the subchannel
    vfio_ccw_mdev_open: kfn((c, e) => {
      if (e.enable === 'ok') c.ena = true;
    }),
    // Morel v3 vfio_ccw_mdev_release: quiesce, cp_free
    vfio_ccw_mdev_release: kfn((c, _e, _fx, { state }) => {
      quiesce(c, v, state);
      cpFree(c, -1);
    }),
    // vfio_ccw_ops.c vfio_ccw_mdev_open_device: OPEN, then the NOT_OPER check
    vfio_ccw_mdev_open_device: kfn((c, e, fx) => {
      c.mdev = true;
      fx.raise({ type: fsmEvent('OPEN'), enable: e.enable! });
    }, openDeviceFired),
    open_device_ret: kfn((c) => void (c.mdev = false), openDeviceRefused),
    // vfio_ccw_ops.c vfio_ccw_mdev_close_device: CLOSE
    vfio_ccw_mdev_close_device: kfn((c, _e, fx) => {
      c.mdev = false;
      fx.raise({ type: fsmEvent('CLOSE') });
    }),
    // vfio_ccw_drv.c vfio_ccw_notoper_todo: cp_free under io_mutex
    vfio_ccw_notoper_todo: kfn((c) => {
      cpFree(c, -1);
      c.notoperWork = false;
    }),
    // vfio_ccw_ops.c vfio_ccw_mdev_reset (VFIO_DEVICE_RESET, no io_mutex): CLOSE, OPEN; -EINVAL if NOT_OPER after.
    // OPEN waits for CLOSE to return, with the NOT_OPER event fsm_close fires inside it: raised
    // events queue, so the OPEN is raised by a second internal event queued behind that NOT_OPER
    vfio_ccw_mdev_reset: kfn((_c, e, fx) => {
      fx.raise({ type: fsmEvent('CLOSE') });
      fx.raise({ type: 'vfio_ccw_mdev_reset_open', enable: e.enable! });
    }),
    vfio_ccw_mdev_reset_open: kfn((_c, e, fx) => void fx.raise({ type: fsmEvent('OPEN'), enable: e.enable!, from: 'reset' })),
  };

  type G = { context: Ctx; event: CcwEvent };
  const guards = {
    // the writer thread is outside write(); a blocking io_mutex makes it wait
    writer_can_enter: ({ context: c, event: e }: G) => c.mdev && c.writers[e.w!] === 'none' && !(v.ioMutex === 'blocking' && !ioMutexFree(c)),
    writer_copied: ({ context: c, event: e }: G) => c.writers[e.w!] === 'copied',
    // the writer is inside fsm_io_request; ssch can only give cc0 on an enabled, idle subchannel
    writer_in_request: ({ context: c, event: e }: G) =>
      c.writers[e.w!] === 'request' && (e.result !== 'cc0' || (c.ena && !c.busy)),
    ssch_started: ({ context: c, event: e }: G) => e.result === 'cc0' && !(v.cpInitialized && !c.cp),
    // vfio_ccw_ops.c: `if (region->ret_code != 0) private->state = VFIO_CCW_STATE_IDLE`
    ret_code_resets_idle: ({ context: c, event: e }: G) => c.writers[e.w!] === 'copied' && v.resetIdleOnError && c.ret !== 'count',
    // cp_init finds cp->initialized set (v5.14+): -EBUSY, err_out
    cp_init_busy: ({ context: c }: G) => v.cpInitialized && c.cp,
    // fsm_io_request refuses the request before cp_init builds anything (transport mode, halt/clear, a chain too long), or after it (planted tmAfterCpInit)
    request_refused: ({ event: e }: G) => e.orb === 'tm' || e.orb === 'halt' || (e.orb === 'long' && !v.chainLenUnchecked),
    // the hardware presents final and intermediate status only for a pending function, unsolicited status otherwise;
    // irbQueue designs: at most two IRBs queued (an exploration bound)
    irb_possible: ({ context: c, event: e }: G) => (e.irb === 'unsolicited' ? !c.busy : c.busy) && (!v.irbQueue || c.irb === 'none' || c.irbNext === 'none') && (!b.oneIrb || c.irb === 'none'),
    io_work_queued: ({ context: c }: G) => c.irb !== 'none',
    // the io_todo thread's local, kept from its CP_PENDING test
    cp_is_finished: ({ context: c }: G) => !!c.cpIsFinished,
    enable_ok: ({ event: e }: G) => e.enable === 'ok',
    schib_gone: ({ event: e }: G) => e.schib === 'gone',
    sch_enabled: ({ context: c }: G) => c.ena,
    mdev_free: ({ context: c }: G) => !c.mdev,
    mdev_held: ({ context: c }: G) => c.mdev,
    mdev_held_no_writer: ({ context: c }: G) => c.mdev && idle(c),
    notoper_work_runnable: ({ context: c }: G) => c.notoperWork && ioMutexFree(c),
    // an orderly userspace (bounds.orderly) closes or resets with nothing in progress and halts or clears only its running program
    close_bound: ({ context: c }: G) => !b.orderly || (idle(c) && c.irb === 'none'),
    async_bound: ({ context: c, event: e }: G) => !b.orderly || (c.busy && c.startOwn) || e.cc !== 0,
    // bounds.schibGone 'idle': the subchannel is found gone only while no write() is in progress
    sch_event_bound: ({ context: c }: G) => b.schibGone !== 'idle' || idle(c),
  };

  const tableCell = (h: Handler, s: StateName) => {
    const m = { meta: by('kernel') };
    switch (h) {
      case 'fsm_notoper':
        return { target: 'NOT_OPER', actions: h, ...m };
      case 'fsm_io_error':
      case 'fsm_async_error':
        return { actions: { type: h, params: { state: s } }, ...m };
      case 'fsm_io_request':
        return [
          { guard: 'request_refused', target: v.errOutIdle ? 'IDLE' : v.requestState, actions: h, ...m },
          { guard: 'cp_init_busy', target: v.errOutIdle ? 'IDLE' : v.requestState, actions: h, ...m },
          { target: v.requestState, actions: h, ...m },
        ];
      case 'fsm_open':
        return [{ guard: 'enable_ok', target: 'IDLE', actions: h, ...m }, { actions: h, ...m }];
      case 'fsm_irq':
        // with io_todo as a thread, the memcpy also lands on the IRB io_todo tested and has not copied yet
        return { actions: threads.some((t) => t.name === 'io_todo') ? [h, 'fsm_irq_overwrites_io_todo_irb'] : h, ...m };
      case 'fsm_close':
        return [
          { guard: 'sch_enabled', target: 'STANDBY', actions: { type: h, params: { state: s } }, ...m },
          { actions: { type: h, params: { state: s } }, ...m },
        ];
      default:
        return { actions: h, ...m };
    }
  };

  const stateNode = (s: StateName) => {
    const on: Record<string, unknown> = {};
    const row = v.jumptable[s] ?? {};
    for (const e of v.events) {
      const h = row[e];
      if (!h) throw new Error(`jump table of ${s} has no handler for ${e}`);
      on[fsmEvent(e)] = tableCell(h, s);
    }
    const u = by('userspace');
    const k = by('kernel');
    const hw = by('hardware');
    on.vfio_ccw_mdev_write = { guard: 'writer_can_enter', actions: { type: 'vfio_ccw_mdev_write', params: { state: s } }, meta: u };
    on.copy_from_user = { guard: 'writer_copied', actions: 'copy_from_user', meta: u };
    on.io_region_ret_code = [
      { guard: 'ret_code_resets_idle', target: 'IDLE', actions: 'io_region_ret_code', meta: k },
      { guard: 'writer_copied', actions: 'io_region_ret_code', meta: k },
    ];
    const keep = v.keepNotOper && s === 'NOT_OPER';
    on.fsm_io_helper = [
      { guard: and(['writer_in_request', 'ssch_started'] as never), ...(keep ? {} : { target: v.pendingState }), actions: 'fsm_io_helper', meta: hw },
      { guard: 'writer_in_request', ...(v.errOutIdle && !keep ? { target: 'IDLE' } : {}), actions: 'fsm_io_helper', meta: hw },
    ];
    on.vfio_ccw_sch_irq = { guard: 'irb_possible', actions: 'vfio_ccw_sch_irq', meta: hw };
    // vfio_ccw_sch_io_todo sets IDLE when the program finished and (to v5.19) an mdev exists
    const finishes = v.ioTodo === 'is_final' ? true : s === 'CP_PENDING';
    const mdevCheck = v.ioTodoNeedsMdev ? ['mdev_held'] : [];
    const toIdle = !finishes
      ? undefined
      : v.ioTodo === 'is_final'
        ? and(['io_work_queued', ...mdevCheck] as never)
        : and(['io_work_queued', 'io_irb_final', ...mdevCheck] as never);
    const isFinalIdle = v.ioTodo === 'is_final' ? and(['io_work_queued', 'io_irb_is_final', ...mdevCheck] as never) : toIdle;
    on.vfio_ccw_sch_io_todo = [
      ...(toIdle ? [{ guard: isFinalIdle, target: 'IDLE', actions: { type: 'vfio_ccw_sch_io_todo', params: { state: s } }, meta: k }] : []),
      { guard: 'io_work_queued', actions: { type: 'vfio_ccw_sch_io_todo', params: { state: s } }, meta: k },
    ];
    if (threads.some((t) => t.name === 'io_todo')) {
      on[IO_TODO_TEST] = [
        ...(toIdle && v.ioTodoIdleLocked ? [{ guard: isFinalIdle, target: 'IDLE', actions: { type: IO_TODO_TEST, params: { state: s } }, meta: k }] : []),
        { guard: 'io_work_queued', actions: { type: IO_TODO_TEST, params: { state: s } }, meta: k },
      ];
      on[IO_TODO_IDLE] = [
        { guard: 'cp_is_finished', target: 'IDLE', actions: { type: IO_TODO_IDLE, params: { state: s } }, meta: k },
        { actions: { type: IO_TODO_IDLE, params: { state: s } }, meta: k },
      ];
    }
    on.vfio_ccw_sch_event = [
      { guard: b.schibGone === 'idle' ? and(['schib_gone', 'sch_event_bound'] as never) : 'schib_gone', actions: { type: 'vfio_ccw_sch_event', params: { state: s } }, meta: k },
      ...(v.schEventRevives && s === 'NOT_OPER'
        ? [
            { guard: 'mdev_held', target: 'IDLE', actions: 'vfio_ccw_sch_event', meta: k },
            { target: 'STANDBY', actions: 'vfio_ccw_sch_event', meta: k },
          ]
        : []),
    ];
    if (v.events.includes('ASYNC_REQ')) on.vfio_ccw_async_region_write = { guard: b.orderly ? and(['mdev_held', 'async_bound'] as never) : 'mdev_held', actions: 'vfio_ccw_async_region_write', meta: u };
    if (v.lifecycle === 'mdev') {
      if (s !== 'NOT_OPER') on.vfio_ccw_mdev_create = { guard: 'mdev_free', target: 'IDLE', actions: 'vfio_ccw_mdev_create', meta: u };
      on.vfio_ccw_mdev_remove = {
        guard: 'mdev_held_no_writer',
        ...(s === 'NOT_OPER' ? {} : { target: 'STANDBY' }),
        actions: { type: 'vfio_ccw_mdev_remove', params: { state: s } },
        meta: u,
      };
    }
    if (v.lifecycle === 'morel') {
      if (s === 'NOT_OPER') on.vfio_ccw_mdev_create = { guard: 'mdev_free', target: 'STANDBY', actions: 'vfio_ccw_mdev_create', meta: u };
      if (s === 'NOT_OPER' || s === 'STANDBY')
        on.vfio_ccw_mdev_remove = { guard: 'mdev_held_no_writer', target: 'NOT_OPER', actions: { type: 'vfio_ccw_mdev_remove', params: { state: s } }, meta: u };
      if (s === 'STANDBY')
        on.vfio_ccw_mdev_open = [
          { guard: and(['mdev_held', 'enable_ok'] as never), target: 'IDLE', actions: 'vfio_ccw_mdev_open', meta: u },
          { guard: 'mdev_held', target: 'NOT_OPER', actions: 'vfio_ccw_mdev_open', meta: u },
        ];
      if (s !== 'NOT_OPER' && s !== 'STANDBY')
        on.vfio_ccw_mdev_release = { guard: 'mdev_held_no_writer', target: 'STANDBY', actions: { type: 'vfio_ccw_mdev_release', params: { state: s } }, meta: u };
    }
    if (v.lifecycle === 'open_close') {
      if (s !== 'NOT_OPER') on.vfio_ccw_mdev_open_device = { guard: 'mdev_free', actions: 'vfio_ccw_mdev_open_device', meta: u };
      // raised after a failed fsm_open, which always ends in NOT_OPER
      if (s === 'NOT_OPER') on.open_device_ret = { actions: 'open_device_ret', meta: k };
      // close_device runs when the last fd is released: no ioctl (a reset thread) is inside the device; bounds.keepsOpen: never
      if (!b.keepsOpen) on.vfio_ccw_mdev_close_device = {
        guard: threads.some((t) => t.name === 'reset') ? and(['mdev_held_no_writer', stateIn('#' + idleId('reset'))] as never) : b.orderly ? and(['mdev_held_no_writer', 'close_bound'] as never) : 'mdev_held_no_writer',
        actions: 'vfio_ccw_mdev_close_device',
        meta: u,
      };
    }
    if (v.notoper === 'notoper_work') on.vfio_ccw_notoper_todo = { guard: 'notoper_work_runnable', actions: 'vfio_ccw_notoper_todo', meta: k };
    if (v.reset && !threads.length) on.vfio_ccw_mdev_reset_open = { actions: 'vfio_ccw_mdev_reset_open', meta: k };
    if (v.reset && !threads.length)
      on.vfio_ccw_mdev_reset = { guard: b.orderly ? and(['mdev_held', 'close_bound'] as never) : v.resetLocked ? 'mdev_held_no_writer' : 'mdev_held', actions: 'vfio_ccw_mdev_reset', meta: u };
    return { on };
  };

  // the queued IRB ends the program: final status (or, planted, intermediate status too); to v5.1 any non-intermediate one
  const ends = (c: Ctx) => c.irb === 'final' || (c.irb === 'intermediate' && v.ioTodoChecksFinal === false);
  const allGuards = {
    ...guards,
    io_irb_final: ({ context: c }: G) => ends(c) && (!v.irbIdentity || c.irbOwn),
    io_irb_is_final: ({ context: c }: G) => c.irb !== 'intermediate' || v.ioTodoChecksFinal === false,
    // planted (sschWaitsIdle): fsm_io_request waits until no function is pending before ssch
    ...(v.sschWaitsIdle ? { writer_in_request: (x: G) => guards.writer_in_request(x) && !x.context.busy } : {}),
  };
  const states = Object.fromEntries(v.states.map((s) => [s, stateNode(s)]));
  // a fine-grained configuration: the FSM is one region (`fsm`), each thread another
  const world = threadWorld(threads);
  const config = threads.length
    ? {
        id: 'vfio_ccw_private',
        type: 'parallel',
        context: initialContext(v, b),
        states: { fsm: { initial: v.initial, states }, ...Object.fromEntries(threads.map((t) => [t.name, threadRegion(t, world)])) },
      }
    : {
        id: 'vfio_ccw_private',
        initial: v.initial,
        context: initialContext(v, b),
        states,
      };
  return setup({ actions: actions as never, guards: allGuards as never }).createMachine(config as never) as unknown as AnyStateMachine;
}
