// The line prefixes of the kernel's text, as the kernel writes them (src/replay/lines.ts).
import { describe, expect, it } from 'vitest';
import { formatPrefix, splitLine as splitAny, viewOfFile, type SplitLine } from '../../src/replay/lines.ts';

const splitLine = (text: string, view?: string) => splitAny(text, view) as SplitLine;

describe('s390dbf sprintf view: debug_dflt_header_fn "%02i %011ld:%06lu %1u %1s %04u %px  "', () => {
  const line = '00 01757002161:120044 3 - 0000 000003ff80d4b1a8  gisa 0x00000000a4c1f73e cleared';

  it('reads area, seconds:microseconds, level, exception flag, cpu and caller, then the message', () => {
    expect(splitLine(line)).toEqual({
      prefix: { kind: 'dbf', area: 0, sec: '01757002161', usec: '120044', level: 3, exception: false, cpu: 0, caller: '000003ff80d4b1a8' },
      message: 'gisa 0x00000000a4c1f73e cleared',
    });
    expect(splitLine(line.replace(' 3 - ', ' 4 * ')).prefix).toMatchObject({ level: 4, exception: true });
  });

  it('takes the view from grep -H and from the ==> headers of tail and head', () => {
    const grep = splitLine(`/sys/kernel/debug/s390dbf/kvm-4242/sprintf:${line}`);
    expect(grep).toMatchObject({ prefix: { kind: 'dbf', view: 'kvm-4242' }, message: 'gisa 0x00000000a4c1f73e cleared' });
    expect(splitAny('==> /sys/kernel/debug/s390dbf/vfio_ap/sprintf <==')).toEqual({ header: 'vfio_ap' });
    expect(splitLine(line, 'vfio_ccw_msg').prefix).toMatchObject({ view: 'vfio_ccw_msg' });
    expect(viewOfFile('s390dbf/kvm-trace/sprintf')).toBe('kvm-trace');
  });

  it('keeps the prefix, normalised, for the output', () => {
    expect(formatPrefix(splitLine(`/sys/kernel/debug/s390dbf/kvm-4242/sprintf:${line}`).prefix)).toBe('s390dbf kvm-4242 00 01757002161:120044 3 - 0000 000003ff80d4b1a8');
  });
});

describe('ftrace: trace_print_context "%16s-%-7d " ["(%7d) "] "[%03d] " [flags] " %5lu.%06lu" ": "', () => {
  it('reads comm, pid, cpu, the five lat flags, the timestamp and the event', () => {
    expect(splitLine('       CPU 0/KVM-4251    [002] d.h1.  2161.530117: kvm_s390_deliver_interrupt: deliver interrupt (vcpu 0): type:4000000')).toEqual({
      prefix: { kind: 'ftrace', comm: 'CPU 0/KVM', pid: 4251, cpu: 2, flags: 'd.h1.', ts: '2161.530117', event: 'kvm_s390_deliver_interrupt' },
      message: 'deliver interrupt (vcpu 0): type:4000000',
    });
  });

  it('reads the tgid of options/record-tgid, "(-------)" when unknown', () => {
    expect(splitLine(' qemu-system-s39-4242    (   4242) [000] .....  2160.310200: kvm_s390_vcpu_start_stop: starting cpu 0').prefix).toMatchObject({ comm: 'qemu-system-s39', pid: 4242, tgid: 4242 });
    const unknown = splitLine('          <idle>-0       (-------) [000] d.h..   102.511902: vfio_ccw_fsm_event: schid=0.0.0313 state=4 event=2').prefix;
    expect(unknown).toMatchObject({ comm: '<idle>', pid: 0 });
    expect(unknown).not.toHaveProperty('tgid');
  });

  it('reads a trace without irq-info and one with a counter clock', () => {
    expect(splitLine('        qemu-kvm-2301    [001]    102.118801: vfio_ccw_fsm_event: schid=0.0.0313 state=1 event=4').prefix).toMatchObject({ ts: '102.118801' });
    expect(splitLine('        qemu-kvm-2301    [001] .....  3084234921: vfio_ccw_fsm_event: schid=0.0.0313 state=1 event=4').prefix).toMatchObject({ ts: '3084234921' });
  });

  it('keeps the prefix, normalised, for the output', () => {
    expect(formatPrefix(splitLine(' qemu-system-s39-4242    (   4242) [000] .....  2160.310200: kvm_s390_vcpu_start_stop: starting cpu 0').prefix)).toBe(
      'ftrace qemu-system-s39-4242 (4242) [000] ..... 2160.310200',
    );
  });
});

describe('other lines', () => {
  it('are bare messages (grep -ho, a hand-written log)', () => {
    expect(splitLine('gisa 0x00000000a4c1f73e cleared')).toEqual({ prefix: { kind: 'bare' }, message: 'gisa 0x00000000a4c1f73e cleared' });
  });
});
