// The kernel versions (and two unmerged designs) of the vfio-ccw FSM, each as a set of
// factory options for createVfioCcwMachine, plus planted bugs on the fixed design, with what
// the checker must find in each configuration. Jump tables as read in the kernel sources
// named in README.md.
import type { VariantInfo } from '../../src/spec.ts';
import type { CcwKernel } from '../../src/sut/vfio_ccw.ts';
import { swapStatements } from '../kthread.ts';
import { asyncRet, type CcwVersion, type JumpTable } from './vfio_ccw_private.machine.ts';

// vfio_ccw_fsm.c vfio_ccw_jumptable, v4.19 (realme tree = mainline v4.19)
const TABLE_V4_19: JumpTable = {
  NOT_OPER: { NOT_OPER: 'fsm_nop', IO_REQ: 'fsm_io_error', INTERRUPT: 'fsm_disabled_irq' },
  STANDBY: { NOT_OPER: 'fsm_notoper', IO_REQ: 'fsm_io_error', INTERRUPT: 'fsm_irq' },
  IDLE: { NOT_OPER: 'fsm_notoper', IO_REQ: 'fsm_io_request', INTERRUPT: 'fsm_irq' },
  BOXED: { NOT_OPER: 'fsm_notoper', IO_REQ: 'fsm_io_busy', INTERRUPT: 'fsm_irq' },
  BUSY: { NOT_OPER: 'fsm_notoper', IO_REQ: 'fsm_io_busy', INTERRUPT: 'fsm_irq' },
};

// v5.0: 1554509b0d00 "vfio: ccw: Merge BUSY and BOXED states" removed the BOXED row
const { BOXED: _boxed, ...TABLE_V5_0 } = TABLE_V4_19;

// v5.2 to v5.19 (vzkernel = mainline v5.3-v5.13 table, unchanged to v5.19)
const TABLE_V5_2: JumpTable = {
  NOT_OPER: { NOT_OPER: 'fsm_nop', IO_REQ: 'fsm_io_error', ASYNC_REQ: 'fsm_async_error', INTERRUPT: 'fsm_disabled_irq' },
  STANDBY: { NOT_OPER: 'fsm_notoper', IO_REQ: 'fsm_io_error', ASYNC_REQ: 'fsm_async_error', INTERRUPT: 'fsm_irq' },
  IDLE: { NOT_OPER: 'fsm_notoper', IO_REQ: 'fsm_io_request', ASYNC_REQ: 'fsm_async_request', INTERRUPT: 'fsm_irq' },
  CP_PROCESSING: { NOT_OPER: 'fsm_notoper', IO_REQ: 'fsm_io_retry', ASYNC_REQ: 'fsm_async_retry', INTERRUPT: 'fsm_irq' },
  CP_PENDING: { NOT_OPER: 'fsm_notoper', IO_REQ: 'fsm_io_busy', ASYNC_REQ: 'fsm_async_request', INTERRUPT: 'fsm_irq' },
};

// v6.0+ (torvalds blob 008a011d, identical in the 2026 stable backport c9b85aa2)
const TABLE_V6: JumpTable = {
  NOT_OPER: { ...TABLE_V5_2.NOT_OPER, OPEN: 'fsm_nop', CLOSE: 'fsm_nop' },
  STANDBY: { ...TABLE_V5_2.STANDBY, INTERRUPT: 'fsm_disabled_irq', OPEN: 'fsm_open', CLOSE: 'fsm_notoper' },
  IDLE: { ...TABLE_V5_2.IDLE, OPEN: 'fsm_notoper', CLOSE: 'fsm_close' },
  CP_PROCESSING: { ...TABLE_V5_2.CP_PROCESSING, OPEN: 'fsm_notoper', CLOSE: 'fsm_close' },
  CP_PENDING: { ...TABLE_V5_2.CP_PENDING, OPEN: 'fsm_notoper', CLOSE: 'fsm_close' },
};

const V4_19: CcwVersion = {
  states: ['NOT_OPER', 'STANDBY', 'IDLE', 'BOXED', 'BUSY'],
  events: ['NOT_OPER', 'IO_REQ', 'INTERRUPT'],
  jumptable: TABLE_V4_19,
  initial: 'STANDBY',
  enabledAtProbe: true,
  requestState: 'BOXED',
  pendingState: 'BUSY',
  precheckIdle: true,
  ioMutex: 'none',
  resetIdleOnError: true,
  errOutIdle: true,
  cpInitialized: false,
  ioTodo: 'is_final',
  ioTodoNeedsMdev: true,
  notoper: 'keep',
  lifecycle: 'mdev',
  schEventRevives: true,
};

const V5_0: CcwVersion = { ...V4_19, states: ['NOT_OPER', 'STANDBY', 'IDLE', 'BUSY'], jumptable: TABLE_V5_0, requestState: 'BUSY' };

const V5_2: CcwVersion = {
  ...V4_19,
  states: ['NOT_OPER', 'STANDBY', 'IDLE', 'CP_PROCESSING', 'CP_PENDING'],
  events: ['NOT_OPER', 'IO_REQ', 'ASYNC_REQ', 'INTERRUPT'],
  jumptable: TABLE_V5_2,
  requestState: 'CP_PROCESSING',
  pendingState: 'CP_PENDING',
  precheckIdle: false,
  ioMutex: 'trylock',
  errOutIdle: false,
  ioTodo: 'cp_pending',
};

const V5_14: CcwVersion = { ...V5_2, resetIdleOnError: false, errOutIdle: true, cpInitialized: true };

const V6_2: CcwVersion = {
  ...V5_14,
  events: ['NOT_OPER', 'IO_REQ', 'ASYNC_REQ', 'INTERRUPT', 'OPEN', 'CLOSE'],
  jumptable: TABLE_V6,
  enabledAtProbe: false,
  ioTodoNeedsMdev: false,
  notoper: 'cp_free',
  lifecycle: 'open_close',
  schEventRevives: false,
  reset: true,
};

const V6_NOTOPER_WORK: CcwVersion = { ...V6_2, notoper: 'notoper_work' };

// Morel v3 as its cover letter and patch 5/6 diagram describe it: the v4.19 table (the diagram
// keeps BOXED), the subchannel enabled at open and disabled at release, create/remove moving
// between NOT_OPER and STANDBY, no state change in sch_event, and serialised writes.
const MOREL_V3: CcwVersion = {
  ...V4_19,
  initial: 'NOT_OPER',
  enabledAtProbe: false,
  ioMutex: 'blocking',
  lifecycle: 'morel',
  schEventRevives: false,
};

export type CcwConfigId = 'one-writer' | 'ret' | 'irbs' | 'two-writers' | 'orderly' | 'orderly-hw' | 'reset-race' | 'io-todo-race' | 'irb-race' | 'errors';
const CONFIG_IDS: readonly CcwConfigId[] = ['one-writer', 'ret', 'irbs', 'two-writers', 'orderly', 'orderly-hw', 'reset-race', 'io-todo-race', 'irb-race', 'errors'];

export interface CcwVariant extends VariantInfo {
  version: CcwVersion;
  /** The transcription of this kernel in src/sut/vfio_ccw.ts (designs and planted bugs have none). */
  sut?: CcwKernel;
  /**
   * Expected violations per configuration; `expectedViolations` is their union. A variant exists
   * in the configurations it has an entry for (the kernels before VFIO_DEVICE_RESET have no
   * reset-race; a planted bug in the reset thread has only reset-race).
   */
  expected: Readonly<Partial<Record<CcwConfigId, readonly string[]>>>;
}

// What every kernel since the single private->irb (v4.18) and the late io_work has (README, findings):
// - a second interruption before io_work runs overwrites the first (EveryIrbReachesRegion); when the
//   lost one was the final status, the program never ends: the cp stays (NoCpWithoutIo) and writes get
//   -EBUSY with nothing busy (IoEbusyMeansBusy);
// - io_todo ends whatever program is current on a late final IRB of another function: a halt's final
//   status queued behind a new SSCH, or a program's final status queued across close/open (IrbEndsOnlyItsOwnProgram),
//   freeing a program whose I/O is running (CpFreedOnlyWhenIoDone).
const IRB = ['EveryIrbReachesRegion', 'NoCpWithoutIo'];
const STALE = ['IrbEndsOnlyItsOwnProgram', 'CpFreedOnlyWhenIoDone'];
/**
 * io-todo-race (io_todo and VFIO_DEVICE_RESET as threads): the reset race and the IRB findings as in
 * reset-race, plus io_todo's IDLE store over a state set after its unlocked CP_PENDING test
 * (IoTodoKeepsOtherStates): over a close's STANDBY, whose next OPEN lands on fsm_notoper (OpenCloseInOrder),
 * and over a new program's CP_PENDING, whose final status then finds IDLE and leaves the program
 * allocated (NoStaleCpInIdle, new to the kernels here) with every later write -EBUSY
 */
const IO_TODO_RACE = ['NoCpFreeWhileProcessing', 'NoStaleCpInIdle', 'IoEbusyMeansBusy', ...IRB, ...STALE, 'OpenCloseInOrder', 'IoTodoKeepsOtherStates', 'IrbCopiedAsTested'];
/**
 * irb-race (io_todo as a thread, the device kept open): a second interruption before io_work runs (finding 3: the final
 * status overwritten, the program kept, -EBUSY with nothing busy), and one between io_todo's test and its memcpy: the
 * region gets a status io_todo did not test (IrbCopiedAsTested; 9 steps: open, write, SSCH cc0, final, io_todo's test and
 * cp_free, unsolicited, mutex_lock, memcpy)
 */
const IRB_RACE = [...IRB, 'IoEbusyMeansBusy', 'IrbCopiedAsTested'];
// (IoSuccessMeansStarted: the program freed under the writer is issued from freed memory and write() reports success)
const v4 = ['NoStaleCpInIdle', 'NoCpLeak', 'NoCpFreeWhileProcessing', 'IoEaccesMeansPathsGone', 'IoSuccessMeansStarted', ...IRB, ...STALE];

function variant(v: Omit<CcwVariant, 'expectedViolations' | 'status' | 'configurations'>): CcwVariant {
  return { ...v, status: 'asserted', expectedViolations: [...new Set(Object.values(v.expected).flat())], configurations: CONFIG_IDS.filter((c) => v.expected[c]) };
}
/**
 * The same violations in the four coarse configurations (plus `extra` per configuration; reset-race only where `extra` names it);
 * `orderly` (no race of the findings can happen there) has exactly `extra.orderly`, nothing by default.
 */
const same = (names: readonly string[], extra: Partial<Record<CcwConfigId, readonly string[]>> = {}, ret?: readonly string[]): Partial<Record<CcwConfigId, readonly string[]>> => ({
  'one-writer': [...names, ...(extra['one-writer'] ?? [])],
  ret: ret ?? [...names, ...(extra.ret ?? [])],
  irbs: [...names, ...(extra.irbs ?? [])],
  'two-writers': [...names, ...(extra['two-writers'] ?? [])],
  orderly: extra.orderly ?? [],
  'orderly-hw': extra['orderly-hw'] ?? [],
  ...(extra['reset-race'] ? { 'reset-race': [...names, ...extra['reset-race']] } : {}),
  ...(extra['io-todo-race'] ? { 'io-todo-race': extra['io-todo-race'] } : {}),
  ...(extra['irb-race'] ? { 'irb-race': extra['irb-race'] } : {}),
  ...(extra.errors ? { errors: extra.errors } : {}),
});

/**
 * The fixed design: the 2026 notoper fix, IRBs queued instead of overwritten, io_todo ending only
 * its own program, VFIO_DEVICE_RESET under io_mutex, and NOT_OPER kept by a finishing fsm_io_request.
 */
const FIXED: CcwVersion = { ...V6_NOTOPER_WORK, irbQueue: true, irbIdentity: true, resetLocked: true, keepNotOper: true, ioTodoIdleLocked: true };
const FIXED_EXPECTED: string[] = [];

/** A planted bug on the fixed design: what it breaks, per configuration. */
// bug-idle-notoper-nop: vfio_ccw_sch_event in IDLE leaves the FSM there (orderly finds no subchannel gone)
const GONE = ['SubchannelGoneIsNotOper'];
// bug-standby-open-nop: open_device returns 0 in STANDBY; the close that follows meets CLOSE's fsm_notoper cell of STANDBY
const OPENED = ['OpenDeviceFailsOnlyNotOper', 'OpenCloseInOrder'];
// bug-async-no-trylock: HSCH/CSCH reach the FSM while a write() holds io_mutex
const UNLOCKED = ['IoMutexTrylockRefuses'];
// bug-quiesce-no-flush: the close of a busy subchannel leaves an IRB queued (the orderly configurations close only with nothing queued)
const UNFLUSHED = ['QuiesceLeavesNothing'];
// bug-irq-skips-queued (ret: final IRBs only): open, HSCH cc0, its final status (queued), HSCH cc0, final: the second is dropped
// (EveryIrbReachesRegion, 5 steps); with a write and SSCH cc0 instead of the second halt, the program's own final status is
// dropped behind the halt's (IrbQueuedAsPresented, 7): io_todo (the fixed design's identity check) ends nothing, the program
// stays (NoCpWithoutIo) and the next write gets -EBUSY with nothing busy (IoEbusyMeansBusy)
const SKIPPED = ['EveryIrbReachesRegion', 'IrbQueuedAsPresented', 'NoCpWithoutIo', 'IoEbusyMeansBusy'];
// bug-close-idle-no-disable (orderly): open, close: STANDBY with the subchannel enabled (2 steps)
const ENABLED = ['StandbyIsDisabled'];
// bug-ssch-waits-idle (ret): open, HSCH cc0 on the idle subchannel, write, copy_from_user: the writer waits for the halt's
// final status, which the hardware need not present (interruptions are not fair)
const WAITS = ['WriteReturns'];
// bug-io-todo-copies-solicited-only (orderly-hw, one interruption at a time): open, an unsolicited IRB: io_work runs and the
// status stays uncopied (2 steps, then for ever)
const UNCOPIED = ['IrbCopiedToRegion'];
// bug-tm-after-cp-init (errors): open, a transport-mode write: -EOPNOTSUPP with the program built and kept in IDLE (3 steps),
// a program with no I/O (NoStaleCpInIdle, NoCpWithoutIo); the next write's cp_init then answers -EBUSY with nothing busy (5)
const TM_KEPT = ['IoEopnotsuppMeansUnsupported', 'NoStaleCpInIdle', 'NoCpWithoutIo', 'IoEbusyMeansBusy'];
// bug-ssch-cc3-as-halt (errors): open, a write, SSCH cc 3 with a path left: -ENODEV
const CC3_ENODEV = ['IoEnodevMeansNotOperational'];
// bug-chain-len-unchecked (errors): open, a write of a chain too long: no -EINVAL, the program is built and started
const LONG_STARTED = ['IoEinvalMeansChainTooLong'];
function planted(id: string, home: CcwConfigId, description: string, cite: string, version: CcwVersion, breaks: Partial<Record<CcwConfigId, readonly string[]>>): CcwVariant {
  return variant({ id, description: `planted: ${description}`, cite: `planted bug in ${cite}`, configuration: home, version, expected: same(FIXED_EXPECTED, breaks) });
}
/** A planted bug checked only in its home configuration (the smallest that shows it: each configuration costs CI time). */
function plantedIn(id: string, home: CcwConfigId, description: string, cite: string, version: CcwVersion, breaks: readonly string[]): CcwVariant {
  return variant({ id, description: `planted: ${description}`, cite: `planted bug in ${cite}`, configuration: home, version, expected: { [home]: breaks } });
}
const table = (patch: (t: JumpTable) => JumpTable): JumpTable => patch(structuredClone(TABLE_V6));

export const variants: readonly CcwVariant[] = [
  variant({
    id: 'v6.2',
    description: 'v6.x: OPEN/CLOSE events, io_mutex trylock, fsm_notoper calls cp_free directly, VFIO_DEVICE_RESET as CLOSE+OPEN',
    cite: 'torvalds/linux vfio_ccw_fsm.c 008a011d; 204b394a23ad "vfio/ccw: Move FSM open/close to MDEV open/close"; Kingxukai/linux v6.17-rc4 vfio_ccw_{fsm,drv,ops}.c',
    sut: 'v6.2',
    // errors (an orderly userspace): every refused request and cc 3 answered as documented
    expected: same(['NoCpFreeWhileProcessing', 'NotOperIsADeadEnd', 'IoEbusyMeansBusy', ...IRB, ...STALE], { 'reset-race': ['OpenCloseInOrder'], 'io-todo-race': IO_TODO_RACE, 'irb-race': IRB_RACE, errors: [] }, ['NoCpFreeWhileProcessing', 'NotOperIsADeadEnd', 'EveryIrbReachesRegion', ...STALE]),
    version: V6_2,
  }),
  variant({
    id: 'v6-notoper-work',
    description: 'v6.x with the 2026 fix: fsm_notoper queues notoper_work, which frees the cp under io_mutex',
    cite: '0c11f61a876e "s390/vfio_ccw: Move cp cleanup out of not operational" (gregkh stable c9b85aa2)',
    sut: 'v6-notoper-work',
    expected: same(['NotOperIsADeadEnd', 'NoCpFreeWhileProcessing', 'IoEbusyMeansBusy', ...IRB, ...STALE], { 'reset-race': ['OpenCloseInOrder'], 'io-todo-race': IO_TODO_RACE }, ['NotOperIsADeadEnd', 'NoCpFreeWhileProcessing', 'EveryIrbReachesRegion', ...STALE]),
    version: V6_NOTOPER_WORK,
  }),
  variant({
    id: 'v4.19',
    description: 'v4.19: BOXED and BUSY, write() pre-check state != IDLE -> -EACCES, no io_mutex, write resets IDLE on error',
    cite: 'bbe37e4cb897 "vfio: ccw: introduce a finite state machine"; v4.19 vfio_ccw_{fsm,ops,drv}.c',
    sut: 'v4.19',
    // orderly: no io_mutex, so io_todo's cp_free on a halt's final status runs beside a writer; the -EACCES pre-check
    // orderly-hw: its mdev remove (not bounded as v6's close is) with an IRB queued, the subchannel gone and revived, unsolicited status taken as final: the first version's findings
    expected: same(v4, { 'two-writers': ['OneRequestInProcessing'], orderly: ['NoCpFreeWhileProcessing', 'IrbEndsOnlyItsOwnProgram', 'IoEaccesMeansPathsGone'], 'orderly-hw': v4 }),
    version: V4_19,
  }),
  variant({
    id: 'v5.0',
    description: 'v5.0: BOXED merged into BUSY, otherwise as v4.19',
    cite: '1554509b0d00 "vfio: ccw: Merge BUSY and BOXED states"',
    sut: 'v5.0',
    expected: same(v4, { 'two-writers': ['OneRequestInProcessing'], orderly: ['NoCpFreeWhileProcessing', 'IrbEndsOnlyItsOwnProgram', 'IoEaccesMeansPathsGone'], 'orderly-hw': v4 }),
    version: V5_0,
  }),
  variant({
    id: 'v5.2',
    description: 'v5.2-v5.13: CP_PROCESSING/CP_PENDING, ASYNC_REQ, io_mutex trylock -> -EAGAIN, write still resets IDLE on any error',
    cite: '"vfio-ccw: rework ssch state handling", "vfio-ccw: add handling for async channel instructions", 4f76617378ee "vfio-ccw: protect the I/O region"',
    sut: 'v5.2',
    // orderly: the write handler's IDLE reset alone (a cc2 under a running program) brings the leak and the stale IRB back
    expected: same(['NoStaleCpInIdle', 'NoCpLeak', 'IoEbusyMeansBusy', ...IRB, ...STALE], { orderly: ['NoStaleCpInIdle', 'NoCpLeak', ...IRB, ...STALE], 'orderly-hw': ['NoStaleCpInIdle', 'NoCpLeak', ...IRB, ...STALE] }, ['NoStaleCpInIdle', 'NoCpLeak', ...IRB, ...STALE]),
    version: V5_2,
  }),
  variant({
    id: 'v5.14',
    description: 'v5.14-v5.19: IDLE reset moved into fsm_io_request err_out, cp_init checks cp->initialized',
    cite: '6c02ac4c9211 "vfio-ccw: Reset FSM state to IDLE inside FSM"; c6c82e0cd812 "vfio-ccw: Check initialized flag in cp_init()"',
    sut: 'v5.14',
    // orderly-hw: the subchannel found gone keeps the cp (fsm_notoper without cp_free) into the revival, and mdev remove with an IRB queued
    expected: same(['NoStaleCpInIdle', 'IoEbusyMeansBusy', ...IRB, ...STALE], { 'orderly-hw': ['NoStaleCpInIdle', 'IoEbusyMeansBusy', ...IRB, ...STALE] }),
    version: V5_14,
  }),
  variant({
    id: 'morel-v3',
    description: 'design of "vfio: ccw: VFIO CCW cleanup part1" v3: enable at open, STANDBY after release, no sch_event revival, serialised writes',
    cite: 'seeds/003 cover letter (Pierre Morel, Nov 2018) and patch 5/6 "Documenting state transitions"',
    sut: 'morel-v3',
    // in `ret` (final status only) no unsolicited IRB reopens IDLE under the program: no leak
    expected: same(v4, { orderly: ['NoCpFreeWhileProcessing', 'IoEaccesMeansPathsGone', 'IoSuccessMeansStarted', 'EveryIrbReachesRegion', ...STALE], 'orderly-hw': v4 }, ['NoCpFreeWhileProcessing', 'IoEaccesMeansPathsGone', 'IoSuccessMeansStarted', ...IRB, ...STALE]),
    version: MOREL_V3,
  }),
  variant({
    id: 'fixed',
    description: 'design: v6 with the 2026 notoper fix, every IRB queued for io_todo (none overwritten), io_todo ending a program only on an IRB of that program, VFIO_DEVICE_RESET under io_mutex, fsm_io_request keeping NOT_OPER',
    cite: 'Documentation/arch/s390/vfio-ccw.rst K5 "Interrupt handler gets the I/O result and write the result to the I/O region"; vfio_ccw_sch_io_todo\'s own comment "Do not overwrite a possible processing state if ... the final interrupt was for HSCH or CSCH"',
    configuration: 'irbs',
    expected: same(FIXED_EXPECTED, { 'reset-race': [], 'io-todo-race': [], 'irb-race': [] }),
    version: FIXED,
  }),
  planted(
    'bug-io-todo-ignores-is-final',
    'irbs',
    'vfio_ccw_sch_io_todo ends the program on intermediate status too (is_final not tested)',
    'vfio_ccw_drv.c vfio_ccw_sch_io_todo, `is_final &&` removed',
    { ...FIXED, ioTodoChecksFinal: false },
    { irbs: ['IntermediateKeepsProgram', 'CpFreedOnlyWhenIoDone'], 'orderly-hw': ['IntermediateKeepsProgram', 'CpFreedOnlyWhenIoDone'] },
  ),
  planted(
    'bug-io-todo-any-program',
    'one-writer',
    'vfio_ccw_sch_io_todo ends the current program on any solicited final IRB in CP_PENDING (the kernel\'s test, on the fixed design)',
    'vfio_ccw_drv.c vfio_ccw_sch_io_todo (the program identity check of the fixed design removed)',
    { ...FIXED, irbIdentity: false },
    same(STALE),
  ),
  planted(
    'bug-irq-overwrites',
    'one-writer',
    'fsm_irq overwrites an IRB io_work has not copied yet (the kernel\'s single private->irb, on the fixed design)',
    'vfio_ccw_fsm.c fsm_irq (the IRB queue of the fixed design removed)',
    { ...FIXED, irbQueue: false },
    same([...IRB, 'IoEbusyMeansBusy'], {}, ['EveryIrbReachesRegion']),
  ),
  planted(
    'bug-ssch-cc2-positive',
    'ret',
    'fsm_io_helper returns SSCH cc 2 as is (the `default: ret = ccode` path)',
    'vfio_ccw_fsm.c fsm_io_helper, `case 2:` removed from the -EBUSY cases',
    { ...FIXED, sschCc2: 'positive' },
    { 'one-writer': ['IoRetCodesDocumented'], ret: ['IoRetCodesDocumented'], orderly: ['IoRetCodesDocumented'], 'orderly-hw': ['IoRetCodesDocumented'] },
  ),
  planted(
    'bug-ssch-cc2-success',
    'ret',
    'fsm_io_helper treats SSCH cc 2 as success: write() returns the byte count with no I/O started',
    'vfio_ccw_fsm.c fsm_io_helper, `case 2:` falling into `case 0:`',
    { ...FIXED, sschCc2: 'success' },
    {
      'one-writer': ['IoSuccessMeansStarted', 'NoCpWithoutIo', 'NoStaleCpInIdle', 'IoEbusyMeansBusy'],
      ret: ['IoSuccessMeansStarted', 'NoCpWithoutIo', 'NoStaleCpInIdle', 'IoEbusyMeansBusy'],
      orderly: ['IoSuccessMeansStarted', 'NoCpWithoutIo', 'NoStaleCpInIdle', 'IoEbusyMeansBusy'],
      'orderly-hw': ['IoSuccessMeansStarted', 'NoCpWithoutIo', 'NoStaleCpInIdle', 'IoEbusyMeansBusy'],
    },
  ),
  planted(
    'bug-ssch-cc2-eacces',
    'ret',
    'fsm_io_helper answers SSCH cc 2 with -EACCES',
    'vfio_ccw_fsm.c fsm_io_helper, `case 2:` moved to the cc 3 path',
    { ...FIXED, sschCc2: 'eacces' },
    { 'one-writer': ['IoEaccesMeansPathsGone'], ret: ['IoEaccesMeansPathsGone'], orderly: ['IoEaccesMeansPathsGone'], 'orderly-hw': ['IoEaccesMeansPathsGone'] },
  ),
  planted(
    'bug-idle-io-error',
    'ret',
    'the jump table answers IO_REQ in IDLE with fsm_io_error',
    'vfio_ccw_fsm.c vfio_ccw_jumptable[IDLE][IO_REQ]',
    { ...FIXED, jumptable: table((t) => ({ ...t, IDLE: { ...t.IDLE, IO_REQ: 'fsm_io_error' } })) },
    same(['IoEioMeansNotReady'], { orderly: ['IoEioMeansNotReady'], 'orderly-hw': ['IoEioMeansNotReady'] }),
  ),
  planted(
    'bug-pending-io-retry',
    'ret',
    'the jump table answers IO_REQ in CP_PENDING with fsm_io_retry (-EAGAIN while the I/O runs and nothing is processed)',
    'vfio_ccw_fsm.c vfio_ccw_jumptable[CP_PENDING][IO_REQ]',
    { ...FIXED, jumptable: table((t) => ({ ...t, CP_PENDING: { ...t.CP_PENDING, IO_REQ: 'fsm_io_retry' } })) },
    same(['IoEagainMeansProcessing'], { orderly: ['IoEagainMeansProcessing'], 'orderly-hw': ['IoEagainMeansProcessing'] }),
  ),
  planted(
    'bug-idle-async-retry',
    'ret',
    'the jump table answers ASYNC_REQ in IDLE with fsm_async_retry',
    'vfio_ccw_fsm.c vfio_ccw_jumptable[IDLE][ASYNC_REQ]',
    { ...FIXED, jumptable: table((t) => ({ ...t, IDLE: { ...t.IDLE, ASYNC_REQ: 'fsm_async_retry' } })) },
    same(['AsyncRetMeaning'], { 'orderly-hw': ['AsyncRetMeaning'] }),
  ),
  planted(
    'bug-pending-io-nop',
    'ret',
    'the jump table answers IO_REQ in CP_PENDING with fsm_nop: no handler stores ret_code, and write() returns what userspace copied into it (QEMU zeroes the region: the byte count)',
    'vfio_ccw_fsm.c vfio_ccw_jumptable[CP_PENDING][IO_REQ] (fsm_io_busy replaced by fsm_nop)',
    { ...FIXED, jumptable: table((t) => ({ ...t, CP_PENDING: { ...t.CP_PENDING, IO_REQ: 'fsm_nop' } })) },
    // the previous write's byte count comes back once the program's final status arrived (busy no more, CP_PENDING until io_work runs): success with nothing started
    same(['RetCodePerAccess', 'IoSuccessMeansStarted'], { orderly: ['RetCodePerAccess', 'IoSuccessMeansStarted'], 'orderly-hw': ['RetCodePerAccess', 'IoSuccessMeansStarted'] }),
  ),
  planted(
    'bug-hsch-busy-success',
    'orderly-hw',
    'fsm_do_halt answers HSCH cc 1 and 2 (status pending, busy) with 0 (the two cases falling into `case 0:` without its SCSW_ACTL_HALT_PEND): userspace is told a halt is under way that the subchannel refused',
    'vfio_ccw_fsm.c fsm_do_halt, `case 1: case 2:` moved above `ret = 0`',
    { ...FIXED, asyncRetOf: (cmd, cc) => (cmd === 'HSCH' && (cc === 1 || cc === 2) ? 'count' : asyncRet(cmd, cc)) },
    { 'orderly-hw': ['AsyncRetIsConditionCode'] },
  ),
  planted(
    'bug-idle-notoper-nop',
    'one-writer',
    'the jump table answers NOT_OPER in IDLE with fsm_nop: a subchannel found gone while idle stays IDLE',
    'vfio_ccw_fsm.c vfio_ccw_jumptable[IDLE][NOT_OPER] (fsm_notoper replaced by fsm_nop)',
    { ...FIXED, jumptable: table((t) => ({ ...t, IDLE: { ...t.IDLE, NOT_OPER: 'fsm_nop' } })) },
    { 'one-writer': GONE, ret: GONE, irbs: GONE, 'two-writers': GONE, 'orderly-hw': GONE },
  ),
  planted(
    'bug-standby-open-nop',
    'one-writer',
    'the jump table answers OPEN in STANDBY with fsm_nop: open_device returns 0 with the subchannel never enabled',
    'vfio_ccw_fsm.c vfio_ccw_jumptable[STANDBY][OPEN] (fsm_open replaced by fsm_nop)',
    { ...FIXED, jumptable: table((t) => ({ ...t, STANDBY: { ...t.STANDBY, OPEN: 'fsm_nop' } })) },
    { 'one-writer': OPENED, ret: OPENED, irbs: OPENED, 'two-writers': OPENED, orderly: OPENED, 'orderly-hw': OPENED },
  ),
  planted(
    'bug-quiesce-no-flush',
    'one-writer',
    'vfio_ccw_sch_quiesce without flush_workqueue(vfio_ccw_work_q): the close of a busy subchannel leaves its interruption queued',
    'vfio_ccw_drv.c vfio_ccw_sch_quiesce (flush_workqueue removed)',
    { ...FIXED, quiesceNoFlush: true },
    { 'one-writer': UNFLUSHED, ret: UNFLUSHED, irbs: UNFLUSHED, 'two-writers': UNFLUSHED },
  ),
  planted(
    'bug-async-no-trylock',
    'orderly-hw',
    'vfio_ccw_async_region_write without its mutex_trylock(&private->io_mutex): a halt or clear reaches the FSM while a write() holds io_mutex',
    'vfio_ccw_async.c vfio_ccw_async_region_write (the trylock and its -EAGAIN removed)',
    { ...FIXED, asyncUnlocked: true },
    { 'one-writer': UNLOCKED, ret: UNLOCKED, irbs: UNLOCKED, 'two-writers': UNLOCKED, orderly: UNLOCKED, 'orderly-hw': UNLOCKED },
  ),
  plantedIn(
    'bug-write-no-trylock',
    'two-writers',
    'vfio_ccw_mdev_write_io_region without its mutex_trylock(&private->io_mutex): two write()s are past their entry at once, as before 4f76617378ee',
    'vfio_ccw_ops.c vfio_ccw_mdev_write_io_region (the trylock and its -EAGAIN removed)',
    // the writer takes no io_mutex, as in a version without one; the property still asks for it
    { ...FIXED, ioMutex: 'none', writeUnlocked: true },
    // 3 steps: open, two writes; and the 2026 fix's notoper_work, which takes io_mutex to wait for a writer, now frees the
    // program under one: open, write, copy_from_user (CP_PROCESSING), subchannel gone, vfio_ccw_notoper_todo (5 steps)
    ['IoMutexSerialisesWrites', 'NoCpFreeWhileProcessing'],
  ),
  plantedIn(
    'bug-irq-skips-queued',
    'ret',
    'fsm_irq copies the IRB into private->irb only while io_work is not queued (`if (!work_pending(&private->io_work)) memcpy(...)`): the status presented before io_work ran is dropped, the one io_work copies is older',
    'vfio_ccw_fsm.c fsm_irq (memcpy made conditional; on the fixed design without its IRB queue)',
    { ...FIXED, irbQueue: false, irqSkipsQueued: true },
    SKIPPED,
  ),
  plantedIn(
    'bug-close-idle-no-disable',
    'orderly',
    'fsm_close disables only a busy subchannel (vfio_ccw_sch_quiesce on -EBUSY) and sets STANDBY on an idle one without cio_disable_subchannel: the closed device\'s subchannel stays enabled',
    'vfio_ccw_fsm.c fsm_close (the cio_disable_subchannel call dropped, the quiesce kept)',
    { ...FIXED, closeIdleNoDisable: true },
    ENABLED,
  ),
  plantedIn(
    'bug-ssch-waits-idle',
    'ret',
    'fsm_io_request waits for the pending function to end before ssch (a busy-wait on the SCSW activity, where every kernel lets ssch answer cc 2 and returns -EBUSY): a write after a halt waits for the halt\'s interruption, which the hardware need not present',
    'vfio_ccw_fsm.c fsm_io_request / fsm_io_helper (a wait for !scsw_actl added before ssch)',
    { ...FIXED, sschWaitsIdle: true },
    WAITS,
  ),
  plantedIn(
    'bug-io-todo-copies-solicited-only',
    'orderly-hw',
    'vfio_ccw_sch_io_todo copies the IRB to the I/O region only for solicited status (the memcpy moved into `if (scsw_is_solicited(&irb->scsw))`): unsolicited status never reaches the region (on the fixed design without its IRB queue)',
    'vfio_ccw_drv.c vfio_ccw_sch_io_todo (memcpy(private->io_region->irb_area, ...) inside the solicited branch)',
    { ...FIXED, irbQueue: false, ioTodoCopiesSolicitedOnly: true },
    UNCOPIED,
  ),
  variant({
    id: 'bug-reset-lock-after-close',
    description: 'planted: vfio_ccw_mdev_reset of the fixed design takes io_mutex only after VFIO_CCW_EVENT_CLOSE (the two statements swapped): the close runs beside a write in progress',
    cite: 'planted bug in vfio_ccw_ops.c vfio_ccw_mdev_reset (the fixed design\'s mutex_lock(&private->io_mutex) moved below vfio_ccw_fsm_event(CLOSE))',
    configuration: 'reset-race',
    expected: { 'reset-race': ['NoCpFreeWhileProcessing', 'OpenCloseInOrder'] },
    version: { ...FIXED, resetEdit: (f) => swapStatements(f, 'mutex_lock(private->io_mutex)', 'vfio_ccw_fsm_event(CLOSE)') },
  }),
  variant({
    id: 'bug-io-todo-idle-after-unlock',
    description: 'planted: vfio_ccw_sch_io_todo of the fixed design stores IDLE after its io_mutex section, as every kernel does, not in the step that tested CP_PENDING: a close or reset in between is overwritten',
    cite: 'planted bug in vfio_ccw_drv.c vfio_ccw_sch_io_todo (the fixed design\'s IDLE store moved back below mutex_unlock(&private->io_mutex), as in v6.17-rc4)',
    configuration: 'io-todo-race',
    expected: { 'io-todo-race': ['NoStaleCpInIdle', 'NoCpWithoutIo', 'IoEbusyMeansBusy', 'OpenCloseInOrder', 'IoTodoKeepsOtherStates'] },
    version: { ...FIXED, ioTodoIdleLocked: false },
  }),
  // issue 13 done-check: the lock rules of machines/kthread.ts had no vfio-ccw variant that broke them;
  // io-todo-race (the fixed design: 254 states) is the smallest configuration with io_mutex as a thread lock
  variant({
    id: 'bug-reset-no-unlock',
    description: 'planted: vfio_ccw_mdev_reset of the fixed design returns without mutex_unlock(&private->io_mutex): every later write() gets -EAGAIN and io_work waits for ever',
    cite: 'planted bug in vfio_ccw_ops.c vfio_ccw_mdev_reset (the fixed design\'s mutex_unlock(&private->io_mutex) left out)',
    configuration: 'io-todo-race',
    // 4 steps: open, the reset's lock, CLOSE, OPEN, return (a thread's first lock fault stops it: machines/kthread.ts)
    expected: { 'io-todo-race': ['NoReturnHoldingLock'] },
    version: { ...FIXED, resetEdit: (f) => ({ ...f, steps: f.steps.filter((s) => s.at !== 'mutex_unlock(private->io_mutex)') }) },
  }),
  variant({
    id: 'bug-reset-relock-before-open',
    description: 'planted: vfio_ccw_mdev_reset of the fixed design as two io_mutex sections (CLOSE, then OPEN) whose first mutex_unlock is missing: the OPEN section locks the mutex the reset holds',
    cite: 'planted bug in vfio_ccw_ops.c vfio_ccw_mdev_reset (mutex_lock; CLOSE; [mutex_unlock left out]; mutex_lock; OPEN; mutex_unlock)',
    configuration: 'io-todo-race',
    // 4 steps: open, the reset's lock, CLOSE, its second lock (a thread's first lock fault stops it)
    expected: { 'io-todo-race': ['NoDoubleAcquire'] },
    version: {
      ...FIXED,
      resetEdit: (f) => {
        const lock = f.steps.find((s) => s.at === 'mutex_lock(private->io_mutex)')!;
        const at = f.steps.findIndex((s) => s.at === 'vfio_ccw_fsm_event(OPEN)');
        return { ...f, steps: [...f.steps.slice(0, at), { ...lock, at: 'mutex_lock(private->io_mutex) before OPEN' }, ...f.steps.slice(at)] };
      },
    },
  }),
  variant({
    id: 'bug-io-todo-unlock-before-lock',
    description: 'planted: vfio_ccw_sch_io_todo of the fixed design calls mutex_unlock(&private->io_mutex) before mutex_lock (the two statements swapped): it releases a mutex it does not hold',
    cite: 'planted bug in vfio_ccw_drv.c vfio_ccw_sch_io_todo (mutex_lock and mutex_unlock around the memcpy swapped)',
    configuration: 'io-todo-race',
    // 7 steps: open, a write and its SSCH cc0, the final status, io_todo's test, its unlock of the free mutex (the thread stops there)
    expected: { 'io-todo-race': ['ReleaseOnlyByOwner'] },
    version: { ...FIXED, ioTodoEdit: (f) => swapStatements(f, 'mutex_lock(private->io_mutex)', 'mutex_unlock(private->io_mutex)') },
  }),
  // issue 13: the irb overwrite window; the kernels break IrbCopiedAsTested (irb-race, io-todo-race), the fixed design keeps it
  variant({
    id: 'bug-io-todo-copies-latest',
    description: 'planted: vfio_ccw_sch_io_todo of the fixed design takes an IRB from the queue and tests it, but copies private->irb (the status presented last) to the region, as the kernels do',
    cite: 'planted bug in vfio_ccw_drv.c vfio_ccw_sch_io_todo (the fixed design\'s memcpy of the dequeued IRB back to memcpy(private->io_region->irb_area, &private->irb), as in v6.17-rc4)',
    configuration: 'irb-race',
    // 9 steps: open, a write and its SSCH cc0, the final status, io_todo's test (cp_free), an unsolicited status, mutex_lock, the memcpy
    expected: { 'irb-race': ['IrbCopiedAsTested'] },
    version: { ...FIXED, ioTodoCopiesLatest: true },
  }),
  // the documented codes of refused requests and of a device gone (errors: an orderly userspace writing every request kind)
  plantedIn(
    'bug-tm-after-cp-init',
    'errors',
    'fsm_io_request tests the ORB\'s transport-mode bit after cp_init: the program is built from the TCW, -EOPNOTSUPP is returned and err_out keeps the program',
    'vfio_ccw_fsm.c fsm_io_request ("Don\'t try to build a cp if transport mode is specified" moved below cp_init)',
    { ...FIXED, tmAfterCpInit: true },
    TM_KEPT,
  ),
  plantedIn(
    'bug-ssch-cc3-as-halt',
    'errors',
    'fsm_io_helper\'s `case 3:` written as fsm_do_halt\'s (`ret = -ENODEV`): an SSCH that failed on one path while another is left is reported as a device gone',
    'vfio_ccw_fsm.c fsm_io_helper (`case 3:` without the sch->lpm masking and test)',
    { ...FIXED, sschCc3Enodev: true },
    CC3_ENODEV,
  ),
  plantedIn(
    'bug-chain-len-unchecked',
    'errors',
    'ccwchain_calc_length without its `if (cnt == CCWCHAIN_LEN_MAX + 1) cnt = -EINVAL`: a chain longer than 255 CCWs is built truncated and started',
    'vfio_ccw_cp.c ccwchain_calc_length (the length test after the counting loop left out)',
    { ...FIXED, chainLenUnchecked: true },
    LONG_STARTED,
  ),
];
