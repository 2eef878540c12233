// Ghost checks of the vfio-ccw machine (issue 13/14): what the documentation says a step's
// result means, compared after the step by the action wrapper (kfn's `post`). They read and
// set only `flags` (what the step found), so the state space does not grow; they are the
// properties' observers, not kernel code, and this file is not mutated (src/mutate/scope.ts
// mutates *.machine.ts). Pinned to Documentation/arch/s390/vfio-ccw.rst and
// drivers/s390/cio/vfio_ccw_{fsm,ops}.c of v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
import { CCW_FAULT, CCW_FLAG, fsmEvent, io_mutex, type CcwContext, type CcwEvent, type CcwVersion, type StateName } from './vfio_ccw_private.machine.ts';
import { lockFree } from '../kthread.ts';

/** private->io_mutex is held, by a coarse writer or by a thread (worked out here, apart from the machine's ioMutexFree). */
const ioMutexHeld = (c: CcwContext): boolean => c.mutex !== -1 || !lockFree(c, io_mutex);

/** The ghost bits of CCW_FLAG (machine.ts re-exports them there). */
export const GHOST_FLAG = {
  /** an FSM handler stored this access's io_region->ret_code (set by storeRet, consumed by the write's return in the same step) */
  RET_STORED: 4096,
  /** write() returned a ret_code no handler stored for this access (the bytes userspace copied in, or an older access's code) */
  RET_NOT_STORED: 8192,
  /** the cmd region's ret_code does not say what HSCH/CSCH's condition code said, or a function was (not) started against it */
  ASYNC_CC: 16384,
  /** an FSM handler of VFIO_CCW_EVENT_ASYNC_REQ stored this access's cmd_region->ret_code (set by storeAsyncRet, consumed by the handler's own check) */
  ASYNC_STORED: 32768,
  /** an access entered the I/O or cmd region while io_mutex was held (vfio_ccw_mdev_write_io_region / vfio_ccw_async_region_write: mutex_trylock fails, -EAGAIN) */
  IO_MUTEX_ENTERED: 65536,
  /** the cmd region's write passed its trylock: an ASYNC_REQ handler must store its code in this step (consumed by asyncRetMeaning) */
  ASYNC_ENTERED: 131072,
  /** vfio_ccw_sch_event found the subchannel gone outside NOT_OPER: VFIO_CCW_EVENT_NOT_OPER's fsm_notoper must run in this step (consumed there) */
  SCH_GONE: 262144,
  /** the subchannel is gone (cio_update_schib failed) but a function is still pending at it */
  GONE_STILL_BUSY: 524288,
  /** vfio_ccw_mdev_open_device fired OPEN: fsm_open's success or the -EINVAL return must follow in this step (consumed there) */
  OPEN_DEVICE: 1048576,
  /** fsm_open: cio_enable_subchannel succeeded but the subchannel is not enabled, or the -EINVAL return of open_device ran for an OPEN open_device did not fire */
  OPEN_MISMATCH: 2097152,
  /** vfio_ccw_sch_quiesce left the subchannel enabled, a function pending, or (busy) io_work unflushed, or flushed an idle one's */
  QUIESCE: 4194304,
  /** fsm_irq: the status just presented is not the last one queued for io_work (it is dropped, or queued with another program's ownership) */
  IRB_NOT_QUEUED: 8388608,
  /** fsm_disabled_irq ("we try to disable again") left the subchannel enabled */
  DISABLED_IRQ_ENABLED: 16777216,
  /** -EOPNOTSUPP from fsm_io_request other than for a transport-mode ORB or a halt/clear function, or such a request not refused with it, or refused with a program built or a function started */
  IO_EOPNOTSUPP: 33554432,
  /** -ENODEV from the io_region other than for SSCH cc 3 on the last channel path, or that cc 3 not answered with it, or answered with a program kept or a function started */
  IO_ENODEV: 67108864,
  /** -EINVAL from fsm_io_request other than for a chain longer than CCWCHAIN_LEN_MAX, or such a chain not refused with it (or -EBUSY), or refused with a program built or a function started */
  IO_EINVAL: 134217728,
} as const;

/**
 * io_region->ret_code = code, by an FSM handler of VFIO_CCW_EVENT_IO_REQ or by fsm_io_request's
 * tail (vfio_ccw_fsm.c fsm_io_error, fsm_io_busy, fsm_io_retry, fsm_io_request): the region's
 * ret_code holds what copy_from_user copied from userspace until one of them stores it.
 */
export function storeRet(c: CcwContext, code: string): void {
  c.ret = code;
  c.flags |= GHOST_FLAG.RET_STORED;
}

/**
 * vfio_ccw_ops.c vfio_ccw_mdev_write_io_region: `ret = (region->ret_code != 0) ? region->ret_code : count`
 * after vfio_ccw_fsm_event(IO_REQ): vfio-ccw.rst "ret_code stores a return code for each access
 * of the region": the code returned must have been stored during this access; "0 The operation
 * was successful": a byte count only when this access started its channel program.
 */
export function retReachesUser(c: CcwContext): void {
  if ((c.flags & GHOST_FLAG.RET_STORED) === 0) c.flags |= GHOST_FLAG.RET_NOT_STORED;
  c.flags &= ~GHOST_FLAG.RET_STORED;
  if (c.ret === 'count' && !(c.busy && c.startOwn)) c.flags |= CCW_FLAG.SUCCESS;
}

/**
 * vfio_ccw_fsm.c fsm_async_request -> fsm_do_halt / fsm_do_clear, against vfio-ccw.rst "vfio-ccw
 * cmd region": "0 The operation was successful" (HSCH/CSCH cc 0: the halt or clear function is
 * pending, and its final status ends the channel program it was issued on), "-ENODEV The device
 * was not operational" (cc 3), "-EBUSY The subchannel was status pending or busy while processing
 * a halt request" (HSCH cc 1 or 2); no other condition code starts a function.
 */
export function asyncRetIsConditionCode(c: CcwContext, before: CcwContext, e: CcwEvent, state: StateName): void {
  asyncRetMeaning(c, before, e, state);
  const cc = e.cc!;
  const ok = c.asyncRet === 'count' ? cc === 0 : c.asyncRet === '-ENODEV' ? cc === 3 : c.asyncRet === '-EBUSY' ? e.cmd === 'HSCH' && (cc === 1 || cc === 2) : cc !== 0 && cc !== 3 && !(e.cmd === 'HSCH' && cc < 3);
  const started = cc === 0 ? c.busy && c.fnOwn === before.cp : c.busy === before.busy && c.fnOwn === before.fnOwn;
  if (!ok || !started) c.flags |= CCW_FLAG.ASYNC_CC;
}

/** The states in which vfio-ccw.rst's "-EIO ... not in a state ready to accept requests" holds. */
export const notReady = (state: StateName): boolean => state === 'NOT_OPER' || state === 'STANDBY';

/** Another writer is inside fsm_io_request ("a request was being processed"). */
export const otherInRequest = (c: CcwContext, w: number | undefined): boolean => c.writers.some((p, u) => p === 'request' && u !== w);

/**
 * "-EBUSY: The subchannel was status pending or busy, or a request is already active": a function
 * pending, status the driver holds for userspace (an IRB queued), or another request in processing.
 */
export const busyCause = (c: CcwContext, w: number | undefined): boolean => c.busy || c.irb !== 'none' || otherInRequest(c, w);

/**
 * The documented meaning of the io_region code an IO_REQ handler (fsm_io_error, fsm_io_busy,
 * fsm_io_retry, fsm_io_request's cp_init) stored in this step, in the state the handler ran in
 * (vfio-ccw.rst "-EIO ... not in a state ready to accept requests", "-EBUSY The subchannel was
 * status pending or busy, or a request is already active", "-EAGAIN A request was being processed").
 */
export function ioRetMeaning(c: CcwContext, _before: CcwContext, e: CcwEvent, state: StateName): void {
  if ((c.flags & GHOST_FLAG.RET_STORED) === 0) return;
  if (c.ret === '-EIO' && !notReady(state)) c.flags |= CCW_FLAG.EIO;
  if (c.ret === '-EBUSY' && !busyCause(c, e.w)) c.flags |= CCW_FLAG.EBUSY;
  if (c.ret === '-EAGAIN' && !otherInRequest(c, e.w)) c.flags |= CCW_FLAG.EAGAIN;
}

/**
 * After fsm_io_request (VFIO_CCW_EVENT_IO_REQ in IDLE), against vfio-ccw.rst's I/O region codes
 * whose inputs the `errors` configuration enumerates (the request's ORB and SCSW, `e.orb`):
 * "-EOPNOTSUPP The orb specified transport mode or an unidentified IDAW format, or the scsw
 * specified a function other than the start function" and "-EINVAL The orb specified a chain
 * longer than 255 ccws, or an internal error occurred" (the internal error, cp_prefetch's, is
 * fsm_io_helper's): each code exactly for its request, and a refused request leaves no channel
 * program built and no function started (the writer is not inside fsm_io_request). v6.17-rc4
 * converts format-0 CCWs and only warns about a missing prefetch bit (cp_init), and translates
 * format-1 IDALs since 2022: no IDAW format is refused, so the document's "unidentified IDAW
 * format" has no input here. A long chain on a program still initialised gets cp_init's -EBUSY
 * first (IoEbusyMeansBusy judges that one).
 */
export function ioRequestMeaning(c: CcwContext, before: CcwContext, e: CcwEvent, state: StateName): void {
  const stored = (c.flags & GHOST_FLAG.RET_STORED) !== 0;
  ioRetMeaning(c, before, e, state);
  const code = stored ? c.ret : undefined;
  const unsupported = e.orb === 'tm' || e.orb === 'halt';
  const refusedClean = c.cp === before.cp && c.busy === before.busy && c.writers[e.w!] !== 'request';
  if ((code === '-EOPNOTSUPP') !== unsupported || (unsupported && !refusedClean)) c.flags |= GHOST_FLAG.IO_EOPNOTSUPP;
  const long = e.orb === 'long';
  if (long ? !((code === '-EINVAL' && refusedClean) || code === '-EBUSY') : code === '-EINVAL') c.flags |= GHOST_FLAG.IO_EINVAL;
  if (code === '-ENODEV') c.flags |= GHOST_FLAG.IO_ENODEV;
}

/**
 * After fsm_io_request's tail (cp_prefetch, fsm_io_helper's SSCH, err_out), against vfio-ccw.rst
 * "-ENODEV The device was found to be not operational" and fsm_io_helper's `case 3:` ("Device/path
 * not operational": the ORB's paths masked off sch->lpm, `ret = sch->lpm ? -EACCES : -ENODEV`):
 * -ENODEV exactly for SSCH cc 3 on the last path (unless cp_prefetch failed first: -EINVAL), with
 * nothing started and the program freed.
 */
export function ioHelperMeaning(c: CcwContext, before: CcwContext, e: CcwEvent): void {
  const nopath = e.result === 'cc3-nopath';
  if (nopath ? !(c.ret === '-ENODEV' || c.ret === '-EINVAL') || c.busy !== before.busy || c.cp : c.ret === '-ENODEV') c.flags |= GHOST_FLAG.IO_ENODEV;
}

/** cmd_region->ret_code = code, by fsm_async_error, fsm_async_retry or fsm_async_request. */
export function storeAsyncRet(c: CcwContext, code: string): void {
  c.asyncRet = code;
  c.flags |= GHOST_FLAG.ASYNC_STORED;
}

/**
 * After an ASYNC_REQ handler (vfio_ccw_async.c vfio_ccw_async_region_write returns
 * `region->ret_code ? region->ret_code : count` once vfio_ccw_fsm_event returns): a code of this
 * access was stored (vfio-ccw.rst: the io and cmd regions' ret_code hold the return code of each
 * access), and fsm_async_error's -EIO and fsm_async_retry's -EAGAIN mean what the document says.
 */
export function asyncRetMeaning(c: CcwContext, _before: CcwContext, _e: CcwEvent, state: StateName): void {
  if ((c.flags & GHOST_FLAG.ASYNC_STORED) === 0) c.flags |= GHOST_FLAG.RET_NOT_STORED;
  c.flags &= ~(GHOST_FLAG.ASYNC_STORED | GHOST_FLAG.ASYNC_ENTERED);
  if (c.asyncRet === '-EIO' && !notReady(state)) c.flags |= CCW_FLAG.ASYNC;
  if (c.asyncRet === '-EAGAIN' && !otherInRequest(c, undefined)) c.flags |= CCW_FLAG.ASYNC;
}

/** A kernel helper of the machine with the lifetime trackers' findings computed first, on the context it is called with. */
export function withFindings<A extends unknown[]>(findings: (...a: A) => void, fn: (...a: A) => void, post?: (before: CcwContext, ...a: A) => void): (...a: A) => void {
  return (...a: A) => {
    findings(...a);
    const before = post ? { ...(a[0] as CcwContext) } : undefined;
    fn(...a);
    post?.(before!, ...a);
  };
}

/**
 * vfio_ccw_drv.c vfio_ccw_sch_quiesce (v6.17-rc4): cio_disable_subchannel; only on -EBUSY (a function pending)
 * cio_cancel_halt_clear, wait_for_completion_timeout for its interruption, flush_workqueue(vfio_ccw_work_q), disable
 * again: afterwards the subchannel is disabled with nothing pending, io_work has copied every queued IRB if it was busy,
 * and an idle subchannel's queued work was left alone.
 */
export function quiesced(before: CcwContext, c: CcwContext): void {
  if (!before.ena) return;
  const irbs = (x: CcwContext) => `${x.irb}/${x.irbNext}`;
  const flushed = before.busy ? c.irb === 'none' && c.irbNext === 'none' && !c.irbOwn && !c.irbNextOwn : irbs(c) === irbs(before) && c.irbOwn === before.irbOwn && c.irbNextOwn === before.irbNextOwn;
  if (c.ena || c.busy || c.startOwn || c.fnOwn || !flushed) c.flags |= GHOST_FLAG.QUIESCE;
}

/**
 * cp_free's trackers: a program freed while another writer is between cp_init and fsm_io_helper on it
 * (NoCpFreeWhileProcessing), or while its start function is still pending at the subchannel
 * (CpFreedOnlyWhenIoDone; after fsm_notoper the device is gone and nothing it had pending runs).
 */
export function cpFreeFindings(c: CcwContext, by: number): void {
  if (c.cp && c.writers.some((p, u) => p === 'request' && u !== by)) c.faults |= CCW_FAULT.CP_FREE_WHILE_PROCESSING;
  if (c.cp && c.busy && c.startOwn && !c.dead) c.flags |= CCW_FLAG.CP_FREE_WHILE_IO;
}

/**
 * vfio_ccw_sch_quiesce of a busy subchannel: the cancel/halt/clear's interruption lands in the single
 * private->irb before flush_workqueue, over one still queued (EveryIrbReachesRegion), and io_todo then
 * ends the current program on that final status, as io_todo decides, whether or not the pending
 * function was the program's (IrbEndsOnlyItsOwnProgram).
 */
export function quiesceFindings(c: CcwContext, v: CcwVersion, state: StateName): void {
  if (!c.ena || !c.busy) return;
  if (c.irb !== 'none' && !v.irbQueue) c.flags |= CCW_FLAG.IRB_LOST;
  const ends = (v.ioTodo === 'is_final' || state === 'CP_PENDING') && (!v.irbIdentity || c.fnOwn);
  if (ends && c.cp && !c.fnOwn) c.flags |= CCW_FLAG.STALE_IRB_ENDS_CP;
}

/** fsm_notoper reached by OPEN or CLOSE: a table cell of an event that cannot happen there (OpenCloseInOrder). */
export function openCloseOutOfOrder(c: CcwContext, _before: CcwContext, e: CcwEvent): void {
  if (e.type === fsmEvent('OPEN') || e.type === fsmEvent('CLOSE')) c.flags |= CCW_FLAG.OPEN_CLOSE_OUT_OF_ORDER;
}

/**
 * The entry of write() on the I/O region (vfio_ccw_mdev_write_io_region: `if (!mutex_trylock(&private->io_mutex)) return -EAGAIN`):
 * vfio-ccw.rst "-EAGAIN A request was being processed, and the caller should retry": only while another access holds io_mutex.
 */
export function ioEntryMeaning(c: CcwContext, before: CcwContext, e: CcwEvent): void {
  if (c.ret === '-EAGAIN' && c.writers[e.w!] === 'none' && !ioMutexHeld(before)) c.flags |= CCW_FLAG.EAGAIN;
  // the converse: mutex_trylock fails while another access holds io_mutex, and write() returns before the FSM
  if (ioMutexHeld(before) && c.writers[e.w!] !== 'none') c.flags |= GHOST_FLAG.IO_MUTEX_ENTERED;
}

/**
 * The same for the cmd region's entry (vfio_ccw_async_region_write's mutex_trylock): -EAGAIN given in this step only while
 * io_mutex is held; while it is held the access returns -EAGAIN (its handler would store another code); once past it, an
 * ASYNC_REQ handler stores this access's code in the same step (RetCodePerAccess).
 */
export function asyncEntryMeaning(c: CcwContext, before: CcwContext): void {
  if (c.asyncRet === '-EAGAIN' && before.asyncRet !== '-EAGAIN' && !ioMutexHeld(before)) c.flags |= CCW_FLAG.ASYNC;
  if (ioMutexHeld(before) && c.asyncRet !== '-EAGAIN') c.flags |= GHOST_FLAG.IO_MUTEX_ENTERED;
  if (!ioMutexHeld(before)) c.flags |= GHOST_FLAG.ASYNC_ENTERED;
}

/**
 * vfio_ccw_drv.c vfio_ccw_sch_event: `if (cio_update_schib(sch)) { if (private) vfio_ccw_fsm_event(private, VFIO_CCW_EVENT_NOT_OPER); }`:
 * a subchannel found gone has nothing pending, and outside NOT_OPER (whose cell is fsm_nop) the event's fsm_notoper runs.
 */
export function schGone(c: CcwContext, _before: CcwContext, e: CcwEvent, state: StateName): void {
  if (e.schib !== 'gone') return;
  if (c.busy) c.flags |= GHOST_FLAG.GONE_STILL_BUSY;
  if (state !== 'NOT_OPER') c.flags |= GHOST_FLAG.SCH_GONE;
}

/** fsm_notoper: openCloseOutOfOrder, and the NOT_OPER event a gone subchannel fired has been handled. */
export function notoperHandled(c: CcwContext, before: CcwContext, e: CcwEvent): void {
  openCloseOutOfOrder(c, before, e);
  if (e.type === fsmEvent('NOT_OPER')) c.flags &= ~GHOST_FLAG.SCH_GONE;
}

/** vfio_ccw_mdev_open_device fires OPEN: either fsm_open enables the subchannel (IDLE) or open_device returns -EINVAL. */
export function openDeviceFired(c: CcwContext): void {
  c.flags |= GHOST_FLAG.OPEN_DEVICE;
}

/** fsm_open (vfio_ccw_fsm.c): `ret = cio_enable_subchannel(...); if (ret) goto err_unlock; private->state = VFIO_CCW_STATE_IDLE`: on success the subchannel is enabled and open_device returns 0. */
export function openEnabled(c: CcwContext, _before: CcwContext, e: CcwEvent): void {
  if (e.enable !== 'ok') return;
  if (!c.ena) c.flags |= GHOST_FLAG.OPEN_MISMATCH;
  c.flags &= ~GHOST_FLAG.OPEN_DEVICE;
}

/** vfio_ccw_mdev_open_device: `if (private->state == VFIO_CCW_STATE_NOT_OPER) { ret = -EINVAL; ... }`, only for its own OPEN (vfio_ccw_mdev_reset keeps the device open); the failed open leaves the device closed. */
export function openDeviceRefused(c: CcwContext, before: CcwContext): void {
  if ((before.flags & GHOST_FLAG.OPEN_DEVICE) === 0 || c.mdev) c.flags |= GHOST_FLAG.OPEN_MISMATCH;
  c.flags &= ~GHOST_FLAG.OPEN_DEVICE;
}

/** The IRBs queued for io_work, oldest first, each with whose I/O it reports. */
const irbQueue = (x: CcwContext): string[] =>
  [
    [x.irb, x.irbOwn],
    [x.irbNext, x.irbNextOwn],
  ]
    .filter(([k]) => k !== 'none')
    .map(([k, o]) => `${String(k)}/${String(o)}`);

/**
 * After fsm_irq (vfio_ccw_fsm.c: `memcpy(&private->irb, irb, sizeof(*irb)); queue_work(vfio_ccw_work_q, &private->io_work)`),
 * against vfio-ccw.rst K5 "Interrupt handler gets the I/O result and write the result to the I/O region": every IRB queued
 * before stays queued (else IRB_LOST, EveryIrbReachesRegion), and the status just presented, with whose I/O it reports
 * (the INTERRUPT's `own`), is the last one io_work will copy (else IRB_NOT_QUEUED, IrbQueuedAsPresented).
 */
export function irqQueued(c: CcwContext, before: CcwContext, e: CcwEvent): void {
  const was = irbQueue(before);
  const now = irbQueue(c);
  if (now.length !== was.length + 1 || was.some((x, i) => now[i] !== x)) c.flags |= CCW_FLAG.IRB_LOST;
  if (now[now.length - 1] !== `${String(e.irb)}/${String(!!e.own)}`) c.flags |= GHOST_FLAG.IRB_NOT_QUEUED;
}

/** After fsm_disabled_irq (vfio_ccw_fsm.c: "An interrupt in a disabled state means a previous disable was not successful - should not happen, but we try to disable again." cio_disable_subchannel): the subchannel is disabled. */
export function disabledAgain(c: CcwContext): void {
  if (c.ena) c.flags |= GHOST_FLAG.DISABLED_IRQ_ENABLED;
}
