import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSpec } from '../../machines/index.ts';
import { main } from '../../src/cli.ts';
import { makeFormat } from '../../src/replay/formats.ts';
import { MalformedLogError, replay } from '../../src/replay/replay.ts';

const fixture = (name: string) => join('test/fixtures/replay', name);

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['replay', ...argv], { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

const oneLine = (s: string) => expect(s).toMatch(/^s390-kvm-spec: [^\n]+\n$/);

describe('replay, NDJSON', () => {
  it('accepts a teardown in which the mdev is closed (queues reset, GISC unregistered) before the GISA is destroyed', async () => {
    const r = await run('--machine', 'system', fixture('system-teardown.conforming.ndjson'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('system/upstream/default: the log conforms (ndjson): 13 lines explained by 13 steps, 0 of them unlogged');
    expect(r.out).toContain('  6. [guest] PQAP_AQIC {"q":0,"ir":1,"isc":3,"outcome":"NORMAL"}  <- line 6');
    expect(r.out).toContain('  11. [kernel] kvm_s390_gisa_destroy {"vm":0}  <- line 11');
  });

  it('pinpoints a GISA destroy logged while the GISC is registered: upstream holds the KVM reference until the mdev closes', async () => {
    const r = await run('--machine', 'system', fixture('system-destroy-with-gisc.nonconforming.ndjson'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('system/upstream/default: line 10 cannot be explained (ndjson): kvm_s390_gisa_destroy {"vm":0}');
    expect(r.out).toContain('after 9 conforming lines');
    // the close that would reset the queues is what the model waits for
    expect(r.out).toContain('would print next:\n  vfio_ap_mdev_close_device\n');
    expect(r.out).not.toMatch(/^ {2}kvm_s390_gisa_destroy/m);
    expect(r.out).toContain('"matrix_mdev":"open","q0":{"assigned":"aqic_enabled"}');
    expect(r.out).toContain('  9. [userspace] kvm_vm_release {"vm":0}  <- line 9');
  });

  it('the same log conforms to the AQIC design as first posted (v4): no KVM reference, so the GISA can go first', async () => {
    const r = await run('--machine', 'system', '--variant', 'aqic-v4', '--format', 'ndjson', fixture('system-destroy-with-gisc.nonconforming.ndjson'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('system/aqic-v4/default: the log conforms');
  });

  it('allows unlogged hardware steps and --hidden kernel steps, and bounds them with --max-hidden', async () => {
    const lines = readFileSync(fixture('system-teardown.conforming.ndjson'), 'utf8').split('\n').filter((l) => !/vcpu_pre_run|vcpu_post_run/.test(l));
    const model = findSpec('system')!.model();
    const f = makeFormat('ndjson', model, { hidden: ['vcpu_pre_run', 'vcpu_post_run'] });
    const ok = await replay(model, lines, { parse: f.parse, printer: f.printer });
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    expect(ok.lines).toBe(11);
    expect(ok.hidden).toBe(2);
    expect(ok.path.filter((s) => !s.lines.length).map((s) => s.event.type)).toEqual(['vcpu_pre_run', 'vcpu_post_run']);
    const none = await replay(model, lines, { parse: f.parse, printer: f.printer, maxHidden: 0 });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.line).toBe(5); // PQAP_AQIC needs the vcpu in SIE
  });

  it('keeps only the last --keep lines of path but still counts every step', async () => {
    const model = findSpec('system')!.model();
    const f = makeFormat('ndjson', model);
    const lines = readFileSync(fixture('system-teardown.conforming.ndjson'), 'utf8').split('\n');
    const r = await replay(model, lines, { parse: f.parse, printer: f.printer, keep: 4 });
    expect(r.ok && r.steps).toBe(13);
    expect(r.ok && r.path.length).toBeLessThanOrEqual(8);
    expect(r.ok && r.dropped).toBeGreaterThan(0);
    expect(r.ok && r.path.at(-1)!.step).toBe(13);
  });

  it('rejects a field the event does not have, and an unlogged event', async () => {
    const model = findSpec('system')!.model();
    const f = makeFormat('ndjson', model);
    expect(() => f.parse('{"event": "kvm_vm_release", "vcpu": 0}', 3)).toThrow("line 3: bad field 'vcpu' for kvm_vm_release; its fields: vm");
    expect(() => f.parse('{"event": "AP_ADAPTER_INTERRUPTION", "q": 0}', 4)).toThrow(MalformedLogError);
    expect(() => f.parse('{"event": "kvm_vm_release", "vm": "0"}', 5)).toThrow('outside configuration');
  });
});

describe('replay, vfio_ccw_fsm_event tracepoint text', () => {
  it('accepts open, one I/O request, its interruption and close, filling in the unlogged steps', async () => {
    const r = await run('--machine', 'vfio_ccw_private', fixture('vfio-ccw-io.conforming.trace'));
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'vfio_ccw_private/v6.2/one-writer: the log conforms (text): 4 lines explained by 7 steps, 3 of them unlogged',
        '  1. [userspace] vfio_ccw_mdev_open_device {"enable":"ok"}  <- line 3',
        '  2. [userspace] vfio_ccw_mdev_write {"w":0}  (unlogged)',
        '  3. [userspace] copy_from_user {"w":0}  <- line 4',
        '  4. [hardware] fsm_io_helper {"w":0,"result":"cc0"}  (unlogged)',
        '  5. [hardware] vfio_ccw_sch_irq {"irb":"final"}  <- line 5',
        '  6. [kernel] vfio_ccw_sch_io_todo  (unlogged)',
        '  7. [userspace] vfio_ccw_mdev_close_device  <- line 6',
        '',
      ].join('\n'),
    );
  });

  it('pinpoints an I/O request logged in CP_PENDING with no earlier request', async () => {
    const r = await run('--machine', 'vfio_ccw_private', fixture('vfio-ccw-pending-without-request.nonconforming.trace'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('line 4 cannot be explained (text): VFIO_CCW_EVENT_IO_REQ {"state":"CP_PENDING"}');
    expect(r.out).toContain('\n  VFIO_CCW_EVENT_IO_REQ {"state":"IDLE"} (by copy_from_user {"w":0})\n');
    expect(r.out).toMatch(/\n {2}"IDLE" \{/);
  });

  it('reads event numbers in the kernel enum order (INTERRUPT is 2, ASYNC_REQ 3)', () => {
    const f = makeFormat('text', findSpec('vfio_ccw_private')!.model());
    expect(f.parse('x-1 [000] 1.0: vfio_ccw_fsm_event: schid=0.0.0313 state=4 event=2', 1)).toEqual({ event: 'VFIO_CCW_EVENT_INTERRUPT', fields: { state: 'CP_PENDING' } });
    expect(f.parse('x-1 [000] 1.0: vfio_ccw_fsm_event: schid=0.0.0313 state=2 event=3', 1)).toEqual({ event: 'VFIO_CCW_EVENT_ASYNC_REQ', fields: { state: 'IDLE' } });
  });

});

describe('replay, s390dbf GISA lines', () => {
  it('accepts "initialized" (the start of the log), "cleared", then "destroyed"', async () => {
    const r = await run('--machine', 'kvm_s390_gisa_interrupt', fixture('gisa-clear-destroy.conforming.dbf'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 lines explained by 2 steps, 0 of them unlogged');
    expect(r.out).toContain('  1. [userspace] kvm_s390_gisa_clear {"vm":0}  <- line 3');
    expect(r.out).toContain('  2. [kernel] kvm_s390_gisa_destroy {"vm":0}  <- line 4');
  });

  it('pinpoints "cleared" after "destroyed": both return early once gi->origin is NULL', async () => {
    const r = await run('--machine', 'kvm_s390_gisa_interrupt', fixture('gisa-destroyed-twice.nonconforming.dbf'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('line 3 cannot be explained (text): kvm_s390_gisa_clear');
    expect(r.out).toContain('the model would print nothing next\n');
    expect(r.out).toContain('{"gib":"NULL_GISA_ADDR","vm0":{"gisa":"destroyed"}}');
  });

  it('rejects a mapped line whose event the machine does not model', async () => {
    const r = await run('--machine', 'system', fixture('gisa-clear-destroy.conforming.dbf'));
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toContain("line 3: 'gisa 0x%p cleared' is printed by kvm_s390_gisa_clear, which machine system does not model");
  });
});

describe('replay, FLIC AIS tracepoints text', () => {
  it('accepts ALL -> SINGLE, the injection that switches to NO, a suppressed injection, and the re-arm', async () => {
    const r = await run('--machine', 'kvm_s390_float_interrupt', fixture('flic-ais.conforming.trace'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('kvm_s390_float_interrupt/baseline/ais: the log conforms (text): 4 lines explained by 7 steps, 3 of them unlogged');
    expect(r.out).toContain('  2. [userspace] KVM_ENABLE_CAP {"cap":"KVM_CAP_S390_AIS"}  (unlogged)');
    expect(r.out).toContain('  5. [userspace] KVM_DEV_FLIC_AIRQ_INJECT {"id":0,"alloc":"ok"}  <- line 5');
    expect(r.out).toContain('  6. [userspace] KVM_DEV_FLIC_AIRQ_INJECT {"id":0,"alloc":"ok"}  <- line 6');
  });

  it('rejects that log against the planted bug that tests simm: its injection in SINGLE is suppressed instead', async () => {
    const r = await run('--machine', 'kvm_s390_float_interrupt', '--variant', 'bug-inject-airq-tests-simm', fixture('flic-ais.conforming.trace'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('line 5 cannot be explained (text): kvm_s390_modify_ais_mode {"isc":3,"from":"SINGLE","to":"NO"}');
    expect(r.out).toContain('\n  kvm_s390_airq_suppressed {"id":0,"isc":3} (by KVM_DEV_FLIC_AIRQ_INJECT {"id":0,"alloc":"ok"} or KVM_DEV_FLIC_AIRQ_INJECT {"id":0,"alloc":"fail"} or set_adapter_int {"id":0,"summary":"clear","alloc":"ok"})\n');
  });

  it('pinpoints a suppression on an ISC no adapter uses', async () => {
    const r = await run('--machine', 'kvm_s390_float_interrupt', fixture('flic-suppressed-wrong-isc.nonconforming.trace'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('line 3 cannot be explained (text): kvm_s390_airq_suppressed {"id":0,"isc":5}');
    expect(r.out).toContain('"ais":["SINGLE"]');
  });

  it('reads the TP_printk mode strings; the NIMM pair prints as ALL, as the kernel\'s ternary does', () => {
    const f = makeFormat('text', findSpec('kvm_s390_float_interrupt')!.model());
    expect(f.parse('q-1 [001] 1.0: kvm_s390_modify_ais_mode: for isc a, modifying interruption mode from No-Interruptions Mode to ALL-Interruptions Mode', 1)).toEqual({
      event: 'kvm_s390_modify_ais_mode',
      fields: { isc: 10, from: 'NO', to: 'ALL' },
    });
  });

});

// every mapped format: a truncated line, an unknown message or event, a bad field
describe('replay rejects malformed logs with one line naming the line, and exit 2', () => {
  it.each([
    ['vfio_ccw_private', 'vfio-ccw-truncated.malformed.trace', "line 2: truncated line or bad field; expected 'vfio_ccw_fsm_event: schid=%x.%x.%04x state=%d event=%d'"],
    ['vfio_ccw_private', 'vfio-ccw-bad-event.malformed.trace', 'line 1: bad field event=9: enum vfio_ccw_event of v6.2 has 6 values'],
    ['vfio_ccw_private', 'vfio-ccw-unknown-event.malformed.trace', 'line 1: no mapped kernel message'],
    ['kvm_s390_gisa_interrupt', 'gisa-truncated.malformed.dbf', "line 1: truncated line or bad field; expected 'gisa 0x%p destroyed'"],
    ['kvm_s390_gisa_interrupt', 'gisa-second-init.malformed.dbf', "line 2: 'gisa 0x%p initialized' after other lines"],
    ['kvm_s390_gisa_interrupt', 'gisa-bad-field.malformed.dbf', "line 1: truncated line or bad field; expected 'gisa 0x%p destroyed'"],
    ['kvm_s390_float_interrupt', 'flic-truncated.malformed.trace', "line 1: truncated line or bad field; expected 'kvm_s390_modify_ais_mode: for isc %x, modifying interruption mode from %s to %s'"],
    ['kvm_s390_float_interrupt', 'flic-bad-field.malformed.trace', "line 1: truncated line or bad field; expected 'kvm_s390_modify_ais_mode: for isc %x"],
    ['system', 'system-truncated.malformed.ndjson', 'line 5: truncated or invalid JSON'],
    ['system', 'system-unknown-event.malformed.ndjson', "line 2: unknown event 'kvm_s390_gisa_create' for machine system"],
    ['system', 'system-bad-field.malformed.ndjson', 'line 2: bad field: assign_domain_store {"q":7} is outside configuration default (q in {0})'],
  ])('%s %s', async (machine, name, message) => {
    const r = await run('--machine', machine, fixture(name));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    oneLine(r.err);
    expect(r.err).toContain(`${fixture(name)}: ${message}`);
  });
});

describe('replay usage errors', () => {
  it.each([
    [['--machine', 'nope', fixture('gisa-clear-destroy.conforming.dbf')], "unknown machine 'nope'"],
    [['--machine', 'system', 'test/fixtures/replay/missing.ndjson'], 'cannot read test/fixtures/replay/missing.ndjson (ENOENT)'],
    [['--machine', 'system', 'test/fixtures/replay'], 'cannot read test/fixtures/replay (EISDIR)'],
    [['--machine', 'system', '--hidden', 'nope', fixture('system-teardown.conforming.ndjson')], '--hidden nope is not an event of system'],
  ])('%j', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toContain(message);
  });

  it('needs --machine', async () => {
    const r = await run(fixture('gisa-clear-destroy.conforming.dbf'));
    expect(r.code).toBe(2);
    expect(r.err).toContain("required option '--machine <id>' not specified");
  });
});

describe('replay of generated logs', () => {
  it.each([
    ['vfio_ccw_private', 'text' as const, 5000],
    ['system', 'ndjson' as const, 2000],
  ])('a random walk of %s printed as %s conforms, unlogged steps and all', async (id, format, lines) => {
    const { walkLog, ndjsonLine, ccwLine } = await import('../../bench/replay.ts');
    const model = findSpec(id)!.model();
    const f = makeFormat(format, model);
    const toLine = format === 'ndjson' ? ndjsonLine : ccwLine();
    const r = await replay(model, walkLog(model, format, lines, toLine, 8, 7), { parse: f.parse, printer: f.printer, keep: 100 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.lines).toBe(lines);
    expect(r.steps).toBeGreaterThanOrEqual(lines);
    expect(r.path.length).toBeLessThan(r.steps); // the keep window dropped the early steps
  });
});
