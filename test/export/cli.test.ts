import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';
import { runExport } from '../../src/commands/export.ts';
import { fixtureReport } from './fixture.ts';
import { toySpecs } from './toys.ts';

const tmp = await mkdtemp(join(tmpdir(), 's390-export-cli-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, err };
}

describe('export: bad input', () => {
  it('an unknown machine: one line, exit 2, nothing written', async () => {
    const out = join(tmp, 'a');
    const r = await run(['export', '--machine', 'no_such_machine', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: unknown machine 'no_such_machine'; known: .*\n$/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('an unknown format: one line, exit 2, nothing written', async () => {
    const out = join(tmp, 'b');
    const r = await run(['export', '--format', 'png', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toBe("s390-kvm-spec: unknown format 'png'; use one of mermaid, dot, svg, scxml, json\n");
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('an output directory that is a file: one line, exit 2', async () => {
    const file = join(tmp, 'plain-file');
    await writeFile(file, 'x');
    const r = await run(['export', '--out', join(file, 'diagrams')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: cannot write to output directory '.*plain-file\/diagrams' \(ENOTDIR\); choose a writable directory with --out\n$/);
  });

  it('a directory the kernel refuses (under /proc): one line, exit 2, promptly', async () => {
    // Node's own recursive mkdir loops forever here; the exporter must not
    const r = await run(['export', '--out', '/proc/s390-kvm-spec/diagrams']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("s390-kvm-spec: cannot write to output directory '/proc/s390-kvm-spec/diagrams' (ENOENT); choose a writable directory with --out\n");
  }, 5_000);

  it('page without results: one line naming the command to run, exit 2', async () => {
    const r = await run(['page', '--report', join(tmp, 'no-report')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: cannot read checker results '.*no-report\/results.json': not found; run `s390-kvm-spec check --report .*no-report` first\n$/);
  });

  it('page writes index.html and the counterexamples beside it; results of unknown machines still show', async () => {
    const report = join(tmp, 'report');
    await mkdir(report);
    await writeFile(join(report, 'results.json'), JSON.stringify(fixtureReport('not_in_registry')));
    await mkdir(join(report, 'counterexamples', 'stale'), { recursive: true });
    await writeFile(join(report, 'counterexamples', 'stale', 'fixed-variant.mmd'), 'sequenceDiagram\n');
    const r = await run(['page', '--report', report, '--coverage-max-states', '100']);
    expect(r).toEqual({ code: 0, err: '' });
    const html = await readFile(join(report, 'index.html'), 'utf8');
    expect(html).toContain('Results for machines not in the registry');
    expect(html).toContain('data-variant="aqic-v4"');
    expect((await readdir(join(report, 'counterexamples'), { recursive: true })).sort()).toEqual([
      'not_in_registry', 'not_in_registry/aqic-v4.default.GisaDestroyAfterAqicDisable.mmd', 'toy_counter', 'toy_counter/baseline.default.CounterReachesTwo.mmd',
    ]);
  });

  it('a destination that cannot be created leaves no partial file behind', async () => {
    const bad = join(tmp, 'c');
    await mkdir(bad);
    // `toy` is a file where the area directory must go: nothing may be written, not even counts.json
    await writeFile(join(bad, 'toy'), 'not a directory');
    await expect(runExport(toySpecs, { out: bad })).rejects.toThrow(/^cannot write to output directory .* \((EEXIST|ENOTDIR)\)/);
    expect((await readdir(bad)).sort()).toEqual(['toy']);
  });

  it('--machine and --format select one file (plus counts.json)', async () => {
    const out = join(tmp, 'd');
    expect(await runExport(toySpecs, { out, machine: 'toy_counter', format: 'scxml' })).toEqual([`${out}/toy/toy_counter.scxml`, `${out}/counts.json`]);
  });
});
