// Safety properties of the vfio-ccw subchannel FSM, checked in every reachable state.
import type { Invariant } from '../../src/spec.ts';
import { CCW_FAULT, type CcwContext, type CcwVersion } from './vfio_ccw_private.machine.ts';

const PHASES = ['none', 'copied', 'request'];
const IRBS = ['none', 'final', 'unsolicited'];

export function invariants(v: CcwVersion): Invariant<CcwContext>[] {
  const list: Invariant<CcwContext>[] = [
    {
      name: 'TypeOK',
      cite: 'vfio_ccw_private.h: private->state is one of enum vfio_ccw_state of this version; io_mutex is held only by a writer inside write()',
      holds: ({ value, context: c }) =>
        typeof value === 'string' &&
        v.states.includes(value as never) &&
        c.writers.every((p) => PHASES.includes(p)) &&
        IRBS.includes(c.irb) &&
        c.mutex >= -1 &&
        c.mutex < c.writers.length &&
        (c.mutex === -1 || c.writers[c.mutex] !== 'none'),
    },
    {
      name: 'IoMutexSerialisesWrites',
      cite: '4f76617378ee "vfio-ccw: protect the I/O region": with private->io_mutex, one write() at a time is past its entry',
      holds: ({ context: c }) => v.ioMutex === 'none' || c.writers.filter((p) => p !== 'none').length <= 1,
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
      holds: ({ value, context: c }) => value !== 'IDLE' || !c.cp || c.writers.includes('request') || c.busy || c.irb !== 'none',
    },
  ];
  if (v.lifecycle === 'open_close') {
    list.push({
      name: 'NotOperIsADeadEnd',
      cite: '204b394a23ad "vfio/ccw: Move FSM open/close to MDEV open/close": "This makes the NOT_OPER state a dead-end path"',
      holds: ({ value, context: c }) => !c.dead || value === 'NOT_OPER',
    });
  }
  return list;
}
