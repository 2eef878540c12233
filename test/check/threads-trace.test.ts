// A counterexample of a fine-grained configuration reads as one lane per thread: the CLI prints
// the lanes and puts each step in its thread's lane with its program counter, the review
// page's sequence pictures draw one participant per thread; and the check command's --por
// and --no-por flags.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { specs } from '../../machines/index.ts';
import { checkModel } from '../../src/check/check.ts';
import { formatResult } from '../../src/commands/check.ts';
import { lanesOf, traceToMermaid, traceToSvg } from '../../src/export/sequence.ts';

const gisa = specs.find((s) => s.id === 'kvm_s390_gisa_interrupt')!;
const r = checkModel(gisa.model('upstream', 'kicker-unregister'));
const found = r.results.find((x) => x.property === 'IamRestoredOrKickerArmed')!;

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

describe('a trace through threads', () => {
  it('names each step\'s thread, and the step is the program counter it executed', () => {
    expect(found.holds).toBe(false);
    const kicker = found.trace.filter((s) => s.thread === 'kicker').map((s) => s.event.type);
    // the window: the kicker reads alert.mask, the driver unregisters, the kicker's cmpxchg still succeeds
    expect(kicker).toContain('gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)');
    expect(kicker[kicker.length - 1]).toBe('gisa_get_ipm_or_restore_iam@try_cmpxchg(word)');
    const readMask = found.trace.findIndex((s) => s.event.type === 'gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask)');
    const unregister = found.trace.findIndex((s) => s.event.type === 'kvm_s390_gisc_unregister@ref_count[gisc]--');
    const cmpxchg = found.trace.findIndex((s) => s.event.type === 'gisa_get_ipm_or_restore_iam@try_cmpxchg(word)');
    expect(readMask).toBeLessThan(unregister);
    expect(unregister).toBeLessThan(cmpxchg);
    expect(found.trace.every((s) => s.thread === undefined || s.thread === (s.event as { thread?: string }).thread)).toBe(true);
  });

  it('the CLI prints the lanes and each thread step in its lane, without the thread payload', () => {
    const text = formatResult(r);
    expect(text).toMatch(/lanes:\s+\S+ \|\s+\S+/);
    const line = text.split('\n').find((l) => l.includes('try_cmpxchg(word)  ->'))!;
    expect(line).toMatch(/^\s+\d+\. kicker\s+gisa_get_ipm_or_restore_iam@try_cmpxchg\(word\)  -> state\.kicker=idle/);
    expect(line).not.toContain('"thread"');
    expect(text).toMatch(/\d+\. \[hardware\]\s+GISA_ADAPTER_INTERRUPTION \{"vm":0,"isc":3\}/);
  });

  it('the sequence pictures draw one participant per thread, next to the actors', () => {
    const lanes = lanesOf(found.trace);
    expect(lanes).toEqual(expect.arrayContaining(['kicker', 'driver', 'hardware', 'kernel']));
    const svg = traceToSvg(found.trace);
    expect(svg).toContain('data-lane="kicker"');
    expect(svg).toContain('data-lane="driver"');
    expect(svg).not.toContain('thread=');
    const mmd = traceToMermaid(found.trace);
    expect(mmd).toContain('participant kicker');
    expect(mmd).toContain('participant driver');
    expect(mmd).toMatch(/Note over kicker: \d+\. gisa_get_ipm_or_restore_iam@try_cmpxchg\(word\)/);
  });
});

describe('check --por / --no-por', () => {
  it('a fine-grained configuration is reduced by default; --no-por explores every interleaving, and both say so', async () => {
    const a = await run('check', '--machine', 'kvm_s390_gisa_interrupt', '--configuration', 'kicker-destroy', '--variant', 'upstream', '--json');
    const b = await run('check', '--machine', 'kvm_s390_gisa_interrupt', '--configuration', 'kicker-destroy', '--variant', 'upstream', '--json', '--no-por');
    expect([a.code, b.code]).toEqual([0, 0]);
    const [ja] = JSON.parse(a.out);
    const [jb] = JSON.parse(b.out);
    expect(ja.por).toMatchObject({ reduced: true });
    expect(jb.por).toEqual({ reduced: false, note: 'turned off (--no-por)' });
    expect(jb.states).toBeGreaterThan(ja.states);
    const text = await run('check', '--machine', 'kvm_s390_gisa_interrupt', '--configuration', 'kicker-destroy', '--variant', 'upstream');
    expect(text.out).toContain('partial-order reduced: one order of independent steps explored');
  });

  it('--symmetry with --por is refused in one line, exit 2', async () => {
    const r = await run('check', '--machine', 'system', '--symmetry', '--por');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: --symmetry and --por cannot be combined[^\n]*\n$/);
  });

  it('a variant that exists only in its own configuration is refused elsewhere in one line, skipped by --configuration all', async () => {
    const r = await run('check', '--machine', 'kvm_s390_gisa_interrupt', '--variant', 'planted-origin-null-before-cancel', '--configuration', 'one-isc');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: variant 'planted-origin-null-before-cancel' of kvm_s390_gisa_interrupt exists only in configuration kicker-destroy, not 'one-isc'\n$/);
  });
});
