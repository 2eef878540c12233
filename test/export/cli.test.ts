import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';
import { runExport } from '../../src/commands/export.ts';
import { fixtureReport } from './fixture.ts';
import { markerText } from '../../src/export/owned.ts';
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

/** A report folder with results, for the page commands. */
async function report(name: string): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.json'), JSON.stringify(fixtureReport('not_in_registry')));
  return dir;
}

describe('nothing the package did not write is lost', () => {
  it('page refuses a counterexamples/ holding a file of the user, deletes nothing, writes nothing', async () => {
    const dir = await report('user-cx');
    await mkdir(join(dir, 'counterexamples', 'mine'), { recursive: true });
    await writeFile(join(dir, 'counterexamples', 'mine', 'notes.txt'), 'my notes');
    const r = await run(['page', '--report', dir, '--coverage-max-states', '100']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: counterexamples folder '.*user-cx\/counterexamples' holds 'mine\/notes.txt', which s390-kvm-spec did not write \(and no \.s390-kvm-spec marker lists it\); it never overwrites such a folder: move the file away or choose another\n$/);
    expect(await readFile(join(dir, 'counterexamples', 'mine', 'notes.txt'), 'utf8')).toBe('my notes');
    expect((await readdir(dir)).sort()).toEqual(['counterexamples', 'results.json']);
  });

  it('page --out X/index.html: a file the user added to the folder the package wrote is kept, and the run refused', async () => {
    const dir = await report('added-later');
    const out = join(tmp, 'added-later-out', 'index.html');
    expect((await run(['page', '--report', dir, '--out', out, '--coverage-max-states', '100'])).code).toBe(0);
    const cx = join(tmp, 'added-later-out', 'counterexamples');
    await writeFile(join(cx, 'toy_counter', 'review.md'), 'reviewed');
    const again = await run(['page', '--report', dir, '--out', out, '--coverage-max-states', '100']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/holds 'toy_counter\/review.md', which s390-kvm-spec did not write \(the \.s390-kvm-spec marker of '\.' does not list it\)/);
    expect(await readFile(join(cx, 'toy_counter', 'review.md'), 'utf8')).toBe('reviewed');
    expect(await readFile(join(cx, 'toy_counter', 'baseline.default.CounterReachesTwo.mmd'), 'utf8')).toMatch(/^%% toy_counter/);
  });

  it('page replaces only its own files: a second run drops a since-fixed counterexample, keeps nothing stale', async () => {
    const dir = await report('rerun');
    expect((await run(['page', '--report', dir, '--coverage-max-states', '100'])).code).toBe(0);
    const fixed = fixtureReport('not_in_registry');
    fixed.checks = fixed.checks.filter((c) => c.machine !== 'toy_counter');
    await writeFile(join(dir, 'results.json'), JSON.stringify(fixed));
    expect((await run(['page', '--report', dir, '--coverage-max-states', '100'])).code).toBe(0);
    expect((await readdir(join(dir, 'counterexamples'), { recursive: true })).sort()).toEqual(['.s390-kvm-spec', 'not_in_registry', 'not_in_registry/aqic-v4.default.GisaDestroyAfterAqicDisable.mmd']);
    expect((await readdir(dir)).sort()).toEqual(['counterexamples', 'index.html', 'results.json']);
  });

  it('page refuses to overwrite a file that is not a page it wrote', async () => {
    const dir = await report('foreign-page');
    await writeFile(join(dir, 'notes.html'), '<p>my notes</p>');
    const r = await run(['page', '--report', dir, '--out', join(dir, 'notes.html'), '--coverage-max-states', '100']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: page '.*notes.html' exists and is not a page s390-kvm-spec wrote; it never overwrites such a file: move it away or choose another --out\n$/);
    expect(await readFile(join(dir, 'notes.html'), 'utf8')).toBe('<p>my notes</p>');
  });

  it('page --out under a file (not a folder): one line before any design is explored, nothing written', async () => {
    const dir = await report('page-under-file');
    await writeFile(join(dir, 'plain'), 'x');
    const r = await run(['page', '--report', dir, '--out', join(dir, 'plain', 'index.html'), '--coverage-max-states', '100']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: cannot write the page to '.*plain\/index.html' \(ENOTDIR\); choose a writable path with --out\n$/);
    expect((await readdir(dir)).sort()).toEqual(['plain', 'results.json']);
  });

  it('export --out refuses a folder holding files it did not write, and writes a marker into its own', async () => {
    const mine = join(tmp, 'my-folder');
    await mkdir(mine);
    await writeFile(join(mine, 'thesis.tex'), 'x');
    const r = await run(['export', '--machine', 'kvm_vcpu', '--format', 'dot', '--out', mine]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^s390-kvm-spec: output folder '.*my-folder' holds 'thesis.tex', which s390-kvm-spec did not write/);
    expect(await readdir(mine)).toEqual(['thesis.tex']);
    const ours = join(tmp, 'exported');
    expect(await runExport(toySpecs, { out: ours, format: 'dot' })).toHaveLength(3);
    expect(JSON.parse(await readFile(join(ours, '.s390-kvm-spec'), 'utf8')).files).toEqual(['counts.json', 'toy/toy_counter.dot', 'toy/toy_queue.dot']);
    // a second export adds to the list; a file the user then adds makes the folder not the package's
    await runExport(toySpecs, { out: ours, format: 'mermaid' });
    expect(JSON.parse(await readFile(join(ours, '.s390-kvm-spec'), 'utf8')).files).toEqual(['counts.json', 'toy/toy_counter.dot', 'toy/toy_counter.mmd', 'toy/toy_queue.dot', 'toy/toy_queue.mmd']);
    await writeFile(join(ours, 'toy', 'notes.txt'), 'x');
    await expect(runExport(toySpecs, { out: ours })).rejects.toThrow(/holds 'toy\/notes.txt', which s390-kvm-spec did not write/);
  });
});

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
    // the old folder (files the package writes, from before the marker) replaced whole
    expect((await readdir(join(report, 'counterexamples'), { recursive: true })).sort()).toEqual([
      '.s390-kvm-spec', 'not_in_registry', 'not_in_registry/aqic-v4.default.GisaDestroyAfterAqicDisable.mmd', 'toy_counter', 'toy_counter/baseline.default.CounterReachesTwo.mmd',
    ]);
  });

  it('a destination that cannot be created leaves no partial file behind', async () => {
    const bad = join(tmp, 'c');
    await mkdir(bad);
    // `toy` is a file where the area directory must go: nothing may be written, not even counts.json
    // (the marker says the package wrote it, so the folder is the package's and the write is tried)
    await writeFile(join(bad, 'toy'), 'not a directory');
    await writeFile(join(bad, '.s390-kvm-spec'), markerText(['toy']));
    await expect(runExport(toySpecs, { out: bad })).rejects.toThrow(/^cannot write to output directory .* \((EEXIST|ENOTDIR)\)/);
    expect((await readdir(bad)).sort()).toEqual(['.s390-kvm-spec', 'toy']);
    expect(await readFile(join(bad, '.s390-kvm-spec'), 'utf8')).toBe(markerText(['toy']));
  });

  it('--machine and --format select one file (plus counts.json)', async () => {
    const out = join(tmp, 'd');
    expect(await runExport(toySpecs, { out, machine: 'toy_counter', format: 'scxml' })).toEqual([`${out}/toy/toy_counter.scxml`, `${out}/counts.json`]);
  });
});
