// The `paths` command: what it writes and where, and one-line usage errors with exit 2 for
// bad input, never a partial file.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';

const base = mkdtempSync(join(tmpdir(), 's390-kvm-spec-paths-cmd-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['paths', ...args], { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

describe('paths', () => {
  it('writes <machine>.<variant>.<configuration>.<cover>.json into a directory it creates, and says what it covers', async () => {
    const dir = join(base, 'new', 'deeper');
    const r = await run('--machine', 'kvm', '--format', 'json', '--out', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // kvm one-vm: 8 states, 10 transitions, 3 edge-covering paths (manifest.json)
    expect(r.out).toBe(`wrote ${dir}/kvm.upstream.one-vm.edges.json: 3 paths, 11 steps; 10 of 10 transitions, 8 of 8 states\n`);
    expect(readdirSync(dir)).toEqual(['kvm.upstream.one-vm.edges.json']);
  });

  it('writes <machine>-<variant>-<configuration>-<cover>.c for a kselftest and counts the dropped json paths', async () => {
    const dir = join(base, 'c');
    const r = await run('--machine', 'kvm_memory_slot', '--variant', 's390', '--cover', 'payloads', '--format', 'kselftest', '--out', dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote .*\/kvm_memory_slot-s390-manual-payloads\.c: \d+ paths, \d+ steps; .* json paths dropped for steps userspace cannot cause\n$/);
  });

  it.each([
    [['--machine', 'nope', '--format', 'json', '--out', 'x'], /unknown machine 'nope'; known: kvm_s390_gib, /],
    [['--machine', 'kvm', '--variant', 'nope', '--format', 'json', '--out', 'x'], /unknown variant 'nope' for kvm; known: /],
    [['--machine', 'kvm', '--configuration', 'nope', '--format', 'json', '--out', 'x'], /unknown configuration 'nope' for kvm; known: /],
    [['--machine', 'kvm', '--format', 'yaml', '--out', 'x'], /argument 'yaml' is invalid\. Allowed choices are json, kselftest/],
    [['--machine', 'kvm', '--cover', 'all', '--format', 'json', '--out', 'x'], /argument 'all' is invalid\. Allowed choices are edges, states, payloads/],
    [['--machine', 'kvm', '--format', 'json'], /required option '--out <dir>' not specified/],
    [['--machine', 'kvm', '--out', 'x'], /required option '--format <format>' not specified/],
    [['--machine', 'system', '--format', 'kselftest', '--out', 'x'], /no kselftest for system: userspace drives only kvm_s390_float_interrupt and kvm_memory_slot through KVM ioctls; use --format json/],
    [['--machine', 'system', '--max-states', '100', '--format', 'json', '--out', 'x'], /system upstream default has more than 100 states; paths need the whole graph: pick a smaller configuration or raise --max-states/],
  ])('refuses %j with one line and exit 2', async (args, message) => {
    const r = await run(...args);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(message);
  });

  it('an --out that is a file is one line and exit 2, and the file stays', async () => {
    const file = join(base, 'plain');
    writeFileSync(file, 'mine');
    const r = await run('--machine', 'kvm', '--format', 'json', '--out', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot write .*plain\/kvm\.upstream\.one-vm\.edges\.json \((EEXIST|ENOTDIR)\); choose a writable directory with --out/);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });
});
