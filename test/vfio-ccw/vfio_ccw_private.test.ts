import { describe, expect, it } from 'vitest';
import { getInitialSnapshot, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { explore, traceTo } from '../../src/check/explore.ts';
import { jumptableNames, type CcwKernel } from '../../src/sut/vfio_ccw.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import { CCW_FLAG, fsmEvent, type CcwContext } from '../../machines/vfio-ccw/vfio_ccw_private.machine.ts';
import { variants } from '../../machines/vfio-ccw/vfio_ccw_private.variants.ts';

function drive(variant: string, configuration: string, events: (EventObject & Record<string, unknown>)[]): AnyMachineSnapshot {
  const m = vfioCcwPrivate.model(variant, configuration);
  let snap = getInitialSnapshot(m.machine);
  for (const e of events) [snap] = transition(m.machine, snap, e);
  return snap;
}

const write = (w = 0) => [{ type: 'vfio_ccw_mdev_write', w }, { type: 'copy_from_user', w }];
const ssch = (result: string, w = 0) => ({ type: 'fsm_io_helper', w, result });
/** The machine's context in a snapshot. */
const c = (s: AnyMachineSnapshot) => s.context as CcwContext;
/** The invariants of the model that fail in this snapshot. */
const failing = (variant: string, configuration: string, s: AnyMachineSnapshot) =>
  vfioCcwPrivate
    .model(variant, configuration)
    .invariants.filter((i) => !i.holds({ value: s.value, context: c(s) }))
    .map((i) => i.name);

describe('vfio_ccw_private jump table', () => {
  it.each(variants.filter((v) => v.sut).map((v) => [v.id, v.sut!] as const))('%s: every state handles every FSM event, with the handler the SUT transcription names', (id, k: CcwKernel) => {
    const m = vfioCcwPrivate.model(id);
    const v = variants.find((x) => x.id === id)!.version;
    const sut = jumptableNames(k);
    expect(Object.keys(m.machine.states)).toEqual([...v.states]);
    for (const s of v.states) {
      const on = m.machine.states[s]!.config.on as Record<string, unknown>;
      for (const e of v.events) {
        const cell = on[fsmEvent(e)];
        expect(cell, `${s} x ${e}`).toBeDefined();
        const first = (Array.isArray(cell) ? cell[cell.length - 1] : cell) as { actions: string | { type: string } };
        expect(typeof first.actions === 'string' ? first.actions : first.actions.type, `${s} x ${e}`).toBe(sut[s]![e]);
      }
      expect(Object.keys(sut[s]!).sort()).toEqual([...v.events].sort());
    }
  });
});

describe('vfio_ccw_private variants', () => {
  it('two writers break OneRequestInProcessing in v4.19 but not in the serialised Morel v3 design', () => {
    const v419 = explore(vfioCcwPrivate.model('v4.19', 'two-writers'));
    expect(v419.violations.has('OneRequestInProcessing')).toBe(true);
    const morel = explore(vfioCcwPrivate.model('morel-v3', 'two-writers'));
    expect(morel.violations.has('OneRequestInProcessing')).toBe(false);
  });
});

describe('what write() of the io_region returns (checked by hand against the kernel code)', () => {
  const started = [{ type: 'vfio_ccw_mdev_create' }, ...write(), ssch('cc0')];
  it('v4.19: a write while BUSY fails the state != IDLE pre-check with -EACCES and leaves BUSY', () => {
    const s = drive('v4.19', 'one-writer', [...started, { type: 'vfio_ccw_mdev_write', w: 0 }]);
    expect(s.value).toBe('BUSY');
    expect((s.context as CcwContext).ret).toBe('-EACCES');
  });
  it('v5.2: a write while CP_PENDING gets -EBUSY from fsm_io_busy and the write handler resets IDLE with the I/O running', () => {
    const s = drive('v5.2', 'one-writer', [...started, ...write()]);
    expect(s.value).toBe('IDLE');
    expect((s.context as CcwContext).ret).toBe('-EBUSY');
    expect((s.context as CcwContext).busy).toBe(true);
    // the next write builds a second channel program over the live one
    const t = drive('v5.2', 'one-writer', [...started, ...write(), ...write()]);
    expect(t.value).toBe('CP_PROCESSING');
    expect((t.context as CcwContext).faults & 1).toBe(1);
  });
  it('v5.14: the same write gets -EBUSY and CP_PENDING stays', () => {
    const s = drive('v5.14', 'one-writer', [...started, ...write()]);
    expect(s.value).toBe('CP_PENDING');
    expect((s.context as CcwContext).ret).toBe('-EBUSY');
  });
  it('v6.2: a second writer gets -EAGAIN from mutex_trylock; after NOT_OPER a write gets -EIO from fsm_io_error', () => {
    const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
    const s = drive('v6.2', 'two-writers', [open, { type: 'vfio_ccw_mdev_write', w: 0 }, { type: 'vfio_ccw_mdev_write', w: 1 }]);
    expect((s.context as CcwContext).ret).toBe('-EAGAIN');
    const t = drive('v6.2', 'one-writer', [open, { type: 'vfio_ccw_sch_event', schib: 'gone' }, ...write()]);
    expect(t.value).toBe('NOT_OPER');
    expect((t.context as CcwContext).ret).toBe('-EIO');
  });
});

describe('the races behind the expected violations, step by step (traced by hand through the kernel code)', () => {
  const ctx = (s: AnyMachineSnapshot) => s.context as CcwContext;
  it('v4.19: io_todo of a stale unsolicited IRB sets IDLE under a running program; the next write re-inits the live cp', () => {
    const s = drive('v4.19', 'one-writer', [
      { type: 'vfio_ccw_sch_irq', irb: 'unsolicited' }, // STANDBY: fsm_irq queues io_work
      { type: 'vfio_ccw_mdev_create' },
      ...write(),
      ssch('cc0'),
      { type: 'vfio_ccw_sch_io_todo' }, // !solicited: no cp_free; mdev && is_final: IDLE
    ]);
    expect(s.value).toBe('IDLE');
    expect(ctx(s).busy && ctx(s).cp).toBe(true);
    const t = drive('v4.19', 'one-writer', [
      { type: 'vfio_ccw_sch_irq', irb: 'unsolicited' },
      { type: 'vfio_ccw_mdev_create' },
      ...write(),
      ssch('cc0'),
      { type: 'vfio_ccw_sch_io_todo' },
      ...write(),
    ]);
    expect(t.value).toBe('BOXED');
    expect(ctx(t).faults).toBe(1);
  });
  const revived = [
    { type: 'vfio_ccw_mdev_create' },
    ...write(),
    ssch('cc0'),
    { type: 'vfio_ccw_sch_event', schib: 'gone' }, // fsm_notoper: NOT_OPER, cp kept (to v5.19)
    { type: 'vfio_ccw_sch_irq', irb: 'final' }, // NOT_OPER: fsm_disabled_irq, the IRB is dropped
    { type: 'vfio_ccw_sch_event', schib: 'ok' }, // revival: mdev ? IDLE : STANDBY
  ];
  it('v5.14: after NOT_OPER and revival the cp stays initialised, so cp_init refuses every request with -EBUSY', () => {
    const s = drive('v5.14', 'one-writer', revived);
    expect(s.value).toBe('IDLE');
    expect(ctx(s).cp).toBe(true);
    const t = drive('v5.14', 'one-writer', [...revived, ...write()]);
    expect(t.value).toBe('IDLE');
    expect(ctx(t).ret).toBe('-EBUSY');
  });
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
  it('v6.2: NOT_OPER while fsm_io_request runs frees its cp, and err_out turns NOT_OPER back into IDLE', () => {
    const s = drive('v6.2', 'one-writer', [open, ...write(), { type: 'vfio_ccw_sch_event', schib: 'gone' }]);
    expect(s.value).toBe('NOT_OPER');
    expect(ctx(s).faults).toBe(2);
    const t = drive('v6.2', 'one-writer', [open, ...write(), { type: 'vfio_ccw_sch_event', schib: 'gone' }, ssch('cc0')]);
    expect(t.value).toBe('IDLE'); // cp_prefetch: !cp->initialized -> -EINVAL, err_out
    expect(ctx(t).ret).toBe('-EINVAL');
  });
  it('v6 with notoper_work: the cp survives until the work runs under io_mutex, but fsm_io_helper still overwrites NOT_OPER with CP_PENDING', () => {
    const s = drive('v6-notoper-work', 'one-writer', [open, ...write(), { type: 'vfio_ccw_sch_event', schib: 'gone' }, ssch('cc0')]);
    expect(s.value).toBe('CP_PENDING');
    expect(ctx(s).faults).toBe(0);
    expect(ctx(s).notoperWork).toBe(true);
  });
});


describe('which program an interruption belongs to (issue 13), traced by hand through v6.17-rc4', () => {
  const ctx = (s: AnyMachineSnapshot) => s.context as CcwContext;
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
  const irq = (irb: string) => ({ type: 'vfio_ccw_sch_irq', irb });
  const todo = { type: 'vfio_ccw_sch_io_todo' };
  it('v6.2: a halt\'s late final status ends the program started after it: cp_free under the running I/O, IDLE', () => {
    const s = drive('v6.2', 'one-writer', [open, { type: 'vfio_ccw_async_region_write', cmd: 'HSCH', cc: 0 }, ...write(), irq('final'), ssch('cc0')]);
    // the halt's status is queued (io_work late) while the new program runs
    expect(s.value).toBe('CP_PENDING');
    expect(ctx(s)).toMatchObject({ cp: true, busy: true, startOwn: true, irb: 'final', irbOwn: false });
    const t = drive('v6.2', 'one-writer', [open, { type: 'vfio_ccw_async_region_write', cmd: 'HSCH', cc: 0 }, ...write(), irq('final'), ssch('cc0'), todo]);
    // io_todo: solicited, final, state CP_PENDING -> cp_free, IDLE
    expect(t.value).toBe('IDLE');
    expect(ctx(t)).toMatchObject({ cp: false, busy: true });
    expect(ctx(t).flags & (CCW_FLAG.CP_FREE_WHILE_IO | CCW_FLAG.STALE_IRB_ENDS_CP)).toBe(CCW_FLAG.CP_FREE_WHILE_IO | CCW_FLAG.STALE_IRB_ENDS_CP);
    const f = drive('fixed', 'one-writer', [open, { type: 'vfio_ccw_async_region_write', cmd: 'HSCH', cc: 0 }, ...write(), irq('final'), ssch('cc0'), todo]);
    expect(f.value).toBe('CP_PENDING');
    expect(ctx(f)).toMatchObject({ cp: true, busy: true, flags: 0 });
  });
  it('v6.2: a program\'s final status queued across close and open ends the next program', () => {
    // fsm_close: cio_disable_subchannel succeeds on the idle subchannel, so io_work is not flushed
    const events = [open, ...write(), ssch('cc0'), irq('final'), { type: 'vfio_ccw_mdev_close_device' }, open, ...write(), ssch('cc0'), todo];
    const s = drive('v6.2', 'one-writer', events);
    expect(s.value).toBe('IDLE');
    expect(ctx(s)).toMatchObject({ cp: false, busy: true });
    expect(ctx(s).flags & CCW_FLAG.STALE_IRB_ENDS_CP).toBe(CCW_FLAG.STALE_IRB_ENDS_CP);
  });
  it('v6.2: VFIO_DEVICE_RESET (CLOSE, OPEN, no io_mutex) during a write frees the program being built', () => {
    const s = drive('v6.2', 'one-writer', [open, ...write(), { type: 'vfio_ccw_mdev_reset', enable: 'ok' }]);
    expect(s.value).toBe('IDLE');
    expect(ctx(s).faults & 2).toBe(2);
  });
  it('v6.2: an unsolicited interruption before io_work runs overwrites the final status: the program never ends', () => {
    const s = drive('v6.2', 'one-writer', [open, ...write(), ssch('cc0'), irq('final'), irq('unsolicited')]);
    expect(ctx(s).flags & CCW_FLAG.IRB_LOST).toBe(CCW_FLAG.IRB_LOST);
    const t = drive('v6.2', 'one-writer', [open, ...write(), ssch('cc0'), irq('final'), irq('unsolicited'), todo, ...write()]);
    // io_todo saw unsolicited status: no cp_free, CP_PENDING stays; the next request gets -EBUSY with nothing busy
    expect(t.value).toBe('CP_PENDING');
    expect(ctx(t)).toMatchObject({ cp: true, busy: false, irb: 'none', ret: '-EBUSY' });
    expect(ctx(t).flags & CCW_FLAG.EBUSY).toBe(CCW_FLAG.EBUSY);
    const f = drive('fixed', 'one-writer', [open, ...write(), ssch('cc0'), irq('final'), irq('unsolicited'), todo, todo]);
    expect(f.value).toBe('IDLE');
    expect(ctx(f)).toMatchObject({ cp: false, irb: 'none' });
  });
  it('intermediate status keeps the program; the planted bug that ignores is_final ends it under the running I/O', () => {
    const s = drive('v6.2', 'irbs', [open, ...write(), ssch('cc0'), irq('intermediate'), todo]);
    expect(s.value).toBe('CP_PENDING');
    expect(ctx(s)).toMatchObject({ cp: true, busy: true });
    const b = drive('bug-io-todo-ignores-is-final', 'irbs', [open, ...write(), ssch('cc0'), irq('intermediate'), todo]);
    expect(b.value).toBe('IDLE');
    expect(ctx(b).flags & (CCW_FLAG.INTERMEDIATE_ENDS_CP | CCW_FLAG.CP_FREE_WHILE_IO)).toBe(CCW_FLAG.INTERMEDIATE_ENDS_CP | CCW_FLAG.CP_FREE_WHILE_IO);
  });
  it('v4.19: a write outside IDLE gets -EACCES, which vfio-ccw.rst reserves for channel paths that are not operational', () => {
    const s = drive('v4.19', 'one-writer', [{ type: 'vfio_ccw_mdev_create' }, ...write(), ssch('cc0'), { type: 'vfio_ccw_mdev_write', w: 0 }]);
    expect(ctx(s).ret).toBe('-EACCES');
    expect(ctx(s).flags & CCW_FLAG.EACCES).toBe(CCW_FLAG.EACCES);
  });
});

describe('reset-race: VFIO_DEVICE_RESET as a thread of steps (machines/kthread.ts) against a write', () => {
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
  const step = (at: string) => ({ type: `vfio_ccw_mdev_reset@${at}`, thread: 'reset' });
  const fsm = (s: AnyMachineSnapshot) => (s.value as { fsm: string }).fsm;

  it('v6.2: CLOSE frees the program being built; the write ends in IDLE (err_out); the OPEN finds IDLE and fsm_notoper kills the device', () => {
    // traced by hand: vfio_ccw_mdev_write_io_region holds io_mutex inside fsm_io_request (cp_init done,
    // CP_PROCESSING); vfio_ccw_mdev_reset takes no lock: fsm_close disables, cp_free, STANDBY; the writer's
    // cp_prefetch finds cp->initialized clear: -EINVAL, err_out: IDLE; vfio_ccw_jumptable[IDLE][OPEN] is fsm_notoper
    let s = drive('v6.2', 'reset-race', [open, ...write(), step('vfio_ccw_fsm_event(CLOSE)')]);
    expect(fsm(s)).toBe('STANDBY');
    expect(c(s)).toMatchObject({ cp: false, ena: false, writers: ['request'] });
    expect(c(s).faults & 2).toBe(2);
    s = drive('v6.2', 'reset-race', [open, ...write(), step('vfio_ccw_fsm_event(CLOSE)'), ssch('cc2'), step('vfio_ccw_fsm_event(OPEN)')]);
    expect(fsm(s)).toBe('NOT_OPER');
    expect(c(s)).toMatchObject({ dead: true, ret: '-EINVAL', writers: ['none'] });
    expect(c(s).flags & CCW_FLAG.OPEN_CLOSE_OUT_OF_ORDER).toBe(CCW_FLAG.OPEN_CLOSE_OUT_OF_ORDER);
    // the atomic reset of the coarse configurations cannot show it: CLOSE and OPEN run before the write goes on
    const coarse = drive('v6.2', 'one-writer', [open, ...write(), { type: 'vfio_ccw_mdev_reset', enable: 'ok' }, ssch('cc2')]);
    expect(coarse.value).toBe('IDLE');
    expect(c(coarse).flags & CCW_FLAG.OPEN_CLOSE_OUT_OF_ORDER).toBe(0);
  });

  it('the coarse reset runs OPEN after the NOT_OPER that fsm_close fires inside CLOSE (the kernel\'s nesting): no OPEN in IDLE', () => {
    // a reset fails to enable (NOT_OPER), the write's err_out turns it back into IDLE with the subchannel disabled;
    // the next reset: fsm_close finds it disabled and fires NOT_OPER before vfio_ccw_mdev_reset fires OPEN
    const s = drive('v6.2', 'one-writer', [open, ...write(), { type: 'vfio_ccw_mdev_reset', enable: 'fail' }, ssch('cc2'), { type: 'vfio_ccw_mdev_reset', enable: 'ok' }]);
    expect(s.value).toBe('NOT_OPER');
    expect(c(s).flags & CCW_FLAG.OPEN_CLOSE_OUT_OF_ORDER).toBe(0);
  });

  it('fixed: the reset waits for io_mutex while a write holds it, and a write gets -EAGAIN from mutex_trylock while the reset holds it', () => {
    let s = drive('fixed', 'reset-race', [open, ...write(), step('mutex_lock(private->io_mutex)')]);
    expect((s.value as { reset: string }).reset).toBe('idle');
    expect(c(s).threads!.locks['private->io_mutex']).toBe(null);
    s = drive('fixed', 'reset-race', [open, step('mutex_lock(private->io_mutex)'), { type: 'vfio_ccw_mdev_write', w: 0 }]);
    expect(c(s).threads!.locks['private->io_mutex']).toBe('reset');
    expect(c(s)).toMatchObject({ ret: '-EAGAIN', writers: ['none'], mutex: -1 });
  });

  it.each([
    ['v6.2', ['NoCpFreeWhileProcessing', 'NotOperIsADeadEnd', 'IoEbusyMeansBusy', 'EveryIrbReachesRegion', 'NoCpWithoutIo', 'IrbEndsOnlyItsOwnProgram', 'CpFreedOnlyWhenIoDone', 'OpenCloseInOrder']],
    ['fixed', []],
    ['bug-reset-lock-after-close', ['NoCpFreeWhileProcessing', 'OpenCloseInOrder']],
  ] as const)('%s: exactly these violations in reset-race, the locking rules kept', (id, expected) => {
    const m = vfioCcwPrivate.model(id, 'reset-race');
    expect([...m.expectedViolations].sort()).toEqual([...expected].sort());
    // that the exploration finds exactly its expectation: test/machines/seed-areas.test.ts (its check of this variant in reset-race)
  });

  it('a kernel without VFIO_DEVICE_RESET has no reset-race, and the planted reset bug no coarse configuration: one-line errors', () => {
    expect(() => vfioCcwPrivate.model('v5.14', 'reset-race')).toThrow(/^variant 'v5.14' of vfio_ccw_private exists only in configuration one-writer, ret, irbs, two-writers, orderly, orderly-hw, not 'reset-race'$/);
    expect(() => vfioCcwPrivate.model('bug-reset-lock-after-close', 'one-writer')).toThrow(/exists only in configuration reset-race, not 'one-writer'/);
  });
});

describe('orderly: a userspace that waits for each result keeps the baseline\'s lifetime properties', () => {
  it('v6.2 violates nothing there (the mutation analysis sees the lifetime properties break), and the kernels\' own bugs stay', () => {
    const m = vfioCcwPrivate.model('v6.2', 'orderly');
    const x = explore(m);
    expect(x.limitReached).toBe(false);
    expect([...x.violations.keys()]).toEqual([]);
    expect(x.states.length).toBeLessThan(200);
    expect([...explore(vfioCcwPrivate.model('v5.2', 'orderly')).violations.keys()].sort()).toEqual(
      ['NoStaleCpInIdle', 'NoCpLeak', 'EveryIrbReachesRegion', 'NoCpWithoutIo', 'IrbEndsOnlyItsOwnProgram', 'CpFreedOnlyWhenIoDone'].sort(),
    );
  });

  it('close and reset wait until no IRB is queued, HSCH/CSCH only halt a running program, the subchannel is never gone', () => {
    const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
    const irq = { type: 'vfio_ccw_sch_irq', irb: 'final' };
    const m = vfioCcwPrivate.model('v6.2', 'orderly');
    expect(m.events.some((e) => e.type === 'vfio_ccw_sch_event')).toBe(false);
    // a halt on an idle subchannel is not written
    let s = drive('v6.2', 'orderly', [open, { type: 'vfio_ccw_async_region_write', cmd: 'HSCH', cc: 0 }]);
    expect((s.context as CcwContext).asyncRet).toBe('');
    // a final status queued: close_device waits for io_todo
    s = drive('v6.2', 'orderly', [open, ...write(), ssch('cc0'), irq, { type: 'vfio_ccw_mdev_close_device' }]);
    expect(s.value).toBe('CP_PENDING');
    s = drive('v6.2', 'orderly', [open, ...write(), ssch('cc0'), irq, { type: 'vfio_ccw_sch_io_todo' }, { type: 'vfio_ccw_mdev_close_device' }]);
    expect(s.value).toBe('STANDBY');
  });
});

describe('orderly-hw: every hardware outcome against an orderly userspace; the region return codes (issue 13)', () => {
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
  const irq = (irb: string) => ({ type: 'vfio_ccw_sch_irq', irb });
  const todo = { type: 'vfio_ccw_sch_io_todo' };
  const cmd = (c: string, cc: number) => ({ type: 'vfio_ccw_async_region_write', cmd: c, cc });
  const RET_BITS = CCW_FLAG.RET_STORED | CCW_FLAG.RET_NOT_STORED | CCW_FLAG.ASYNC_STORED;

  it('v6.2 keeps every property there (592 states), and so does the fixed design', () => {
    const x = explore(vfioCcwPrivate.model('v6.2', 'orderly-hw'));
    expect(x.limitReached).toBe(false);
    expect(x.states.length).toBe(592);
    expect([...x.violations.keys()]).toEqual([]);
    expect([...explore(vfioCcwPrivate.model('fixed', 'orderly-hw')).violations.keys()]).toEqual([]);
  });

  it('the hardware presents one interruption at a time; a halt with cc != 0 may come any time; the subchannel is gone only between writes', () => {
    const m = vfioCcwPrivate.model('v6.2', 'orderly-hw');
    expect(m.events.filter((e) => e.type === 'fsm_io_helper').map((e) => (e as { result?: string }).result)).toEqual(['cc0', 'cc1', 'cc2', 'cc3', 'cp_prefetch']);
    // an intermediate IRB queued: the final status waits for io_work
    let s = drive('v6.2', 'orderly-hw', [open, ...write(), ssch('cc0'), irq('intermediate'), irq('final')]);
    expect(c(s)).toMatchObject({ irb: 'intermediate', busy: true });
    // intermediate status leaves the program running (is_final false in vfio_ccw_sch_io_todo); the final status ends it
    s = drive('v6.2', 'orderly-hw', [open, ...write(), ssch('cc0'), irq('intermediate'), todo]);
    expect(s.value).toBe('CP_PENDING');
    expect(c(s)).toMatchObject({ cp: true, busy: true, startOwn: true, irb: 'none' });
    s = drive('v6.2', 'orderly-hw', [open, ...write(), ssch('cc0'), irq('intermediate'), todo, irq('final'), todo]);
    expect(s.value).toBe('IDLE');
    expect(c(s)).toMatchObject({ cp: false, busy: false, irb: 'none', flags: 0 });
    // HSCH cc1 on an idle subchannel: -EBUSY, nothing started (fsm_do_halt `case 1: case 2: ret = -EBUSY`)
    s = drive('v6.2', 'orderly-hw', [open, cmd('HSCH', 1)]);
    expect(c(s)).toMatchObject({ asyncRet: '-EBUSY', busy: false, flags: 0 });
    // but not a halt with cc0 there (finding 1)
    s = drive('v6.2', 'orderly-hw', [open, cmd('HSCH', 0)]);
    expect(c(s).asyncRet).toBe('');
    // the subchannel is not found gone while the writer is inside fsm_io_request
    s = drive('v6.2', 'orderly-hw', [open, ...write(), { type: 'vfio_ccw_sch_event', schib: 'gone' }]);
    expect(s.value).toBe('CP_PROCESSING');
    s = drive('v6.2', 'orderly-hw', [open, ...write(), ssch('cc0'), { type: 'vfio_ccw_sch_event', schib: 'gone' }]);
    expect(s.value).toBe('NOT_OPER');
    expect(c(s)).toMatchObject({ cp: false, busy: false, dead: true });
  });

  it('RetCodePerAccess: every IO_REQ handler stores this access\'s code; fsm_nop in CP_PENDING returns userspace\'s zero (bug-pending-io-nop)', () => {
    // v6.2: open, a started program, its final status (CP_PENDING until io_work), a second write: fsm_io_busy stores -EBUSY
    const path = [open, ...write(), ssch('cc0'), irq('final'), ...write()];
    let s = drive('v6.2', 'ret', path);
    expect(s.value).toBe('CP_PENDING');
    expect(c(s)).toMatchObject({ ret: '-EBUSY', writers: ['none'], mutex: -1 });
    expect(c(s).flags & (RET_BITS | CCW_FLAG.SUCCESS | CCW_FLAG.EBUSY)).toBe(0);
    // the planted table cell: nothing stored, write() returns region->ret_code == 0 -> count, with nothing started (busy false)
    s = drive('bug-pending-io-nop', 'ret', path);
    expect(c(s)).toMatchObject({ ret: 'count', busy: false, writers: ['none'] });
    expect(c(s).flags).toBe(CCW_FLAG.RET_NOT_STORED | CCW_FLAG.SUCCESS);
    const m = vfioCcwPrivate.model('bug-pending-io-nop', 'ret');
    const x = explore(m);
    expect([...x.violations.keys()].sort()).toEqual(['IoSuccessMeansStarted', 'RetCodePerAccess']);
    // shortest: open, write, copy, SSCH cc0, write, copy (the first write's count comes back while its program runs: only
    // RetCodePerAccess sees it); IoSuccessMeansStarted needs the final IRB first (busy no more): the path above, 7 steps
    expect(traceTo(m, x, x.violations.get('RetCodePerAccess')!).length).toBe(6);
    expect(traceTo(m, x, x.violations.get('IoSuccessMeansStarted')!).length).toBe(7);
  });

  it('AsyncRetIsConditionCode: the cmd region\'s code is what hsch/csch said; bug-hsch-busy-success tells userspace a refused halt is under way', () => {
    const running = [open, ...write(), ssch('cc0')];
    let s = drive('v6.2', 'orderly-hw', [...running, cmd('HSCH', 0)]);
    expect(c(s)).toMatchObject({ asyncRet: 'count', busy: true, fnOwn: true, flags: 0 });
    s = drive('v6.2', 'orderly-hw', [...running, cmd('CSCH', 3)]);
    expect(c(s)).toMatchObject({ asyncRet: '-ENODEV', busy: true, startOwn: true, flags: 0 });
    s = drive('v6.2', 'orderly-hw', [...running, cmd('HSCH', 2)]);
    expect(c(s)).toMatchObject({ asyncRet: '-EBUSY', flags: 0 });
    s = drive('bug-hsch-busy-success', 'orderly-hw', [open, cmd('HSCH', 1)]);
    expect(c(s)).toMatchObject({ asyncRet: 'count', busy: false });
    expect(c(s).flags).toBe(CCW_FLAG.ASYNC_CC);
    const m = vfioCcwPrivate.model('bug-hsch-busy-success', 'orderly-hw');
    const x = explore(m);
    expect([...x.violations.keys()]).toEqual(['AsyncRetIsConditionCode']);
    // open, HSCH cc1
    expect(traceTo(m, x, x.violations.get('AsyncRetIsConditionCode')!).length).toBe(2);
  });

  it('IoMutexTrylockRefuses, SubchannelGoneIsNotOper, OpenDeviceFailsOnlyNotOper: v6.2 keeps them; each planted variant breaks its own (traces by hand)', () => {
    const gone = { type: 'vfio_ccw_sch_event', schib: 'gone' };
    // v6.2: a halt while the writer holds io_mutex gets -EAGAIN and starts nothing
    let s = drive('v6.2', 'orderly-hw', [open, ...write().slice(0, 1), cmd('CSCH', 3)]);
    expect(c(s)).toMatchObject({ asyncRet: '-EAGAIN', busy: false, mutex: 0, flags: 0 });
    // bug-async-no-trylock: open, write() entry (io_mutex held), HSCH cc0 reaches fsm_do_halt
    const unlocked = vfioCcwPrivate.model('bug-async-no-trylock', 'one-writer');
    let x = explore(unlocked);
    expect([...x.violations.keys()]).toEqual(['IoMutexTrylockRefuses']);
    expect(traceTo(unlocked, x, x.violations.get('IoMutexTrylockRefuses')!).length).toBe(3);
    s = drive('bug-async-no-trylock', 'one-writer', [open, ...write().slice(0, 1), cmd('HSCH', 0)]);
    expect(c(s)).toMatchObject({ asyncRet: 'count', busy: true, flags: CCW_FLAG.IO_MUTEX_ENTERED });
    // v6.2: gone in IDLE -> NOT_OPER, nothing left flagged
    s = drive('v6.2', 'one-writer', [open, gone]);
    expect(s.value).toBe('NOT_OPER');
    expect(c(s).flags).toBe(0);
    // bug-idle-notoper-nop: open, gone: still IDLE
    s = drive('bug-idle-notoper-nop', 'one-writer', [open, gone]);
    expect(s.value).toBe('IDLE');
    expect(c(s).flags).toBe(CCW_FLAG.SCH_GONE);
    const nop = vfioCcwPrivate.model('bug-idle-notoper-nop', 'one-writer');
    x = explore(nop);
    expect([...x.violations.keys()]).toEqual(['SubchannelGoneIsNotOper']);
    expect(traceTo(nop, x, x.violations.get('SubchannelGoneIsNotOper')!).length).toBe(2);
    // v6.2: an open whose enable fails ends NOT_OPER with the device not opened (-EINVAL); a successful one enables
    s = drive('v6.2', 'one-writer', [{ type: 'vfio_ccw_mdev_open_device', enable: 'fail' }]);
    expect(s.value).toBe('NOT_OPER');
    expect(c(s)).toMatchObject({ mdev: false, ena: false, flags: 0 });
    // bug-standby-open-nop: open_device returns 0 in STANDBY with the subchannel disabled (1 step); its close meets fsm_notoper (2)
    s = drive('bug-standby-open-nop', 'one-writer', [open]);
    expect(s.value).toBe('STANDBY');
    expect(c(s)).toMatchObject({ mdev: true, ena: false, flags: CCW_FLAG.OPEN_DEVICE });
    const opened = vfioCcwPrivate.model('bug-standby-open-nop', 'one-writer');
    x = explore(opened);
    expect([...x.violations.keys()].sort()).toEqual(['OpenCloseInOrder', 'OpenDeviceFailsOnlyNotOper']);
    expect(traceTo(opened, x, x.violations.get('OpenDeviceFailsOnlyNotOper')!).length).toBe(1);
    expect(traceTo(opened, x, x.violations.get('OpenCloseInOrder')!).length).toBe(2);
    // QuiesceLeavesNothing: open, an unsolicited IRB queued, HSCH cc0 (busy), close: the quiesce flushes io_work (v6.2's
    // halt interruption overwrites the queued IRB in the single private->irb first: IRB_LOST; the fixed design queues both)
    const closeBusy = [open, irq('unsolicited'), cmd('HSCH', 0), { type: 'vfio_ccw_mdev_close_device' }];
    s = drive('v6.2', 'one-writer', closeBusy);
    expect(s.value).toBe('STANDBY');
    expect(c(s)).toMatchObject({ ena: false, busy: false, irb: 'none', flags: CCW_FLAG.IRB_LOST });
    s = drive('fixed', 'one-writer', closeBusy);
    expect(c(s)).toMatchObject({ ena: false, busy: false, irb: 'none', irbNext: 'none', flags: 0 });
    s = drive('bug-quiesce-no-flush', 'one-writer', closeBusy);
    expect(c(s)).toMatchObject({ ena: false, busy: false, irb: 'unsolicited', flags: CCW_FLAG.QUIESCE });
    const unflushed = vfioCcwPrivate.model('bug-quiesce-no-flush', 'one-writer');
    x = explore(unflushed);
    expect([...x.violations.keys()]).toEqual(['QuiesceLeavesNothing']);
    expect(traceTo(unflushed, x, x.violations.get('QuiesceLeavesNothing')!).length).toBe(4);
  });
});

describe('io-todo-race: vfio_ccw_sch_io_todo as a thread of steps against VFIO_DEVICE_RESET and the device life cycle', () => {
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
  const irq = { type: 'vfio_ccw_sch_irq', irb: 'final' };
  const todo = (at: string) => ({ type: `vfio_ccw_sch_io_todo@${at}`, thread: 'io_todo' });
  const reset = (at: string) => ({ type: `vfio_ccw_mdev_reset@${at}`, thread: 'reset' });
  const fsm = (s: AnyMachineSnapshot) => (s.value as { fsm: string }).fsm;
  const TEST = 'if (is_final && state == CP_PENDING) cp_free(cp)';
  const rest = [todo('mutex_lock(private->io_mutex)'), todo('mutex_unlock(private->io_mutex)'), todo('if (cp_is_finished) state = IDLE')];

  it('v6.2: a close between io_todo\'s CP_PENDING test and its IDLE store is overwritten; the next open finds IDLE and fsm_notoper kills the device', () => {
    // traced by hand (vfio_ccw_drv.c vfio_ccw_sch_io_todo, v6.17-rc4): the test and cp_free run with no lock;
    // fsm_close of an idle subchannel disables it without flushing io_work: STANDBY; io_todo's memcpy under io_mutex,
    // then `if (cp_is_finished) private->state = VFIO_CCW_STATE_IDLE` over STANDBY; vfio_ccw_jumptable[IDLE][OPEN] is fsm_notoper
    let s = drive('v6.2', 'io-todo-race', [open, ...write(), ssch('cc0'), irq, todo(TEST), { type: 'vfio_ccw_mdev_close_device' }]);
    expect(fsm(s)).toBe('STANDBY');
    expect(c(s)).toMatchObject({ cp: false, ena: false, mdev: false, cpIsFinished: true });
    s = drive('v6.2', 'io-todo-race', [open, ...write(), ssch('cc0'), irq, todo(TEST), { type: 'vfio_ccw_mdev_close_device' }, ...rest]);
    expect(fsm(s)).toBe('IDLE');
    expect(c(s).flags & CCW_FLAG.IO_TODO_IDLE_OVERWRITES).toBe(CCW_FLAG.IO_TODO_IDLE_OVERWRITES);
    s = drive('v6.2', 'io-todo-race', [open, ...write(), ssch('cc0'), irq, todo(TEST), { type: 'vfio_ccw_mdev_close_device' }, ...rest, open]);
    expect(fsm(s)).toBe('NOT_OPER');
    expect(c(s)).toMatchObject({ dead: true, mdev: false });
    expect(c(s).flags & CCW_FLAG.OPEN_CLOSE_OUT_OF_ORDER).toBe(CCW_FLAG.OPEN_CLOSE_OUT_OF_ORDER);
  });

  it('v6.2: a reset and a new program between the test and the store: IDLE over the new CP_PENDING, whose final status then frees nothing', () => {
    const s = drive('v6.2', 'io-todo-race', [
      open, ...write(), ssch('cc0'), irq, todo(TEST),
      reset('vfio_ccw_fsm_event(CLOSE)'), reset('vfio_ccw_fsm_event(OPEN)'),
      ...write(), ssch('cc0'), ...rest,
    ]);
    expect(fsm(s)).toBe('IDLE');
    expect(c(s)).toMatchObject({ cp: true, busy: true });
    expect(c(s).flags & CCW_FLAG.IO_TODO_IDLE_OVERWRITES).toBe(CCW_FLAG.IO_TODO_IDLE_OVERWRITES);
    // the new program's final status: io_todo tests CP_PENDING, finds IDLE, keeps the program; the next write gets -EBUSY from cp_init
    const after = drive('v6.2', 'io-todo-race', [
      open, ...write(), ssch('cc0'), irq, todo(TEST),
      reset('vfio_ccw_fsm_event(CLOSE)'), reset('vfio_ccw_fsm_event(OPEN)'),
      ...write(), ssch('cc0'), ...rest, irq, todo(TEST), ...rest, ...write(),
    ]);
    expect(fsm(after)).toBe('IDLE');
    expect(c(after)).toMatchObject({ cp: true, busy: false, irb: 'none', ret: '-EBUSY' });
  });

  it('io_todo\'s io_mutex section waits for a writer that holds io_mutex, and a writer\'s trylock fails while io_todo holds it', () => {
    let s = drive('v6.2', 'io-todo-race', [open, ...write(), ssch('cc0'), irq, todo(TEST), todo('mutex_lock(private->io_mutex)'), { type: 'vfio_ccw_mdev_write', w: 0 }]);
    expect(c(s)).toMatchObject({ ret: '-EAGAIN', writers: ['none'] });
    expect(c(s).threads!.locks['private->io_mutex']).toBe('io_todo');
    s = drive('v6.2', 'io-todo-race', [open, { type: 'vfio_ccw_mdev_write', w: 0 }, { type: 'vfio_ccw_sch_irq', irb: 'final' }]);
    expect(c(s).irb).toBe('none'); // no function pending: no final status
  });

  it.each([
    // IrbCopiedAsTested (issue 13, the irb window): a reset and a new program's final status between io_todo's test and its memcpy
    ['v6.2', ['NoCpFreeWhileProcessing', 'NoStaleCpInIdle', 'IoEbusyMeansBusy', 'EveryIrbReachesRegion', 'NoCpWithoutIo', 'IrbEndsOnlyItsOwnProgram', 'CpFreedOnlyWhenIoDone', 'OpenCloseInOrder', 'IoTodoKeepsOtherStates', 'IrbCopiedAsTested']],
    ['fixed', []],
    ['bug-io-todo-idle-after-unlock', ['NoStaleCpInIdle', 'NoCpWithoutIo', 'IoEbusyMeansBusy', 'OpenCloseInOrder', 'IoTodoKeepsOtherStates']],
  ] as const)('%s: exactly these violations in io-todo-race, the locking rules kept', (id, expected) => {
    const m = vfioCcwPrivate.model(id, 'io-todo-race');
    expect([...m.expectedViolations].sort()).toEqual([...expected].sort());
    // that the exploration, complete, finds exactly its expectation: test/machines/seed-areas.test.ts (its check of this variant in io-todo-race)
  });

  it('the planted io_todo bug exists only in io-todo-race; the kernels before VFIO_DEVICE_RESET have no io-todo-race', () => {
    expect(() => vfioCcwPrivate.model('bug-io-todo-idle-after-unlock', 'one-writer')).toThrow(/exists only in configuration io-todo-race, not 'one-writer'/);
    expect(() => vfioCcwPrivate.model('v5.14', 'io-todo-race')).toThrow(/not 'io-todo-race'/);
  });
});

describe('issue 14: the properties the triage named missing (traces by hand through v6.17-rc4 vfio_ccw_fsm.c / vfio_ccw_drv.c)', () => {
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
  const close = { type: 'vfio_ccw_mdev_close_device' };
  const irq = (irb: string) => ({ type: 'vfio_ccw_sch_irq', irb });
  const todo = { type: 'vfio_ccw_sch_io_todo' };
  const hsch = { type: 'vfio_ccw_async_region_write', cmd: 'HSCH', cc: 0 };

  it('IrbQueuedAsPresented: fsm_irq\'s memcpy keeps the latest status (v6.2 loses the older one); bug-irq-skips-queued keeps the older', () => {
    // v6.2: open, HSCH cc0 (the halt's final status will be no program's), final (queued), write, SSCH cc0, the program's final:
    // memcpy over the queued one: the older is lost (EveryIrbReachesRegion), the latest, the program's own, is what io_work copies
    const path = [open, hsch, irq('final'), ...write(), ssch('cc0'), irq('final')];
    let s = drive('v6.2', 'ret', path);
    expect(c(s)).toMatchObject({ irb: 'final', irbOwn: true, flags: CCW_FLAG.IRB_LOST });
    expect(failing('v6.2', 'ret', s)).toEqual(['EveryIrbReachesRegion']);
    // the fixed design queues it behind the halt's
    s = drive('fixed', 'ret', path);
    expect(c(s)).toMatchObject({ irb: 'final', irbOwn: false, irbNext: 'final', irbNextOwn: true, flags: 0 });
    // planted: the copy skipped while io_work is queued: the halt's status stays, the program's is dropped (7 steps)
    s = drive('bug-irq-skips-queued', 'ret', path);
    expect(c(s)).toMatchObject({ irb: 'final', irbOwn: false, flags: CCW_FLAG.IRB_LOST | CCW_FLAG.IRB_NOT_QUEUED });
    expect(failing('bug-irq-skips-queued', 'ret', s).sort()).toEqual(['EveryIrbReachesRegion', 'IrbQueuedAsPresented']);
    // io_todo then ends nothing (not the program's status): CP_PENDING with the program and nothing running (NoCpWithoutIo)
    s = drive('bug-irq-skips-queued', 'ret', [...path, todo]);
    expect(s.value).toBe('CP_PENDING');
    expect(c(s)).toMatchObject({ cp: true, busy: false, irb: 'none' });
    expect(failing('bug-irq-skips-queued', 'ret', s)).toEqual(['NoCpWithoutIo']);
  });

  it('StandbyIsDisabled: fsm_close disables before STANDBY, fsm_disabled_irq disables again in NOT_OPER; bug-close-idle-no-disable does not', () => {
    let s = drive('v6.2', 'orderly', [open, close]);
    expect(s.value).toBe('STANDBY');
    expect(c(s).ena).toBe(false);
    // fsm_notoper does not disable (the subchannel found gone in IDLE stays enabled); an interruption there disables it again
    s = drive('v6.2', 'one-writer', [open, { type: 'vfio_ccw_sch_event', schib: 'gone' }]);
    expect(s.value).toBe('NOT_OPER');
    expect(c(s).ena).toBe(true);
    s = drive('v6.2', 'one-writer', [open, { type: 'vfio_ccw_sch_event', schib: 'gone' }, irq('unsolicited')]);
    expect(c(s)).toMatchObject({ ena: false, irb: 'none', flags: 0 });
    expect(failing('v6.2', 'one-writer', s)).toEqual([]);
    // planted: open, close of the idle subchannel: STANDBY, still enabled (2 steps)
    s = drive('bug-close-idle-no-disable', 'orderly', [open, close]);
    expect(s.value).toBe('STANDBY');
    expect(c(s)).toMatchObject({ ena: true, cp: false, mdev: false });
    expect(failing('bug-close-idle-no-disable', 'orderly', s)).toEqual(['StandbyIsDisabled']);
  });

  it('WriteReturns and IrbCopiedToRegion: where they are checked, the fair steps, and the planted bugs\' stuck states', () => {
    const live = (variant: string, configuration: string) => vfioCcwPrivate.model(variant, configuration).liveness.map((l) => l.name);
    expect(live('v6.2', 'ret')).toEqual(['WriteReturns', 'IrbCopiedToRegion']);
    // cc0 only: no failing ssch answers a writer on a busy subchannel; the fixed design's queue; io_todo as a thread
    expect(live('v6.2', 'irbs')).toEqual(['IrbCopiedToRegion']);
    expect(live('fixed', 'ret')).toEqual(['WriteReturns']);
    expect(live('v6.2', 'io-todo-race')).toEqual([]);
    const info = vfioCcwPrivate.model('v6.2', 'ret').eventInfo;
    expect(Object.keys(info).filter((k) => info[k]!.fair).sort()).toEqual(['copy_from_user', 'fsm_io_helper', 'vfio_ccw_sch_io_todo']);
    // v6.2: a write after a halt on the idle subchannel: ssch cc 2, -EBUSY, write() returns
    const halted = [open, hsch, ...write()];
    let s = drive('v6.2', 'ret', [...halted, ssch('cc2')]);
    expect(c(s)).toMatchObject({ writers: ['none'], ret: '-EBUSY' });
    // planted: fsm_io_request waits for the halt to end: no fsm_io_helper is enabled until the (unfair) interruption
    s = drive('bug-ssch-waits-idle', 'ret', [...halted, ssch('cc2')]);
    expect(c(s).writers).toEqual(['request']);
    s = drive('bug-ssch-waits-idle', 'ret', [...halted, irq('final'), ssch('cc0')]);
    expect(c(s)).toMatchObject({ writers: ['none'], ret: 'count' });
    // v6.2: io_todo copies an unsolicited IRB; planted: it stays in private->irb however often io_work runs
    s = drive('v6.2', 'orderly-hw', [open, irq('unsolicited'), todo]);
    expect(c(s).irb).toBe('none');
    s = drive('bug-io-todo-copies-solicited-only', 'orderly-hw', [open, irq('unsolicited'), todo, todo]);
    expect(c(s).irb).toBe('unsolicited');
  });
});

describe('issue 13 done-check: planted bugs of the properties no vfio-ccw variant broke (traces by hand through v6.17-rc4)', () => {
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };

  it('IoMutexSerialisesWrites: without the write\'s mutex_trylock two writers are past the entry, and notoper_work frees the program under one', () => {
    // vfio_ccw_mdev_write_io_region: `if (!mutex_trylock(&private->io_mutex)) return -EAGAIN;` (the fixed design keeps it)
    const two = [open, { type: 'vfio_ccw_mdev_write', w: 0 }, { type: 'vfio_ccw_mdev_write', w: 1 }];
    let s = drive('fixed', 'two-writers', two);
    expect(c(s)).toMatchObject({ writers: ['copied', 'none'], ret: '-EAGAIN', mutex: 0 });
    s = drive('bug-write-no-trylock', 'two-writers', two);
    expect(c(s)).toMatchObject({ writers: ['copied', 'copied'], mutex: -1 });
    expect(failing('bug-write-no-trylock', 'two-writers', s)).toEqual(['IoMutexSerialisesWrites']);
    // vfio_ccw_notoper_todo takes io_mutex (mutex_lock) before cp_free: with the writer's hold it waits, without it frees the program being built
    const gone = [open, ...write(), { type: 'vfio_ccw_sch_event', schib: 'gone' }, { type: 'vfio_ccw_notoper_todo' }];
    expect(c(drive('fixed', 'two-writers', gone)).cp).toBe(true);
    s = drive('bug-write-no-trylock', 'two-writers', gone);
    expect(c(s).cp).toBe(false);
    expect(failing('bug-write-no-trylock', 'two-writers', s)).toEqual(['NoCpFreeWhileProcessing']);
  });

  it('the lock rules in io-todo-race: a reset without its mutex_unlock returns holding io_mutex, or locks it again; io_todo unlocking before it locks releases a mutex it does not hold', () => {
    const reset = (at: string) => ({ type: `vfio_ccw_mdev_reset@${at}`, thread: 'reset' });
    const todo = (at: string) => ({ type: `vfio_ccw_sch_io_todo@${at}`, thread: 'io_todo' });
    const resetSteps = ['mutex_lock(private->io_mutex)', 'vfio_ccw_fsm_event(CLOSE)', 'vfio_ccw_fsm_event(OPEN)'].map(reset);
    let s = drive('fixed', 'io-todo-race', [open, ...resetSteps, reset('mutex_unlock(private->io_mutex)')]);
    expect(c(s).threads!.locks['private->io_mutex']).toBe(null);
    s = drive('bug-reset-no-unlock', 'io-todo-race', [open, ...resetSteps]);
    expect(c(s).threads!.locks['private->io_mutex']).toBe('reset');
    expect(failing('bug-reset-no-unlock', 'io-todo-race', s)).toEqual(['NoReturnHoldingLock']);
    // two io_mutex sections, the first unlock missing: the second mutex_lock finds the reset holding it
    s = drive('bug-reset-relock-before-open', 'io-todo-race', [open, ...resetSteps.slice(0, 2), reset('mutex_lock(private->io_mutex) before OPEN')]);
    expect((s.value as { reset: string }).reset).toBe('BUG');
    expect(failing('bug-reset-relock-before-open', 'io-todo-race', s)).toEqual(['NoDoubleAcquire']);
    // a program's final status queued, io_todo's test (cp_free, IDLE in the fixed design), then its first io_mutex statement
    const done = [open, ...write(), ssch('cc0'), { type: 'vfio_ccw_sch_irq', irb: 'final' }, todo('if (is_final && state == CP_PENDING) cp_free(cp)')];
    s = drive('fixed', 'io-todo-race', [...done, todo('mutex_lock(private->io_mutex)')]);
    expect(c(s).threads!.locks['private->io_mutex']).toBe('io_todo');
    s = drive('bug-io-todo-unlock-before-lock', 'io-todo-race', [...done, todo('mutex_unlock(private->io_mutex)')]);
    expect(c(s).threads!.locks['private->io_mutex']).toBe(null);
    expect(failing('bug-io-todo-unlock-before-lock', 'io-todo-race', s)).toEqual(['ReleaseOnlyByOwner']);
  });
});

describe('irb-race: fsm_irq overwrites private->irb between vfio_ccw_sch_io_todo\'s test and its memcpy (issue 13, traced by hand through v6.17-rc4)', () => {
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
  const irq = (irb: string) => ({ type: 'vfio_ccw_sch_irq', irb });
  const todo = (at: string) => ({ type: `vfio_ccw_sch_io_todo@${at}`, thread: 'io_todo' });
  const fsm = (s: AnyMachineSnapshot) => (s.value as { fsm: string }).fsm;
  const TEST = todo('if (is_final && state == CP_PENDING) cp_free(cp)');
  const COPY = [todo('mutex_lock(private->io_mutex)'), todo('mutex_unlock(private->io_mutex)')];
  const STORE = todo('if (cp_is_finished) state = IDLE');
  const copiedOther = (s: AnyMachineSnapshot) => (c(s).flags & CCW_FLAG.IRB_COPIED_NOT_TESTED) !== 0;

  it('v6.2: io_todo frees the program on its final status, an unsolicited status lands in private->irb before the memcpy: the region never gets the final status', () => {
    // vfio_ccw_sch_io_todo: irb = &private->irb; is_final && CP_PENDING: cp_free, cp_is_finished; no lock held. fsm_irq (under
    // sch->lock from do_cio_interrupt) memcpy(&private->irb, irb) and queue_work: io_work runs again after this one
    const tested = [open, ...write(), ssch('cc0'), irq('final'), TEST];
    let s = drive('v6.2', 'irb-race', tested);
    expect(fsm(s)).toBe('CP_PENDING');
    expect(c(s)).toMatchObject({ cp: false, irb: 'none', cpIsFinished: true, ioTodoIrb: 'tested' });
    s = drive('v6.2', 'irb-race', [...tested, irq('unsolicited')]);
    expect(c(s)).toMatchObject({ irb: 'unsolicited', ioTodoIrb: 'overwritten' });
    // mutex_lock(&private->io_mutex); memcpy(private->io_region->irb_area, irb): the unsolicited status, not the final one it tested
    s = drive('v6.2', 'irb-race', [...tested, irq('unsolicited'), ...COPY]);
    expect(copiedOther(s)).toBe(true);
    expect(failing('v6.2', 'irb-race', s)).toEqual(['IrbCopiedAsTested']);
    // `if (cp_is_finished) private->state = IDLE`, then io_work's second run copies the unsolicited status again
    s = drive('v6.2', 'irb-race', [...tested, irq('unsolicited'), ...COPY, STORE, TEST, ...COPY]);
    expect(fsm(s)).toBe('IDLE');
    expect(c(s)).toMatchObject({ cp: false, irb: 'none', ioTodoIrb: 'none' });
    expect(copiedOther(s)).toBe(false);
  });

  it('v6.2: intermediate status tested, the final status copied over it: the region gets the final status twice and never the intermediate one; the program still ends on the second run', () => {
    const tested = [open, ...write(), ssch('cc0'), irq('intermediate'), TEST];
    let s = drive('v6.2', 'irb-race', [...tested, irq('final'), ...COPY]);
    expect(copiedOther(s)).toBe(true);
    expect(c(s)).toMatchObject({ cp: true, busy: false, irb: 'final', cpIsFinished: false });
    s = drive('v6.2', 'irb-race', [...tested, irq('final'), ...COPY, STORE]);
    expect(fsm(s)).toBe('CP_PENDING');
    s = drive('v6.2', 'irb-race', [...tested, irq('final'), ...COPY, STORE, TEST, ...COPY, STORE]);
    expect(fsm(s)).toBe('IDLE');
    expect(c(s)).toMatchObject({ cp: false, irb: 'none' });
    expect(copiedOther(s)).toBe(false);
  });

  it('the fixed design copies the IRB it took from its queue (IDLE stored in the test step); bug-io-todo-copies-latest copies private->irb as the kernels do', () => {
    const run = [open, ...write(), ssch('cc0'), irq('final'), TEST, irq('unsolicited'), ...COPY];
    let s = drive('fixed', 'irb-race', run);
    expect(fsm(s)).toBe('IDLE');
    expect(c(s)).toMatchObject({ cp: false, irb: 'unsolicited', ioTodoIrb: 'none' });
    expect(copiedOther(s)).toBe(false);
    expect(failing('fixed', 'irb-race', s)).toEqual([]);
    s = drive('bug-io-todo-copies-latest', 'irb-race', run);
    expect(copiedOther(s)).toBe(true);
    expect(failing('bug-io-todo-copies-latest', 'irb-race', s)).toEqual(['IrbCopiedAsTested']);
  });

  it('who is expected to break IrbCopiedAsTested (test/machines/seed-areas.test.ts explores each and asserts exactly these sets)', () => {
    const expected = (v: string, conf: string) => vfioCcwPrivate.model(v, conf).expectedViolations;
    expect([...expected('v6.2', 'irb-race')].sort()).toEqual(['EveryIrbReachesRegion', 'IoEbusyMeansBusy', 'IrbCopiedAsTested', 'NoCpWithoutIo']);
    expect(expected('v6.2', 'io-todo-race')).toContain('IrbCopiedAsTested');
    expect(expected('v6-notoper-work', 'io-todo-race')).toContain('IrbCopiedAsTested');
    expect(expected('fixed', 'irb-race')).toEqual([]);
    expect(expected('bug-io-todo-copies-latest', 'irb-race')).toEqual(['IrbCopiedAsTested']);
    // the coarse configurations run io_todo as one step: no window, no such property there
    expect(vfioCcwPrivate.model('v6.2', 'one-writer').invariants.map((i) => i.name)).not.toContain('IrbCopiedAsTested');
    expect(() => vfioCcwPrivate.model('bug-io-todo-copies-latest', 'io-todo-race')).toThrow(/exists only in configuration irb-race/);
  });
});

describe('"one (and only one for our case) mediated device" (vfio-ccw.rst): abstracted, a second create changes nothing the machine models', () => {
  it('v5.14: vfio_ccw_mdev_create refuses a second mdev (atomic_dec_if_positive(&private->avail) < 0: -EPERM) and any in NOT_OPER (-ENODEV): no transition', () => {
    const create = { type: 'vfio_ccw_mdev_create' };
    const m = vfioCcwPrivate.model('v5.14', 'one-writer');
    let s = getInitialSnapshot(m.machine);
    [s] = transition(m.machine, s, create);
    expect(s.value).toBe('IDLE');
    expect(c(s).mdev).toBe(true);
    const [again] = transition(m.machine, s, create);
    expect(again.value).toBe(s.value);
    expect(again.context).toEqual(s.context);
    const [gone] = transition(m.machine, getInitialSnapshot(m.machine), { type: 'vfio_ccw_sch_event', schib: 'gone' });
    expect(gone.value).toBe('NOT_OPER');
    const [refused] = transition(m.machine, gone, create);
    expect(refused.value).toBe('NOT_OPER');
    expect(c(refused).mdev).toBe(false);
  });
});

// The documented codes whose inputs the `errors` configuration enumerates (vfio-ccw.rst I/O region; v6.17-rc4
// fsm_io_request, cp_init's ccwchain_calc_length, fsm_io_helper's `case 3:`), stepped by hand without an exploration
// (test/machines/seed-areas.test.ts checks the four variants' whole sets there: 33 to 43 states each).
describe('vfio_ccw_private errors: -EOPNOTSUPP, -EINVAL, -ENODEV exactly for their requests', () => {
  const open = { type: 'vfio_ccw_mdev_open_device', enable: 'ok' };
  const request = (orb: string) => [{ type: 'vfio_ccw_mdev_write', w: 0 }, { type: 'copy_from_user', w: 0, orb }];
  it('v6.2: each refused request gets its code in IDLE with no program and nothing started; cc 3 gives -EACCES with a path left, -ENODEV on the last', () => {
    // fsm_io_request: transport mode and a halt function go to err_out before cp_init; a chain of 257 CCWs fails in cp_init
    for (const [orb, code] of [['tm', '-EOPNOTSUPP'], ['halt', '-EOPNOTSUPP'], ['long', '-EINVAL']] as const) {
      const s = drive('v6.2', 'errors', [open, ...request(orb)]);
      expect(s.value, orb).toBe('IDLE');
      expect(c(s), orb).toMatchObject({ ret: code, cp: false, busy: false, writers: ['none'], mutex: -1 });
      expect(failing('v6.2', 'errors', s), orb).toEqual([]);
    }
    // fsm_io_helper case 3: ret = sch->lpm ? -EACCES : -ENODEV, then cp_free and err_out
    for (const [result, code] of [['cc3', '-EACCES'], ['cc3-nopath', '-ENODEV']] as const) {
      const s = drive('v6.2', 'errors', [open, ...write(), ssch(result)]);
      expect(s.value, result).toBe('IDLE');
      expect(c(s), result).toMatchObject({ ret: code, cp: false, busy: false });
      expect(failing('v6.2', 'errors', s), result).toEqual([]);
    }
  });
  it('each planted bug breaks its own property at the step a reader of the C would name', () => {
    // the transport-mode test after cp_init: -EOPNOTSUPP with the program built and kept in IDLE (3 steps) ...
    let s = drive('bug-tm-after-cp-init', 'errors', [open, ...request('tm')]);
    expect(c(s)).toMatchObject({ ret: '-EOPNOTSUPP', cp: true });
    expect(failing('bug-tm-after-cp-init', 'errors', s).sort()).toEqual(['IoEopnotsuppMeansUnsupported', 'NoCpWithoutIo', 'NoStaleCpInIdle']);
    // ... and the next supported write meets cp_init's -EBUSY with nothing busy (5 steps)
    s = drive('bug-tm-after-cp-init', 'errors', [open, ...request('tm'), ...write()]);
    expect(c(s).ret).toBe('-EBUSY');
    expect(failing('bug-tm-after-cp-init', 'errors', s)).toContain('IoEbusyMeansBusy');
    // fsm_io_helper's case 3 as fsm_do_halt's: -ENODEV although a path is left (4 steps)
    s = drive('bug-ssch-cc3-as-halt', 'errors', [open, ...write(), ssch('cc3')]);
    expect(c(s).ret).toBe('-ENODEV');
    expect(failing('bug-ssch-cc3-as-halt', 'errors', s)).toEqual(['IoEnodevMeansNotOperational']);
    // no length test: the long chain is built (the writer inside fsm_io_request, 3 steps) and started (count)
    s = drive('bug-chain-len-unchecked', 'errors', [open, ...request('long')]);
    expect(s.value).toBe('CP_PROCESSING');
    expect(failing('bug-chain-len-unchecked', 'errors', s)).toEqual(['IoEinvalMeansChainTooLong']);
    s = drive('bug-chain-len-unchecked', 'errors', [open, ...request('long'), ssch('cc0')]);
    expect(c(s)).toMatchObject({ ret: 'count', busy: true });
  });
});
