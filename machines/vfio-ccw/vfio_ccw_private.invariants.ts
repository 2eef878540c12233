// Safety properties of the vfio-ccw subchannel FSM, checked in every reachable state.
import type { Invariant } from '../../src/spec.ts';
import { CCW_FAULT, CCW_FLAG, type CcwContext, type CcwVersion } from './vfio_ccw_private.machine.ts';

const PHASES = ['none', 'copied', 'request'];
const IRBS = ['none', 'final', 'unsolicited', 'intermediate'];
/** vfio-ccw.rst, "vfio-ccw I/O region": "ret_code stores a return code for each access of the region. The following values may occur" ('count' is 0 in ret_code) */
const IO_RET = ['', 'count', '-EOPNOTSUPP', '-EIO', '-EBUSY', '-EAGAIN', '-EACCES', '-ENODEV', '-EINVAL'];
/** vfio-ccw.rst, "vfio-ccw cmd region": the values of its ret_code */
const ASYNC_RET = ['', 'count', '-ENODEV', '-EINVAL', '-EIO', '-EAGAIN', '-EBUSY'];
const DOC = 'Documentation/arch/s390/vfio-ccw.rst';

/** The FSM state: the machine's value, or its `fsm` region in a fine-grained configuration (threads beside it). */
export const fsmState = (value: unknown): unknown => (typeof value === 'object' && value !== null && 'fsm' in value ? (value as { fsm: unknown }).fsm : value);

export function invariants(v: CcwVersion): Invariant<CcwContext>[] {
  const list: Invariant<CcwContext>[] = [
    {
      name: 'TypeOK',
      cite:
        'vfio_ccw_private.h: private->state is one of enum vfio_ccw_state of this version; io_mutex is held only by a writer inside write(); ' +
        `${DOC} K2-K5: an I/O belongs to a channel program only while that program exists (a pending start or function, a queued IRB of the current program needs it initialised, and the function pending)`,
      holds: ({ value, context: c }) =>
        typeof fsmState(value) === 'string' &&
        v.states.includes(fsmState(value) as never) &&
        c.writers.every((p) => PHASES.includes(p)) &&
        IRBS.includes(c.irb) &&
        IRBS.includes(c.irbNext) &&
        (c.irb !== 'none' || c.irbNext === 'none') &&
        c.mutex >= -1 &&
        c.mutex < c.writers.length &&
        (c.mutex === -1 || c.writers[c.mutex] !== 'none') &&
        (!c.startOwn || (c.fnOwn && c.busy && c.cp)) &&
        (!c.fnOwn || (c.busy && c.cp)) &&
        (!c.irbOwn || (c.irb !== 'none' && c.cp)) &&
        (!c.irbNextOwn || (c.irbNext !== 'none' && c.cp)),
    },
    {
      name: 'IoMutexSerialisesWrites',
      cite: '4f76617378ee "vfio-ccw: protect the I/O region": with private->io_mutex, one write() at a time is past its entry',
      // a version without io_mutex (v4.19, v5.0) is not bound by it; the planted writeUnlocked has it and skips it
      holds: ({ context: c }) => (v.ioMutex === 'none' && !v.writeUnlocked) || c.writers.filter((p) => p !== 'none').length <= 1,
    },
    {
      name: 'OneRequestInProcessing',
      cite: 'vfio_ccw_fsm.c fsm_io_request: one struct channel_program per subchannel, so no second request may be processed while one is',
      holds: ({ context: c }) => c.writers.filter((p) => p === 'request').length <= 1,
    },
    {
      name: 'NoCpLeak',
      cite: 'vfio_ccw_cp.c cp_init: a channel program is freed (cp_free) before the next cp_init, else its chains and pinned pages leak',
      holds: ({ context: c }) => (c.faults & CCW_FAULT.CP_LEAK) === 0,
    },
    {
      name: 'NoCpFreeWhileProcessing',
      cite: 'vfio_ccw_cp.c cp_free: only the thread that built a channel program, or code that knows none is being built, frees it',
      holds: ({ context: c }) => (c.faults & CCW_FAULT.CP_FREE_WHILE_PROCESSING) === 0,
    },
    {
      name: 'NoStaleCpInIdle',
      cite: 'vfio_ccw_drv.c vfio_ccw_sch_io_todo frees the cp when its program ends: in IDLE, with no request in processing, no I/O outstanding and no IRB queued, no channel program is left initialised (v5.14+ cp_init would refuse every request with -EBUSY)',
      holds: ({ value, context: c }) => fsmState(value) !== 'IDLE' || !c.cp || c.writers.includes('request') || c.busy || c.irb !== 'none',
    },
    {
      name: 'NoCpWithoutIo',
      cite: `${DOC}: K2 "Translate the guest channel program to a host kernel space channel program", K3 "issue the ccwchain to the device", K5 "Interrupt handler gets the I/O result": a channel program lives as long as its I/O: it is initialised only while its request is processed, its function is pending, or its interruption is still queued`,
      holds: ({ context: c }) => !c.cp || c.writers.includes('request') || c.busy || c.irb !== 'none' || c.notoperWork,
    },
    {
      name: 'CpFreedOnlyWhenIoDone',
      cite: `${DOC}: K2/K3, the translated program is what the device runs (its IDALs point at pages pinned for it): cp_free while its start function is pending unpins pages under the channel`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.CP_FREE_WHILE_IO) === 0,
    },
    {
      name: 'IrbEndsOnlyItsOwnProgram',
      cite: `${DOC}: K5 "Interrupt handler gets the I/O result": an interruption reports the I/O of the program that was started; vfio_ccw_sch_io_todo ends (cp_free, IDLE) the current program only on its own final status`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.STALE_IRB_ENDS_CP) === 0,
    },
    {
      name: 'IntermediateKeepsProgram',
      cite: 'vfio_ccw_drv.c vfio_ccw_sch_io_todo: is_final = !(scsw_actl & (SCSW_ACTL_DEVACT | SCSW_ACTL_SCHACT)): intermediate status (device or subchannel still active) does not end the program',
      holds: ({ context: c }) => (c.flags & CCW_FLAG.INTERMEDIATE_ENDS_CP) === 0,
    },
    {
      name: 'EveryIrbReachesRegion',
      cite: `${DOC}: K5 "Interrupt handler gets the I/O result and write the result to the I/O region." K6 "Signal QEMU to retrieve the result."`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.IRB_LOST) === 0,
    },
    {
      name: 'IrbQueuedAsPresented',
      cite: `${DOC}: K5 "Interrupt handler gets the I/O result and write the result to the I/O region." vfio_ccw_fsm.c fsm_irq: memcpy(&private->irb, irb, sizeof(*irb)); queue_work(vfio_ccw_work_q, &private->io_work): the status just presented, reporting the I/O it reports, is what io_work copies to the region last (the single buffer keeps the latest; EveryIrbReachesRegion asks that none before it be lost)`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.IRB_NOT_QUEUED) === 0,
    },
    {
      name: 'IoRetCodesDocumented',
      cite: `${DOC}: "ret_code stores a return code for each access of the region. The following values may occur: 0, -EOPNOTSUPP, -EIO, -EBUSY, -EAGAIN, -EACCES, -ENODEV, -EINVAL"`,
      holds: ({ context: c }) => IO_RET.includes(c.ret),
    },
    {
      name: 'RetCodePerAccess',
      cite: `${DOC}: "ret_code stores a return code for each access of the region" (I/O region; the cmd region's ret_code likewise): vfio_ccw_ops.c vfio_ccw_mdev_write_io_region copies userspace's bytes over the region (ret_code included) and returns ret_code ?: count after vfio_ccw_fsm_event(IO_REQ); vfio_ccw_async.c vfio_ccw_async_region_write likewise after ASYNC_REQ: every path of every handler stores this access's code, and the code stored reaches the caller`,
      holds: ({ context: c }) => (c.flags & (CCW_FLAG.RET_NOT_STORED | CCW_FLAG.RET_STORED | CCW_FLAG.ASYNC_STORED | CCW_FLAG.ASYNC_ENTERED)) === 0,
    },
    {
      name: 'IoMutexTrylockRefuses',
      cite: 'vfio_ccw_ops.c vfio_ccw_mdev_write_io_region and vfio_ccw_async.c vfio_ccw_async_region_write: `if (!mutex_trylock(&private->io_mutex)) return -EAGAIN` (4f76617378ee "vfio-ccw: protect the I/O region"): an access that finds io_mutex held by another returns -EAGAIN and does not reach the FSM',
      holds: ({ context: c }) => (c.flags & CCW_FLAG.IO_MUTEX_ENTERED) === 0,
    },
    {
      name: 'QuiesceLeavesNothing',
      cite: 'vfio_ccw_drv.c vfio_ccw_sch_quiesce: cio_disable_subchannel; on -EBUSY cio_cancel_halt_clear, wait_for_completion_timeout, flush_workqueue(vfio_ccw_work_q) ("Flush all I/O and wait for the interrupt"), disable again: the subchannel ends disabled with no function pending, and the interruptions of a busy one have reached the I/O region',
      holds: ({ context: c }) => (c.flags & CCW_FLAG.QUIESCE) === 0,
    },
    {
      name: 'SubchannelGoneIsNotOper',
      cite: 'vfio_ccw_drv.c vfio_ccw_sch_event: `if (cio_update_schib(sch)) { if (private) vfio_ccw_fsm_event(private, VFIO_CCW_EVENT_NOT_OPER); }`, jump table row NOT_OPER: fsm_notoper in every state but NOT_OPER: a subchannel found gone leaves the FSM in NOT_OPER with no function pending at it',
      holds: ({ context: c }) => (c.flags & (CCW_FLAG.SCH_GONE | CCW_FLAG.GONE_STILL_BUSY)) === 0,
    },
    {
      name: 'IoSuccessMeansStarted',
      cite: `${DOC}: "0 The operation was successful." (K3 "issue the ccwchain to the device", K4 "Return the ssch CC code")`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.SUCCESS) === 0,
    },
    {
      name: 'IoEioMeansNotReady',
      cite: `${DOC}: "-EIO A request was issued while the device was not in a state ready to accept requests, or an internal error occurred."`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.EIO) === 0,
    },
    {
      name: 'IoEbusyMeansBusy',
      cite: `${DOC}: "-EBUSY The subchannel was status pending or busy, or a request is already active."`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.EBUSY) === 0,
    },
    {
      name: 'IoEagainMeansProcessing',
      cite: `${DOC}: "-EAGAIN A request was being processed, and the caller should retry."`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.EAGAIN) === 0,
    },
    {
      name: 'IoEaccesMeansPathsGone',
      cite: `${DOC}: "-EACCES The channel path(s) used for the I/O were found to be not operational."`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.EACCES) === 0,
    },
    {
      name: 'IoEopnotsuppMeansUnsupported',
      cite: `${DOC}: "-EOPNOTSUPP The orb specified transport mode or an unidentified IDAW format, or the scsw specified a function other than the start function." (vfio_ccw_fsm.c fsm_io_request: orb->tm.b, SCSW_FCTL_HALT_FUNC, SCSW_FCTL_CLEAR_FUNC, before cp_init): exactly for such a request, with no channel program built and nothing started (vfio_ccw_private.ghost.ts ioRequestMeaning)`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.IO_EOPNOTSUPP) === 0,
    },
    {
      name: 'IoEnodevMeansNotOperational',
      cite: `${DOC}: "-ENODEV The device was found to be not operational." (vfio_ccw_fsm.c fsm_io_helper \`case 3:\`: the ORB's paths masked off sch->lpm, "ret = sch->lpm ? -EACCES : -ENODEV"): exactly for SSCH cc 3 on the last channel path, with nothing started and the program freed (ioHelperMeaning)`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.IO_ENODEV) === 0,
    },
    {
      name: 'IoEinvalMeansChainTooLong',
      cite: `${DOC}: "-EINVAL The orb specified a chain longer than 255 ccws, or an internal error occurred." (vfio_ccw_cp.c ccwchain_calc_length: CCWCHAIN_LEN_MAX + 1 CCWs, -EINVAL; cp_prefetch's failure is the internal error): from fsm_io_request exactly for such a chain, with nothing built or started (ioRequestMeaning)`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.IO_EINVAL) === 0,
    },
  ];
  if (v.events.includes('ASYNC_REQ')) {
    list.push({
      name: 'AsyncRetMeaning',
      cite: `${DOC}, "vfio-ccw cmd region": "0 The operation was successful", "-ENODEV", "-EINVAL A command other than halt or clear", "-EIO ... not in a state ready to accept requests", "-EAGAIN A request was being processed", "-EBUSY The subchannel was status pending or busy while processing a halt request"`,
      holds: ({ context: c }) => ASYNC_RET.includes(c.asyncRet) && (c.flags & CCW_FLAG.ASYNC) === 0,
    });
    list.push({
      name: 'AsyncRetIsConditionCode',
      cite: `${DOC}, "vfio-ccw cmd region": "0 The operation was successful", "-ENODEV The device was not operational", "-EBUSY The subchannel was status pending or busy while processing a halt request"; vfio_ccw_fsm.c fsm_do_halt / fsm_do_clear: hsch/csch cc 0 -> 0 with the halt/clear function pending (SCSW_ACTL_HALT_PEND / CLEAR_PEND), HSCH cc 1/2 -> -EBUSY, cc 3 -> -ENODEV; only cc 0 starts a function, and a halt or clear ends the channel program it was issued on`,
      holds: ({ context: c }) => (c.flags & CCW_FLAG.ASYNC_CC) === 0,
    });
  }
  if (v.lifecycle === 'open_close') {
    list.push({
      name: 'NotOperIsADeadEnd',
      cite: '204b394a23ad "vfio/ccw: Move FSM open/close to MDEV open/close": "This makes the NOT_OPER state a dead-end path"',
      holds: ({ value, context: c }) => !c.dead || fsmState(value) === 'NOT_OPER',
    });
    list.push({
      name: 'OpenDeviceFailsOnlyNotOper',
      cite: 'vfio_ccw_ops.c vfio_ccw_mdev_open_device: vfio_ccw_fsm_event(OPEN), then `if (private->state == VFIO_CCW_STATE_NOT_OPER) { ret = -EINVAL; goto err_unregister; }`; vfio_ccw_fsm.c fsm_open: cio_enable_subchannel succeeded -> IDLE: an open either enables the subchannel or is refused, and only open_device\'s own OPEN is refused (vfio_ccw_mdev_reset keeps the device open)',
      holds: ({ context: c }) => (c.flags & (CCW_FLAG.OPEN_DEVICE | CCW_FLAG.OPEN_MISMATCH)) === 0,
    });
    list.push({
      name: 'StandbyIsDisabled',
      cite:
        'vfio_ccw_fsm.c fsm_close: cio_disable_subchannel (vfio_ccw_sch_quiesce on -EBUSY) before `private->state = VFIO_CCW_STATE_STANDBY`, fsm_open: cio_enable_subchannel before IDLE (204b394a23ad: the subchannel is enabled from open_device to close_device, and disabled at probe); fsm_disabled_irq, the INTERRUPT cell of STANDBY and NOT_OPER: "An interrupt in a disabled state means a previous disable was not successful - should not happen, but we try to disable again." cio_disable_subchannel: in STANDBY the subchannel is disabled, and an interruption in STANDBY or NOT_OPER leaves it disabled',
      holds: ({ value, context: c }) => (fsmState(value) !== 'STANDBY' || !c.ena) && (c.flags & CCW_FLAG.DISABLED_IRQ_ENABLED) === 0,
    });
    list.push({
      name: 'OpenCloseInOrder',
      cite:
        'vfio_ccw_fsm.c vfio_ccw_jumptable (204b394a23ad): OPEN is handled in STANDBY only and CLOSE only once open; OPEN in IDLE/CP_PROCESSING/CP_PENDING and CLOSE in STANDBY are fsm_notoper, the cells of events that cannot happen there; vfio_ccw_ops.c vfio_ccw_mdev_reset: "If the FSM state is seen as Not Operational after closing and re-opening the mdev, return an error" (NOT_OPER is a dead end since v6: the device is lost)',
      holds: ({ context: c }) => (c.flags & CCW_FLAG.OPEN_CLOSE_OUT_OF_ORDER) === 0,
    });
  }
  return list;
}

/**
 * The properties of the io_todo thread's configurations (io-todo-race, irb-race): io_todo's own rule for its
 * IDLE store, and that it copies the status it tested, which only the split work can break (the atomic io_todo
 * stores IDLE in the state it tested and copies the IRB it took).
 */
export const ioTodoInvariants: Invariant<CcwContext>[] = [
  {
    name: 'IoTodoKeepsOtherStates',
    cite:
      'vfio_ccw_drv.c vfio_ccw_sch_io_todo: "Reset to IDLE only if processing of a channel program has finished. Do not overwrite a possible processing state if the interrupt was unsolicited, or if the final interrupt was for HSCH or CSCH." (the IDLE store follows the CP_PENDING test and the io_mutex section with no lock held across them; vfio_ccw_fsm.c: STANDBY, NOT_OPER and a new program\'s CP_PROCESSING/CP_PENDING are set by the FSM handlers in between)',
    holds: ({ context: c }) => (c.flags & CCW_FLAG.IO_TODO_IDLE_OVERWRITES) === 0,
  },
  {
    name: 'IrbCopiedAsTested',
    cite:
      `${DOC}: "I/O completion will be signaled to the host with I/O interruptions. And it will be copied as IRB to user space to pass it back to the guest."; "irb_area stores the I/O result."; K5 "Interrupt handler gets the I/O result and write the result to the I/O region." ` +
      'vfio_ccw_drv.c vfio_ccw_sch_io_todo: irb = &private->irb; the is_final/solicited test (cp_free, cp_is_finished) and then memcpy(private->io_region->irb_area, irb) under io_mutex: the status copied to the region is the one io_todo tested and acted on (vfio_ccw_fsm.c fsm_irq writes private->irb under sch->lock, which io_todo does not hold)',
    holds: ({ context: c }) => (c.flags & CCW_FLAG.IRB_COPIED_NOT_TESTED) === 0,
  },
];
