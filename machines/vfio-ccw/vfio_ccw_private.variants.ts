// The kernel versions (and one unmerged design) of the vfio-ccw FSM, each as a set of
// factory options for createVfioCcwMachine, with what the checker must find in the default
// configuration (one writer; two writers add OneRequestInProcessing to v4.19 and v5.0). Jump tables as read in the kernel sources named in README.md.
import type { VariantInfo } from '../../src/spec.ts';
import type { CcwVersion, JumpTable } from './vfio_ccw_private.machine.ts';

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

export interface CcwVariant extends VariantInfo {
  version: CcwVersion;
}

export const variants: readonly CcwVariant[] = [
  {
    id: 'v6.2',
    description: 'v6.x: OPEN/CLOSE events, io_mutex trylock, fsm_notoper calls cp_free directly',
    cite: 'torvalds/linux vfio_ccw_fsm.c 008a011d; 204b394a23ad "vfio/ccw: Move FSM open/close to MDEV open/close"',
    expectedViolations: ['NoCpFreeWhileProcessing', 'NotOperIsADeadEnd'],
    configurations: ['one-writer', 'two-writers'],
    status: 'asserted',
    version: V6_2,
  },
  {
    id: 'v6-notoper-work',
    description: 'v6.x with the 2026 fix: fsm_notoper queues notoper_work, which frees the cp under io_mutex',
    cite: '0c11f61a876e "s390/vfio_ccw: Move cp cleanup out of not operational" (gregkh stable c9b85aa2)',
    expectedViolations: ['NotOperIsADeadEnd'],
    configurations: ['one-writer', 'two-writers'],
    status: 'asserted',
    version: V6_NOTOPER_WORK,
  },
  {
    id: 'v4.19',
    description: 'v4.19: BOXED and BUSY, write() pre-check state != IDLE -> -EACCES, no io_mutex, write resets IDLE on error',
    cite: 'bbe37e4cb897 "vfio: ccw: introduce a finite state machine"; v4.19 vfio_ccw_{fsm,ops,drv}.c',
    expectedViolations: ['NoStaleCpInIdle', 'NoCpLeak', 'NoCpFreeWhileProcessing'],
    configurations: ['one-writer', 'two-writers'],
    expectedViolationsIn: { 'two-writers': ['NoStaleCpInIdle', 'NoCpLeak', 'NoCpFreeWhileProcessing', 'OneRequestInProcessing'] },
    status: 'asserted',
    version: V4_19,
  },
  {
    id: 'v5.0',
    description: 'v5.0: BOXED merged into BUSY, otherwise as v4.19',
    cite: '1554509b0d00 "vfio: ccw: Merge BUSY and BOXED states"',
    expectedViolations: ['NoStaleCpInIdle', 'NoCpLeak', 'NoCpFreeWhileProcessing'],
    configurations: ['one-writer', 'two-writers'],
    expectedViolationsIn: { 'two-writers': ['NoStaleCpInIdle', 'NoCpLeak', 'NoCpFreeWhileProcessing', 'OneRequestInProcessing'] },
    status: 'asserted',
    version: V5_0,
  },
  {
    id: 'v5.2',
    description: 'v5.2-v5.13: CP_PROCESSING/CP_PENDING, ASYNC_REQ, io_mutex trylock -> -EAGAIN, write still resets IDLE on any error',
    cite: '"vfio-ccw: rework ssch state handling", "vfio-ccw: add handling for async channel instructions", 4f76617378ee "vfio-ccw: protect the I/O region"',
    expectedViolations: ['NoStaleCpInIdle', 'NoCpLeak'],
    configurations: ['one-writer', 'two-writers'],
    status: 'asserted',
    version: V5_2,
  },
  {
    id: 'v5.14',
    description: 'v5.14-v5.19: IDLE reset moved into fsm_io_request err_out, cp_init checks cp->initialized',
    cite: '6c02ac4c9211 "vfio-ccw: Reset FSM state to IDLE inside FSM"; c6c82e0cd812 "vfio-ccw: Check initialized flag in cp_init()"',
    expectedViolations: ['NoStaleCpInIdle'],
    configurations: ['one-writer', 'two-writers'],
    status: 'asserted',
    version: V5_14,
  },
  {
    id: 'morel-v3',
    description: 'design of "vfio: ccw: VFIO CCW cleanup part1" v3: enable at open, STANDBY after release, no sch_event revival, serialised writes',
    cite: 'seeds/003 cover letter (Pierre Morel, Nov 2018) and patch 5/6 "Documenting state transitions"',
    expectedViolations: ['NoStaleCpInIdle', 'NoCpLeak', 'NoCpFreeWhileProcessing'],
    configurations: ['one-writer', 'two-writers'],
    status: 'asserted',
    version: MOREL_V3,
  },
];
