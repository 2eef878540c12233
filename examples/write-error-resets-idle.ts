// vfio-ccw: what if vfio_ccw_mdev_write_io_region set the FSM back to IDLE whenever the I/O
// region's ret_code is an error, as v4.19 did, on top of v6.2? A request refused while a
// channel program is still in flight (-EBUSY) drops the FSM to IDLE under it.
import { defineVariant } from 's390-kvm-spec';

export default defineVariant({
  machine: 'vfio_ccw_private',
  base: 'v6.2',
  description: 'write() resets the FSM to IDLE on any ret_code error',
  configurations: ['one-writer'],
  // v6.2's own findings in one-writer (its variant's list), and the patch's: IDLE while the channel program is still in flight
  expectedViolations: [
    'NoCpFreeWhileProcessing', 'NoCpWithoutIo', 'CpFreedOnlyWhenIoDone', 'IrbEndsOnlyItsOwnProgram', 'EveryIrbReachesRegion', 'IoEbusyMeansBusy', 'NotOperIsADeadEnd',
    'NoStaleCpInIdle',
  ],
  guards: {
    // drivers/s390/cio/vfio_ccw_ops.c vfio_ccw_mdev_write_io_region: `if (region->ret_code != 0) private->state = VFIO_CCW_STATE_IDLE;`
    ret_code_resets_idle: ({ context, event }) => context.writers[event.w] === 'copied' && context.ret !== 'count',
  },
});
