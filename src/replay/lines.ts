// The two line prefixes a host's kernel text comes with, read the way the kernel writes them:
//
// - the s390dbf sprintf view (arch/s390/kernel/debug.c debug_dflt_header_fn, v6.17-rc4):
//   "%02i %011ld:%06lu %1u %1s %04u %px  " = area, seconds:microseconds, level, exception flag
//   ("*" or "-"), cpu, caller; then the message as debug_sprintf_format_fn formats it. The view
//   has no prolog line. `grep -H` puts the file name and ':' in front, `tail`/`head` of several
//   files print "==> FILE <==" headers: the file (s390dbf/<area>/sprintf) names the view.
// - ftrace's trace and trace_pipe text (kernel/trace/trace_output.c trace_print_context,
//   v6.17-rc4): "%16s-%-7d " = task comm and pid, "(%7d) " or "(-------) " = tgid with the
//   record-tgid option, "[%03d] " = cpu, with the irq-info option (the default) the five
//   trace_print_lat_fmt flags, then " %5lu.%06lu" (or " %12llu" for counter clocks) and ": ";
//   the event then prints "<name>: " and its TP_printk.
// Lines with neither prefix are taken as bare messages (what `grep -ho` or a hand-written log gives).

export interface DbfPrefix {
  kind: 'dbf';
  /** The debug feature the line was read from (kvm-4242, kvm-trace, vfio_ap, ...), when the file names it. */
  view?: string;
  area: number;
  sec: string;
  usec: string;
  level: number;
  exception: boolean;
  cpu: number;
  caller: string;
}

export interface FtracePrefix {
  kind: 'ftrace';
  comm: string;
  pid: number;
  /** With the record-tgid option: the thread group, i.e. the QEMU process. */
  tgid?: number;
  cpu: number;
  flags?: string;
  ts: string;
  /** The tracepoint's name (the text before ": " after the prefix). */
  event: string;
}

export interface BarePrefix {
  kind: 'bare';
  view?: string;
}

export type Prefix = DbfPrefix | FtracePrefix | BarePrefix;

/** One line split into its prefix and the message the kernel formatted. */
export interface SplitLine {
  prefix: Prefix;
  message: string;
}

const DBF = /^(?:(?<file>[^\s:]+):)?(?<area>\d{2,}) (?<sec>\d{11,}):(?<usec>\d{6}) (?<level>\d) (?<exc>[-*]) (?<cpu>\d{4,}) (?<caller>[0-9a-f]{8,16}) {2}(?<msg>.*)$/;
const FTRACE =
  /^\s*(?<comm>.*?)-(?<pid>\d+)\s+(?:\((?<tgid>\s*\d+|-------)\)\s+)?\[(?<cpu>\d{3,})\]\s+(?:(?<flags>[.dDbX][.nNpbBLl][.hHsSzZ][.0-9a-f][.0-9a-f])\s+)?(?<ts>\d+\.\d{6}|\d+): (?<event>[A-Za-z0-9_]+): (?<msg>.*)$/;
const HEADER = /^==> (?<file>.+) <==$/;
const GREP_FILE = /^(?<file>[^\s:]*\/[^\s:]*):(?<rest>.*)$/;

/** The debug feature a file of /sys/kernel/debug/s390dbf names: kvm-4242 for .../s390dbf/kvm-4242/sprintf. */
export function viewOfFile(file: string): string {
  const parts = file.split('/').filter(Boolean);
  if (parts.at(-1) === 'sprintf' && parts.length >= 2) return parts.at(-2)!;
  return parts.at(-1) ?? file;
}

/** Reads the line of a log; `view` is the file the last "==> FILE <==" header named. Returns null for a header. */
export function splitLine(text: string, view?: string): SplitLine | { header: string } {
  const h = HEADER.exec(text);
  if (h) return { header: viewOfFile(h.groups!.file!) };
  const d = DBF.exec(text);
  if (d) {
    const g = d.groups!;
    const fileView = g.file ? viewOfFile(g.file) : view;
    return {
      prefix: {
        kind: 'dbf',
        ...(fileView ? { view: fileView } : {}),
        area: Number(g.area),
        sec: g.sec!,
        usec: g.usec!,
        level: Number(g.level),
        exception: g.exc === '*',
        cpu: Number(g.cpu),
        caller: g.caller!,
      },
      message: g.msg!.trimEnd(),
    };
  }
  const f = FTRACE.exec(text);
  if (f) {
    const g = f.groups!;
    const tgid = g.tgid && g.tgid !== '-------' ? Number(g.tgid.trim()) : undefined;
    return {
      prefix: {
        kind: 'ftrace',
        comm: g.comm!.trim(),
        pid: Number(g.pid),
        ...(tgid !== undefined ? { tgid } : {}),
        cpu: Number(g.cpu),
        ...(g.flags ? { flags: g.flags } : {}),
        ts: g.ts!,
        event: g.event!,
      },
      message: g.msg!.trimEnd(),
    };
  }
  const grep = GREP_FILE.exec(text);
  if (grep) return { prefix: { kind: 'bare', view: viewOfFile(grep.groups!.file!) }, message: grep.groups!.rest!.trim() };
  return { prefix: { kind: 'bare', ...(view ? { view } : {}) }, message: text.trim() };
}

/** The prefix as the kernel printed it, normalised, to keep with the line in the output. */
export function formatPrefix(p: Prefix): string {
  switch (p.kind) {
    case 'dbf': {
      const area = String(p.area).padStart(2, '0');
      return `s390dbf ${p.view ? p.view + ' ' : ''}${area} ${p.sec}:${p.usec} ${p.level} ${p.exception ? '*' : '-'} ${String(p.cpu).padStart(4, '0')} ${p.caller}`;
    }
    case 'ftrace': {
      const tgid = p.tgid !== undefined ? ` (${p.tgid})` : '';
      return `ftrace ${p.comm}-${p.pid}${tgid} [${String(p.cpu).padStart(3, '0')}]${p.flags ? ' ' + p.flags : ''} ${p.ts}`;
    }
    case 'bare':
      return p.view ? `${p.view}` : '';
  }
}
