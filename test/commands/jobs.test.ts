// check --jobs and page --jobs (src/commands/pool.ts): whole checks, and each design's coverage,
// on worker threads give what one thread gives; the combinations that have their own threads
// or watchdog are refused with one line.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { main } from '../../src/cli.ts';
import type { CheckResult } from '../../src/check/check.ts';
import { longestFirst, recordedTransitions } from '../../src/commands/check.ts';
import { prestartPool, runPool } from '../../src/commands/pool.ts';
import { designCoverage, pageDesigns } from '../../src/export/page.ts';
import { pick } from '../../src/spec.ts';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

// what a check found, without the time it took
const found = (json: string) => (JSON.parse(json) as CheckResult[]).map(({ millis: _, ...r }) => r);

describe('check --jobs', () => {
  it('hands out the checks with the most recorded transitions first, the unrecorded last in their order (longestFirst)', () => {
    const recorded = new Map([['a/v/c', 10], ['b/v/c', 500], ['d/v/c', 10]]);
    // by hand: b (500), then a and d (10 each, plan order), then x and y (not recorded, plan order)
    expect(longestFirst(['x/v/c', 'a/v/c', 'b/v/c', 'y/v/c', 'd/v/c'], recorded)).toEqual([2, 1, 4, 0, 3]);
    expect(longestFirst(['a/v/c'], undefined)).toBeUndefined();
    // the checkout's manifest: its costliest check (the dirty log's get-race, 187,324 transitions in manifest.json) goes first
    const keys = ['kvm_vcpu/upstream/one-vcpu', 'kvm_memory_slot/bug-get-protect-whole-word/get-race'];
    expect(longestFirst(keys, recordedTransitions())).toEqual([1, 0]);
  });

  it('two threads find what one finds, in the same order (kvm_vcpu: a check per variant)', async () => {
    const one = await run('check', '--machine', 'kvm_vcpu', '--json');
    const two = await run('check', '--machine', 'kvm_vcpu', '--json', '--jobs', '2');
    expect(two.code).toBe(one.code);
    const [a, b] = [found(one.out), found(two.out)];
    expect(a.length).toBe(specs.find((s) => s.id === 'kvm_vcpu')!.variants.length);
    expect(b).toEqual(a);
    // a violation with its trace came through the thread boundary intact
    expect(b.some((r) => r.results.some((p) => p.holds === false && (p.trace?.length ?? 0) > 0))).toBe(true);
  });

  it('prints the text results in the plan\'s order', async () => {
    const one = await run('check', '--machine', 'ap_matrix_mdev', '--configuration', 'all');
    const two = await run('check', '--machine', 'ap_matrix_mdev', '--configuration', 'all', '--jobs', '2');
    const heads = (s: string) => s.split('\n').filter((l) => /^ap_matrix_mdev \/ /.test(l)).map((l) => l.replace(/, [\d.]+ s$/, ''));
    expect(heads(two.out).length).toBeGreaterThan(2);
    expect(heads(two.out)).toEqual(heads(one.out));
  });

  it('starts its workers in a process run with a flag workers refuse (node --expose-gc, as npm run bench)', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'src/cli.ts', 'check', '--machine', 'kvm', '--jobs', '2'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 checks: every result matches its expectation');
  });

  it.each([
    [['--jobs', '0'], /option '--jobs <n>' argument '0' is invalid\. expected an integer from 1 to 64/],
    [['--jobs', 'two'], /expected an integer from 1 to 64/],
    [['--jobs', '2', '--workers', '2', '--machine', 'kvm_s390_gib'], /--jobs is not combined with --workers .*: drop --jobs/],
    [['--jobs', '2', '--timeout', '5', '--machine', 'kvm_s390_gib'], /--jobs is not combined with --timeout .*: drop --jobs/],
    [['--jobs', '2', '--swarm', '2', '--machine', 'kvm_s390_gib'], /--swarm and --jobs are not combined: start more swarm processes instead/],
  ])('check %j exits 2 with one line', async (args, message) => {
    const r = await run('check', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/^[^\n]+\n$/);
    expect(r.out).toBe('');
  });
});

describe('page --jobs', () => {
  it('a design\'s coverage measured on a worker thread is the one measured here', async () => {
    const designs = pageDesigns(specs).filter((d) => d.machine === 'kvm_vcpu' || d.machine === 'kvm');
    // kvm_vcpu's nine variants (upstream, planted-no-delivery, planted-wait-no-halt, planted-tpi-takes-lowest-priority,
    // planted-pv-deliverable-ignores-iictl, planted-pv-no-fence, planted-pv-fence-every-exit, planted-initial-reset-keeps-cr6,
    // planted-deliver-io-drops-fault) and kvm's two (upstream, planted-put-without-destroy), one design each: counted from the variant files
    expect(designs.length).toBe(11);
    const got: unknown[] = [];
    // three started ahead (as npm start does, src/start.ts): the pool takes two, and stops the third
    const early = prestartPool(3);
    const third = new Promise((resolve) => early[2]!.once('exit', resolve));
    await runPool<{ nodes: string[] }>(
      designs.map((d) => ({ kind: 'coverage', ...d })),
      2,
      (i, r) => void (got[i] = { ...r, nodes: new Set(r.nodes) }),
    );
    const here = designs.map((d) => designCoverage(pick('machine', 'test', specs, d.machine).model(d.variant, d.configuration), undefined));
    expect(got).toEqual(here);
    expect(here.every((d) => d.states > 1 && d.nodes.size > 1)).toBe(true);
    await third;
  });

  it('is refused with --definitions (they replay transitions in the main thread)', async () => {
    const r = await run('page', '--jobs', '2', '--definitions', '--report', 'no-such-report-dir');
    expect(r.code).toBe(2);
    expect(r.err).toBe('s390-kvm-spec: page --definitions replays transitions in this thread: drop --jobs or --definitions\n');
  });
});
