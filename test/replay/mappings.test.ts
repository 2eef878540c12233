// Every mapping of the kernel's text (src/replay/catalogue.ts), one by one: a line written from
// the message's format string (with the view's prefix as the kernel prints it) reads to the
// record the mapping promises, and a replay of it finds the machine step that prints it. Every
// message the catalogue leaves unmapped is read and skipped with its reason.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { findSpec } from '../../machines/index.ts';
import { runReplay } from '../../src/commands/replay.ts';
import { CATALOGUE, PIN, type Message } from '../../src/replay/catalogue.ts';
import { makeFormat } from '../../src/replay/formats.ts';

/** A line of an s390dbf sprintf view: debug_dflt_header_fn's "%02i %011ld:%06lu %1u %1s %04u %px  ". */
const dbf = (msg: string, level = 3) => `00 01757002160:374012 ${level} - 0002 000003ff80d4a1b6  ${msg}`;
/** VCPU_EVENT / VCPU_TP_PRINTK's "%02d[%016lx-%016lx]: ". */
const vcpu = (msg: string, id = 0) => `${String(id).padStart(2, '0')}[0705000180000000-000000000014a2d8]: ${msg}`;
/** trace_print_context's "%16s-%-7d " "(%7d) " "[%03d] " flags " %5lu.%06lu" ": ", then "<event>: ". */
const ft = (event: string, msg: string, tgid = 4242) =>
  `${'CPU 0/KVM'.padStart(16)}-${'4251'.padEnd(7)} (${String(tgid).padStart(7)}) [002] ..... ${'2160'.padStart(5)}.310200: ${event}: ${msg}`;
const SCH = '0.0.0313';

interface Sample {
  id: string;
  machine: string;
  variant?: string;
  /** Lines before the sample, for the replay. */
  before?: string[];
  line: string;
  /** The record the sample reads to; 'creation' for a creation line (the initial state). */
  reads: { event: string; fields: Record<string, unknown> } | 'creation';
  /** The machine step that prints it (one of); absent when the model never prints it (then: not explained). */
  step?: string[];
}

const SAMPLES: Sample[] = [
  { id: 'kvm.vm-created', machine: 'system', line: dbf('vm created with type 0'), reads: 'creation' },
  { id: 'kvm-trace.vm-created', machine: 'system', line: dbf('vm 0x00000000c71e3a5d created by pid 4242'), reads: 'creation' },
  {
    id: 'kvm-trace.vm-destroyed',
    machine: 'system',
    before: [dbf('vm 0x00000000c71e3a5d created by pid 4242')],
    line: dbf('vm 0x00000000c71e3a5d destroyed'),
    reads: { event: 'kvm_arch_destroy_vm', fields: { vm: 0 } },
    step: ['free_page_sie_page2'],
  },
  { id: 'kvm-trace.gib-initialized', machine: 'system', variant: 'gib-upstream', line: dbf('gib 0x000000008a201000 (nisc=5) initialized'), reads: 'creation' },
  { id: 'kvm.gisa-initialized', machine: 'system', line: dbf('gisa 0x00000000a4c1f73e initialized'), reads: 'creation' },
  { id: 'kvm.gisa-cleared', machine: 'system', line: dbf('gisa 0x00000000a4c1f73e cleared'), reads: { event: 'kvm_s390_gisa_clear', fields: { vm: 0 } }, step: ['kvm_s390_gisa_clear'] },
  {
    id: 'kvm.gisa-destroyed',
    machine: 'kvm_s390_gisa_interrupt',
    line: dbf('gisa 0x00000000a4c1f73e destroyed'),
    reads: { event: 'kvm_s390_gisa_destroy', fields: { vm: 0 } },
    step: ['kvm_s390_gisa_destroy'],
  },
  { id: 'kvm.aiv-enabled', machine: 'system', line: dbf(vcpu('AIV gisa format-1 enabled for cpu 000')), reads: 'creation' },
  { id: 'kvm.create-cpu', machine: 'system', line: dbf('create cpu 0 at 0x00000000c2e4b100, sie block at 0x0000000088d61000'), reads: 'creation' },
  {
    id: 'kvm.free-cpu',
    machine: 'system',
    line: dbf(vcpu('free cpu')),
    reads: { event: 'kvm_arch_vcpu_destroy', fields: { vm: 0, vcpu: 0 } },
    step: ['kvm_vm_release', 'vfio_ap_mdev_close_device'],
  },
  {
    id: 'kvm.enabled-wait-no-timer',
    machine: 'kvm_vcpu',
    line: dbf(vcpu('enabled wait w/o timer')),
    reads: { event: 'kvm_s390_handle_wait', fields: { vm: 0, vcpu: 0 } },
    step: ['kvm_s390_handle_wait'],
  },
  {
    id: 'kvm.deliver-io-gisa',
    machine: 'system',
    line: dbf(vcpu('deliver: I/O (AI/gisa) isc 3'), 4),
    reads: { event: '__deliver_io', fields: { vm: 0, vcpu: 0, isc: 3 } },
    step: ['vcpu_pre_run'],
  },
  {
    id: 'kvm.set-crycb-apm',
    machine: 'system',
    line: dbf('SET CRYCB: apm 4000000000000000 0000000000000000 0000000000000000 0000000000000000'),
    reads: { event: 'kvm_arch_crypto_set_masks', fields: { vm: 0 } },
    step: ['vfio_ap_mdev_open_device'],
  },
  {
    id: 'kvm.set-crycb-format0',
    machine: 'system',
    line: dbf('SET CRYCB: apm 4000000000000000 aqm 0008 adm 0008'),
    reads: { event: 'kvm_arch_crypto_set_masks', fields: { vm: 0 } },
    step: ['vfio_ap_mdev_open_device'],
  },
  {
    id: 'kvm.clr-crycb',
    machine: 'system',
    before: [dbf('SET CRYCB: apm 4000000000000000 0000000000000000 0000000000000000 0000000000000000')],
    line: dbf('CLR CRYCB:'),
    reads: { event: 'kvm_arch_crypto_clear_masks', fields: { vm: 0 } },
    step: ['vfio_ap_mdev_close_device'],
  },
  { id: 'ftrace.kvm_s390_create_vcpu', machine: 'system', line: ft('kvm_s390_create_vcpu', 'create cpu 0 at 0x00000000c2e4b100, sie block at 0x0000000088d61000'), reads: 'creation' },
  {
    id: 'ftrace.kvm_s390_destroy_vcpu',
    machine: 'system',
    line: ft('kvm_s390_destroy_vcpu', 'destroy cpu 0'),
    reads: { event: 'kvm_s390_destroy_vcpu', fields: { vm: 0, vcpu: 0 } },
    step: ['kvm_vm_release', 'vfio_ap_mdev_close_device'],
  },
  {
    id: 'ftrace.kvm_s390_vcpu_start_stop.starting',
    machine: 'system',
    line: ft('kvm_s390_vcpu_start_stop', 'starting cpu 0'),
    reads: { event: 'kvm_s390_vcpu_start', fields: { vm: 0, vcpu: 0 } },
    step: ['kvm_s390_vcpu_start'],
  },
  {
    id: 'ftrace.kvm_s390_vcpu_start_stop.stopping',
    machine: 'system',
    before: [ft('kvm_s390_vcpu_start_stop', 'starting cpu 0')],
    line: ft('kvm_s390_vcpu_start_stop', 'stopping cpu 0'),
    reads: { event: 'kvm_s390_vcpu_stop', fields: { vm: 0, vcpu: 0 } },
    step: ['kvm_s390_vcpu_stop'],
  },
  {
    id: 'ftrace.kvm_s390_deliver_interrupt',
    machine: 'system',
    line: ft('kvm_s390_deliver_interrupt', 'deliver interrupt (vcpu 0): type:4000000 (adapter I/O interrupt) data:00000000 0000000098000000'),
    reads: { event: 'kvm_s390_deliver_interrupt', fields: { vm: 0, vcpu: 0, isc: 3 } },
    step: ['vcpu_pre_run'],
  },
  {
    id: 'ftrace.kvm_s390_intercept_instruction',
    machine: 'system',
    line: ft('kvm_s390_intercept_instruction', vcpu('intercepted instruction b2af000000000000 (0xb2af)')),
    reads: { event: 'PQAP', fields: { vm: 0, vcpu: 0 } },
    step: ['PQAP_AQIC'],
  },
  {
    id: 'ftrace.kvm_s390_modify_ais_mode',
    machine: 'kvm_s390_float_interrupt',
    line: ft('kvm_s390_modify_ais_mode', 'for isc 3, modifying interruption mode from ALL-Interruptions Mode to Single-Interruption Mode'),
    reads: { event: 'kvm_s390_modify_ais_mode', fields: { isc: 3, from: 'ALL', to: 'SINGLE' } },
    step: ['KVM_DEV_FLIC_AISM'],
  },
  {
    id: 'ftrace.kvm_s390_airq_suppressed',
    machine: 'kvm_s390_float_interrupt',
    before: [
      ft('kvm_s390_modify_ais_mode', 'for isc 3, modifying interruption mode from ALL-Interruptions Mode to Single-Interruption Mode'),
      ft('kvm_s390_modify_ais_mode', 'for isc 3, modifying interruption mode from Single-Interruption Mode to No-Interruptions Mode'),
    ],
    line: ft('kvm_s390_airq_suppressed', 'adapter I/O interrupt suppressed (id:0 isc:3)'),
    reads: { event: 'kvm_s390_airq_suppressed', fields: { id: 0, isc: 3 } },
    step: ['KVM_DEV_FLIC_AIRQ_INJECT'],
  },
  {
    id: 'vfio_ap.invalid-nib',
    machine: 'vfio_ap_queue',
    line: dbf('vfio_ap_irq_enable: invalid NIB address: nib=0x0000000080001000, apqn=0x305', 4),
    reads: { event: 'vfio_ap_irq_enable', fields: { q: 0, rc: 'invalid NIB address' } },
    step: ['PQAP_AQIC'],
  },
  {
    id: 'vfio_ap.pin-failed',
    machine: 'system',
    line: dbf('vfio_ap_irq_enable: vfio_pin_pages failed: rc=-22,nib=0x0000000080001000, apqn=0x305', 4),
    reads: { event: 'vfio_ap_irq_enable', fields: { q: 0, rc: 'vfio_pin_pages failed' } },
    step: ['PQAP_AQIC'],
  },
  {
    // kvm_s390_gisc_register fails only without a GISA or above ISC 7: no configuration has either
    id: 'vfio_ap.gisc-register-failed',
    machine: 'system',
    line: dbf('vfio_ap_irq_enable: gisc registration failed: nisc=-19, isc=3, apqn=0x305', 4),
    reads: { event: 'vfio_ap_irq_enable', fields: { q: 0, rc: 'gisc registration failed', isc: 3 } },
  },
  {
    id: 'vfio_ap.aqic-failed',
    machine: 'system',
    line: dbf('vfio_ap_irq_enable: PQAP(AQIC) failed with status=0x7: zone=0, ir=0x1, gisc=0x3, f=0x1,gisa=0x8d61300, isc=0x3, apqn=0x305', 4),
    reads: { event: 'vfio_ap_irq_enable', fields: { q: 0, rc: 'PQAP(AQIC) failed', status: 7, gisc: 3 } },
    step: ['PQAP_AQIC'],
  },
  {
    id: 'ftrace.vfio_ccw_fsm_event',
    machine: 'vfio_ccw_private',
    line: ft('vfio_ccw_fsm_event', `schid=${SCH} state=1 event=4`),
    reads: { event: 'VFIO_CCW_EVENT_OPEN', fields: { state: 'STANDBY' } },
    step: ['vfio_ccw_mdev_open_device'],
  },
  {
    id: 'ftrace.vfio_ccw_fsm_io_request',
    machine: 'vfio_ccw_private',
    line: ft('vfio_ccw_fsm_io_request', `schid=${SCH} fctl=0x4 errno=-16 info=cp fsm_io_helper`),
    reads: { event: 'vfio_ccw_fsm_io_request', fields: { info: 'cp fsm_io_helper', errno: -16 } },
    step: ['fsm_io_helper'],
  },
  {
    id: 'ftrace.vfio_ccw_fsm_async_request',
    machine: 'vfio_ccw_private',
    line: ft('vfio_ccw_fsm_async_request', `schid=${SCH} command=0x1 errno=0`),
    reads: { event: 'vfio_ccw_fsm_async_request', fields: { command: 1, errno: 0 } },
    step: ['vfio_ccw_async_region_write'],
  },
  {
    id: 'vfio_ccw_msg.notoper',
    machine: 'vfio_ccw_private',
    line: dbf(`sch ${SCH}: notoper event 0 state 2`, 2),
    reads: { event: 'fsm_notoper', fields: { fsm: 'NOT_OPER', state: 'IDLE' } },
    step: ['vfio_ccw_sch_event'],
  },
  {
    id: 'vfio_ccw_msg.cp_init',
    machine: 'vfio_ccw_private',
    variant: 'v5.14',
    line: dbf(`sch ${SCH}: cp_init=-16`, 2),
    reads: { event: 'fsm_io_request', fields: { failed: 'cp_init', errno: -16 } },
    step: ['copy_from_user'],
  },
  {
    id: 'vfio_ccw_msg.cp_prefetch',
    machine: 'vfio_ccw_private',
    line: dbf(`sch ${SCH}: cp_prefetch=-22`, 2),
    reads: { event: 'fsm_io_request', fields: { failed: 'cp_prefetch' } },
    step: ['fsm_io_helper'],
  },
  {
    id: 'vfio_ccw_msg.fsm_io_helper',
    machine: 'vfio_ccw_private',
    line: dbf(`sch ${SCH}: fsm_io_helper=-16`, 2),
    reads: { event: 'fsm_io_request', fields: { failed: 'fsm_io_helper', errno: -16 } },
    step: ['fsm_io_helper'],
  },
  {
    id: 'vfio_ccw_msg.create',
    machine: 'vfio_ccw_private',
    variant: 'v5.0',
    line: dbf(`sch ${SCH}: create`, 2),
    reads: { event: 'vfio_ccw_mdev_create', fields: {} },
    step: ['vfio_ccw_mdev_create'],
  },
  {
    id: 'vfio_ccw_msg.remove',
    machine: 'vfio_ccw_private',
    variant: 'v5.0',
    line: dbf(`sch ${SCH}: remove`, 2),
    reads: { event: 'vfio_ccw_mdev_remove', fields: {} },
    step: ['vfio_ccw_mdev_remove'],
  },
  { id: 'vfio_ccw_msg.bound', machine: 'vfio_ccw_private', line: dbf(`bound to subchannel ${SCH}`, 4), reads: 'creation' },
];

function read(s: Sample, lines: readonly string[]) {
  const model = findSpec(s.machine)!.model(s.variant);
  const f = makeFormat('text', model);
  lines.forEach((l, i) => f.scan!(l, i + 1));
  const records = lines.map((l, i) => f.parse(l, i + 1));
  return { records, skipped: f.skipped() };
}

async function replayLines(machine: string, variant: string | undefined, lines: readonly string[]) {
  let out = '';
  const io = { out: (s: string) => void (out += s), err: () => {}, errIsTTY: false };
  const code = await runReplay('-', { machine, ...(variant ? { variant } : {}) }, io, Readable.from([lines.join('\n') + '\n']));
  return { code, out };
}

describe('every mapped and creation message of the catalogue has a sample here', () => {
  it('covers each one exactly once', () => {
    const ids = CATALOGUE.filter((m) => m.meaning.kind !== 'unmapped').map((m) => m.id);
    expect(SAMPLES.map((s) => s.id).sort()).toEqual([...ids].sort());
  });

  it('cites the source file and the pinned version of every message', () => {
    for (const m of CATALOGUE) {
      expect(m.pin.startsWith(PIN), m.id).toBe(true);
      expect(m.source, m.id).toMatch(/^(arch\/s390|drivers\/s390)\//);
      expect(m.call.length, m.id).toBeGreaterThan(0);
    }
  });
});

describe.each(SAMPLES)('$id', (s) => {
  it(`reads ${s.reads === 'creation' ? 'as a creation line' : `to ${s.reads.event}`}`, () => {
    const { records, skipped } = read(s, [...(s.before ?? []), s.line]);
    if (s.reads === 'creation') {
      expect(records.at(-1)).toBeNull();
      expect(skipped.creations).toBeGreaterThan(0);
      expect(skipped.total).toBe(0);
    } else {
      expect(records.at(-1)).toMatchObject(s.reads);
      expect(records.at(-1)!.fields).toEqual(s.reads.fields);
    }
  });

  if (s.reads !== 'creation') {
    it(s.step ? `is printed by ${s.step.join(' or ')}` : 'is printed by no step of the model', async () => {
      const lines = [...(s.before ?? []), s.line];
      const r = await replayLines(s.machine, s.variant, lines);
      if (!s.step) {
        expect(r.code).toBe(1);
        expect(r.out).toContain(`line ${lines.length} cannot be explained (text): ${s.reads === 'creation' ? '' : s.reads.event}`);
        return;
      }
      expect(r.code).toBe(0);
      const step = new RegExp(`^ {2}\\d+\\. \\[\\w+\\] (\\w+).*<- line ${lines.length} \\[`, 'm').exec(r.out);
      expect(step, r.out).not.toBeNull();
      expect(s.step).toContain(step![1]);
    });
  }
});

// A line written from each unmapped format: read, recognised, skipped with the catalogue's reason.
const SAMPLE_ARG: Record<string, string> = { d: '1', i: '1', u: '1', x: '1f', X: '1F', c: 'c', s: 'x', p: '00000000deadbeef' };

/** Families the catalogue matches with a pattern of its own: one concrete message of each. */
const FAMILY: Record<string, string> = {
  'kvm.configuration': 'ENABLE: CAP_S390_IRQCHIP',
  'kvm.configuration-vcpu': 'ENABLE: RI (sync_regs)',
  'kvm.protvirt': 'PROTVIRT CREATE VM: handle 1 len 1 rc 1 rrc 0',
  'kvm.protvirt-vcpu': 'PROTVIRT CREATE VCPU: CPU 0 handle 1 rc 1 rrc 0',
  'kvm-uv.protvirt': '4242: PROTVIRT CREATE VM: handle 1 len 1 rc 1 rrc 0',
};

function fromFormat(m: Message): string {
  const msg = FAMILY[m.id] ?? m.format.replace(/%([-+ #0]*)(\d*)(?:\.\d+)?(hh|h|ll|l|z)?([diuxXpsc%])(ad)?/g, (_all, flags: string, _w, _l, conv: string, ad?: string) => {
    if (conv === '%') return '%';
    if (ad) return '0x0000000080001000';
    if ((conv === 'x' || conv === 'X') && flags.includes('#')) return '0x1f';
    return SAMPLE_ARG[conv]!;
  });
  const text = m.vcpu ? vcpu(msg) : msg;
  return m.view === 'ftrace' ? ft(m.event!, text) : dbf(text, m.level ?? 3);
}

describe('every unmapped message is read and skipped with its reason', () => {
  const unmapped = CATALOGUE.filter((m) => m.meaning.kind === 'unmapped' && m.view !== 'vfio_ccw_trace');
  it.each(unmapped.map((m) => [m.id, m] as const))('%s', (_id, m) => {
    const line = fromFormat(m);
    const f = makeFormat('text', findSpec('system')!.model());
    f.scan!(line, 1);
    expect(f.parse(line, 1)).toBeNull();
    const g = f.skipped().groups;
    expect(g).toHaveLength(1);
    expect(g[0]!.message?.id).toBe(m.id);
    expect(g[0]!.reason).toBe((m.meaning as { reason: string }).reason);
  });
});
