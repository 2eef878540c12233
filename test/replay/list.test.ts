// `list --formats`: every message replay reads, mapped with its source, unmapped with the reason.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';
import { CATALOGUE, PIN } from '../../src/replay/catalogue.ts';

async function list(...argv: string[]) {
  let out = '';
  let err = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  try {
    const code = await main(['list', ...argv], { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
    return { code, out, err };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('list --formats', () => {
  it('prints every message of the catalogue under its view, with its source, and what it is', async () => {
    const r = await list('--formats');
    expect(r.code).toBe(0);
    const mapped = CATALOGUE.filter((m) => m.meaning.kind === 'mapped').length;
    const creation = CATALOGUE.filter((m) => m.meaning.kind === 'identity').length;
    const unmapped = CATALOGUE.filter((m) => m.meaning.kind === 'unmapped').length;
    expect(r.out).toContain(`pinned to ${PIN}: ${CATALOGUE.length} messages, ${mapped} mapped, ${creation} creation lines (the machines' initial state), ${unmapped} unmapped`);
    for (const m of CATALOGUE) {
      const kind = m.meaning.kind === 'identity' ? 'creation' : m.meaning.kind;
      expect(r.out, m.id).toContain(`  ${kind.padEnd(8)} ${m.view === 'ftrace' ? `${m.event}: ` : ''}${m.format}\n    ${m.source}`);
      if (m.meaning.kind === 'unmapped') expect(r.out, m.id).toContain(`    ${m.meaning.reason}\n`);
      if (m.meaning.kind === 'mapped') expect(r.out, m.id).toContain(`    printed by ${m.meaning.printedBy.join(' or ')}`);
    }
    expect(r.out).toContain('  mapped   gisa 0x%p cleared\n    arch/s390/kvm/interrupt.c kvm_s390_gisa_clear');
    expect(r.out).toContain('s390dbf kvm-<pid>/sprintf: one VM');
    expect(r.out).toContain('ftrace trace or trace_pipe');
  });

  it('--json gives one row per message', async () => {
    const r = await list('--formats', '--json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { id: string; kind: string; source: string; pin: string; reason?: string; printedBy?: string[] }[];
    expect(rows.map((x) => x.id)).toEqual(CATALOGUE.map((m) => m.id));
    expect(rows.find((x) => x.id === 'kvm.gisa-cleared')).toMatchObject({ kind: 'mapped', printedBy: ['kvm_s390_gisa_clear'], pin: PIN });
    expect(rows.filter((x) => x.kind === 'unmapped').every((x) => !!x.reason)).toBe(true);
  });

  it('is a listing of its own: not with --kernel or --machine', async () => {
    const r = await list('--formats', '--kernel');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: --formats lists the messages of every machine: drop --kernel and --machine\n$/);
  });
});
