import { describe, expect, it } from 'vitest';
import { getInitialSnapshot, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { explore } from '../../src/check/explore.ts';
import { jumptableNames, type CcwKernel } from '../../src/sut/vfio_ccw.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import { fsmEvent, type CcwContext } from '../../machines/vfio-ccw/vfio_ccw_private.machine.ts';
import { variants } from '../../machines/vfio-ccw/vfio_ccw_private.variants.ts';

function drive(variant: string, configuration: string, events: (EventObject & Record<string, unknown>)[]): AnyMachineSnapshot {
  const m = vfioCcwPrivate.model(variant, configuration);
  let snap = getInitialSnapshot(m.machine);
  for (const e of events) [snap] = transition(m.machine, snap, e);
  return snap;
}

const write = (w = 0) => [{ type: 'vfio_ccw_mdev_write', w }, { type: 'copy_from_user', w }];
const ssch = (result: string, w = 0) => ({ type: 'fsm_io_helper', w, result });

describe('vfio_ccw_private jump table', () => {
  it.each(variants.map((v) => v.id))('%s: every state handles every FSM event, with the handler the SUT transcription names', (id) => {
    const m = vfioCcwPrivate.model(id);
    const v = variants.find((x) => x.id === id)!.version;
    const sut = jumptableNames(id as CcwKernel);
    expect(Object.keys(m.machine.states)).toEqual([...v.states]);
    for (const s of v.states) {
      const on = m.machine.states[s]!.config.on as Record<string, unknown>;
      for (const e of v.events) {
        const cell = on[fsmEvent(e)];
        expect(cell, `${s} x ${e}`).toBeDefined();
        const first = (Array.isArray(cell) ? cell[cell.length - 1] : cell) as { actions: string };
        expect(first.actions, `${s} x ${e}`).toBe(sut[s]![e]);
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

