// Configurations of the vfio-ccw subchannel machine: how many concurrent writers of the
// io_region there are, and which outcomes the kernel cannot choose (cp_prefetch failure,
// the SSCH/HSCH/CSCH condition codes, the kind of IRB the hardware presents) the
// exploration enumerates as event payloads.

/**
 * The rest of fsm_io_request after cp_init: cp_prefetch's result and the SSCH condition code; cc 3
 * with another channel path left (`cc3`: fsm_io_helper masks the failed path, -EACCES) or on the
 * last one (`cc3-nopath`: sch->lpm becomes 0, -ENODEV).
 */
export type IoResult = 'cc0' | 'cc1' | 'cc2' | 'cc3' | 'cc3-nopath' | 'cp_prefetch';
/**
 * The request userspace copies into the io_region (scsw_area, orb_area), abstracted to what
 * fsm_io_request and cp_init branch on: a start function with a supported channel program
 * (`start`), the ORB's transport-mode bit (`tm`), a halt or clear function in the SCSW (`halt`),
 * a CCW chain longer than CCWCHAIN_LEN_MAX (`long`: ccwchain_calc_length, -EINVAL).
 */
export type Orb = 'start' | 'tm' | 'halt' | 'long';
/**
 * What the hardware presents in the IRB: the final status of a start/halt/clear function (solicited,
 * no device or subchannel active), intermediate status of a running start function (solicited,
 * still active: a PCI or a suspended program), or unsolicited status (no function pending).
 */
export type Irb = 'final' | 'unsolicited' | 'intermediate';
export type AsyncCmd = 'HSCH' | 'CSCH';

export interface CcwBounds {
  /** Userspace threads that may be inside write() of the io_region at the same time. */
  writers: number;
  results: readonly IoResult[];
  /** the requests a writer copies in (default: `start` only) */
  orbs?: readonly Orb[];
  irbs: readonly Irb[];
  /** (command, condition code) pairs of a write to the async cmd region (v5.2+). */
  asyncs: readonly { cmd: AsyncCmd; cc: number }[];
  /** cio_enable_subchannel outcomes in fsm_open (v6+). */
  enable: readonly ('ok' | 'fail')[];
  /** VFIO_DEVICE_RESET as a thread of steps (machines/kthread.ts) instead of one atomic event (versions that have it) */
  resetSteps?: boolean;
  /** vfio_ccw_sch_io_todo as a thread of steps (its unlocked CP_PENDING test, the io_mutex section, its IDLE store) instead of one atomic event */
  ioTodoSteps?: boolean;
  /** vfio_ccw_sch_event finds the subchannel gone (cio_update_schib fails); default true; 'idle': only while no write() is in progress */
  schibGone?: boolean | 'idle';
  /** userspace opens the device and keeps it open: no close_device (v6; the kernels before it keep their mdev create/remove) */
  keepsOpen?: boolean;
  /** the hardware presents the next interruption only once io_work has taken the last (the work queue keeps up): private->irb is never overwritten */
  oneIrb?: boolean;
  /**
   * A userspace that waits for each result (QEMU as the guest drives it): it closes or resets the
   * device only with no write in progress and no interruption queued for it (it read the last
   * result, signalled through the io eventfd), and halts or clears only a channel program it
   * started that is still running. The races of the findings need the opposite; this is the
   * configuration where the baseline keeps the lifetime properties, so a mutant that breaks
   * them again is seen. A halt or clear whose condition code is not 0 starts nothing and may come at any time.
   */
  orderly?: boolean;
}

export interface CcwConfiguration {
  id: string;
  description: string;
  bounds: CcwBounds;
}

export const configurations: readonly CcwConfiguration[] = [
  {
    id: 'one-writer',
    description: 'one userspace thread writing the io_region (QEMU serialises guest SSCHs), SSCH cc0/cc2, final and unsolicited IRBs, HSCH cc0, cio_enable_subchannel ok/fail',
    bounds: {
      writers: 1,
      results: ['cc0', 'cc2'],
      irbs: ['final', 'unsolicited'],
      asyncs: [{ cmd: 'HSCH', cc: 0 }],
      enable: ['ok', 'fail'],
    },
  },
  {
    id: 'ret',
    description: 'what write() returns: one writer, SSCH cc0/cc2, final IRBs only, HSCH cc0, cio_enable_subchannel ok (the home of the return-code planted bugs)',
    bounds: {
      writers: 1,
      results: ['cc0', 'cc2'],
      irbs: ['final'],
      asyncs: [{ cmd: 'HSCH', cc: 0 }],
      enable: ['ok'],
    },
  },
  {
    id: 'irbs',
    description: 'one writer, SSCH cc0, final, intermediate and unsolicited IRBs, HSCH and CSCH cc0, cio_enable_subchannel ok: which program each interruption belongs to',
    bounds: {
      writers: 1,
      results: ['cc0'],
      irbs: ['final', 'intermediate', 'unsolicited'],
      asyncs: [
        { cmd: 'HSCH', cc: 0 },
        { cmd: 'CSCH', cc: 0 },
      ],
      enable: ['ok'],
    },
  },
  {
    id: 'two-writers',
    description: 'two userspace threads writing the io_region, SSCH cc0 only, final and unsolicited IRBs, HSCH cc0, cio_enable_subchannel ok',
    bounds: {
      writers: 2,
      results: ['cc0'],
      irbs: ['final', 'unsolicited'],
      asyncs: [{ cmd: 'HSCH', cc: 0 }],
      enable: ['ok'],
    },
  },
  {
    id: 'orderly',
    description: 'a userspace that waits for each result: one writer, SSCH cc0/cc2, final IRBs only, HSCH and CSCH cc0 of a running program, close and VFIO_DEVICE_RESET only with no write in progress and no IRB queued, the subchannel never found gone, cio_enable_subchannel ok/fail (the baseline keeps every property here)',
    bounds: {
      writers: 1,
      results: ['cc0', 'cc2'],
      irbs: ['final'],
      asyncs: [
        { cmd: 'HSCH', cc: 0 },
        { cmd: 'CSCH', cc: 0 },
      ],
      enable: ['ok', 'fail'],
      schibGone: false,
      orderly: true,
    },
  },
  {
    id: 'orderly-hw',
    description:
      'an orderly userspace (as orderly) against every hardware outcome the machine has: SSCH cc0/cc1/cc2/cc3 and a cp_prefetch failure, final, intermediate and unsolicited IRBs (the next one only once io_work took the last), HSCH cc0-cc3 and CSCH cc0/cc3, cio_enable_subchannel ok/fail, the subchannel found gone while no write is in progress (the baseline keeps every property here)',
    bounds: {
      writers: 1,
      results: ['cc0', 'cc1', 'cc2', 'cc3', 'cp_prefetch'],
      irbs: ['final', 'intermediate', 'unsolicited'],
      asyncs: [
        { cmd: 'HSCH', cc: 0 },
        { cmd: 'HSCH', cc: 1 },
        { cmd: 'HSCH', cc: 2 },
        { cmd: 'HSCH', cc: 3 },
        { cmd: 'CSCH', cc: 0 },
        { cmd: 'CSCH', cc: 3 },
      ],
      enable: ['ok', 'fail'],
      schibGone: 'idle',
      orderly: true,
      oneIrb: true,
    },
  },
  {
    id: 'reset-race',
    description: 'VFIO_DEVICE_RESET step by step (kthread): CLOSE and OPEN as two steps of a reset thread, io_mutex a lock with an owner, against one writer, SSCH cc0/cc2, final and unsolicited IRBs, HSCH cc0, cio_enable_subchannel ok',
    bounds: {
      writers: 1,
      results: ['cc0', 'cc2'],
      irbs: ['final', 'unsolicited'],
      asyncs: [{ cmd: 'HSCH', cc: 0 }],
      enable: ['ok'],
      resetSteps: true,
    },
  },
  {
    id: 'io-todo-race',
    description: 'vfio_ccw_sch_io_todo step by step (kthread) against VFIO_DEVICE_RESET step by step: two threads, one writer, SSCH cc0, final IRBs only, no async command, cio_enable_subchannel ok, the subchannel never gone: what io_todo\'s IDLE store after its unlocked CP_PENDING test overwrites',
    bounds: {
      writers: 1,
      results: ['cc0'],
      irbs: ['final'],
      asyncs: [],
      enable: ['ok'],
      resetSteps: true,
      ioTodoSteps: true,
      schibGone: false,
    },
  },
  {
    id: 'irb-race',
    description: 'vfio_ccw_sch_io_todo step by step (kthread) against the next interruption: one thread, one writer, SSCH cc0, final, intermediate and unsolicited IRBs, no async command, a device opened and kept open (no close, no VFIO_DEVICE_RESET), cio_enable_subchannel ok, the subchannel never gone: what fsm_irq\'s memcpy over private->irb does between io_todo\'s test and its copy to the region',
    bounds: {
      writers: 1,
      results: ['cc0'],
      irbs: ['final', 'intermediate', 'unsolicited'],
      asyncs: [],
      enable: ['ok'],
      ioTodoSteps: true,
      schibGone: false,
      keepsOpen: true,
    },
  },
  {
    id: 'errors',
    description:
      'what the io_region write returns for requests the driver refuses and for a device that is gone: an orderly userspace (as orderly) writing a supported start, a transport-mode ORB, a halt function in the SCSW or a chain longer than CCWCHAIN_LEN_MAX; SSCH cc0, cc3 with a path left and on the last path, a cp_prefetch failure; final IRBs; no async command; cio_enable_subchannel ok; the subchannel never found gone',
    bounds: {
      writers: 1,
      results: ['cc0', 'cc3', 'cc3-nopath', 'cp_prefetch'],
      orbs: ['start', 'tm', 'halt', 'long'],
      irbs: ['final'],
      asyncs: [],
      enable: ['ok'],
      schibGone: false,
      orderly: true,
    },
  },
];
