// Liveness of the vfio-ccw regions (issue 14), checked on the explored graph under weak fairness of
// the events the kernel (or the hardware) guarantees once they are enabled (`fair` in eventInfo):
// the writer's steps inside write() (copy_from_user, the rest of fsm_io_request), the io_work item,
// the notoper work, the threads' steps; the hardware's interruptions are not fair. Pinned to v6.17-rc4 (Kingxukai/linux 9b44fff655e2).
import type { LivenessProperty } from '../../src/spec.ts';
import type { CcwBounds } from './vfio_ccw_private.bounds.ts';
import type { CcwContext, CcwVersion } from './vfio_ccw_private.machine.ts';

const DOC = 'Documentation/arch/s390/vfio-ccw.rst';

/** Writer `w` of the io_region is inside write() (past mutex_trylock). */
const inWrite = (c: CcwContext, w: number): boolean => c.writers[w] !== 'none';

export const WriteReturns: LivenessProperty<CcwContext> = {
  name: 'WriteReturns',
  cite:
    `${DOC}: "ret_code stores a return code for each access of the region" (K4 "Return the ssch CC code"); vfio_ccw_ops.c vfio_ccw_mdev_write_io_region: mutex_trylock, copy_from_user, vfio_ccw_fsm_event(IO_REQ), ` +
    '`ret = (region->ret_code != 0) ? region->ret_code : count`, mutex_unlock, return: no handler of vfio_ccw_jumptable waits (fsm_io_request issues ssch and returns, the I/O ends in an interruption), so every write() that got past its trylock returns',
  kind: 'leadsTo',
  instances: ({ context }) => context.writers.map((_, w) => ({ w })),
  p: ({ context }, { w }) => inWrite(context, w!),
  q: ({ context }, { w }) => !inWrite(context, w!),
};

export const IrbCopiedToRegion: LivenessProperty<CcwContext> = {
  name: 'IrbCopiedToRegion',
  cite: `${DOC}: K5 "Interrupt handler gets the I/O result and write the result to the I/O region." K6 "Signal QEMU to retrieve the result."; vfio_ccw_fsm.c fsm_irq queue_work(vfio_ccw_work_q, &private->io_work), vfio_ccw_drv.c vfio_ccw_sch_io_todo: memcpy(private->io_region->irb_area, irb) under io_mutex, eventfd_signal(io_trigger): an interruption queued for io_work reaches the region`,
  kind: 'leadsTo',
  p: ({ context }) => context.irb !== 'none',
  q: ({ context }) => context.irb === 'none',
};

/**
 * The liveness properties of a version in a configuration. WriteReturns only where the bounds enumerate an ssch that fails
 * (cc1-cc3 or cp_prefetch): with cc0 alone (irbs, two-writers, io-todo-race) a writer whose subchannel is busy or disabled
 * has no answer until the hardware ends the function, which it need not do (a channel program may run for ever).
 * IrbCopiedToRegion only for the single private->irb of the kernels (and the planted bugs without the queue): with the
 * irbQueue design interruptions may keep the queue non-empty for ever while io_work copies each one, and the state does not
 * tell one queued IRB from the next; and not where io_todo is a thread (io-todo-race, irb-race): its mutex_lock against a writer that
 * takes io_mutex again and again needs strong fairness (the Linux mutex's handoff to a waiter), which weak fairness does not give.
 */
export function ccwLiveness(v: CcwVersion, b: CcwBounds): LivenessProperty<CcwContext>[] {
  return [...(b.results.some((r) => r !== 'cc0') ? [WriteReturns] : []), ...(v.irbQueue || b.ioTodoSteps ? [] : [IrbCopiedToRegion])];
}
