import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { main } from '../../src/cli.ts';
import { toySpec } from '../fixtures/toy-spec.ts';
import { formatResult } from '../../src/commands/check.ts';
import type { MachineSpec } from '../../src/spec.ts';

// The CLI runs in-process against the toy spec alone (the kernel machines are put back after;
// test files share the registry module, vitest.config.ts isolate: false).
let saved: MachineSpec[] = [];
beforeAll(() => void (saved = specs.splice(0, specs.length, toySpec)));
afterAll(() => void specs.splice(0, specs.length, ...saved));

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

const oneLine = (s: string) => expect(s).toMatch(/^[^\n]+\n$/);
/** The toy machine under another id and without parameters. */
const noParams: MachineSpec = { ...toySpec, id: 'toy_without_params', params: [], model: (v, c) => ({ ...toySpec.model(v, c), machineId: 'toy_without_params' }) };
const fixture = (name: string) => join('test/fixtures/variants', name);

describe('check exit codes', () => {
  it('exits 1 with no arguments: the toy spec has a variant whose expectation is wrong', async () => {
    const r = await run('check');
    expect(r.code).toBe(1);
    expect(r.out).toContain('toy / baseline / default: 6 states, 16 transitions, depth 3');
    expect(r.out).toMatch(/ZeroReachable\s+liveness\s+violated\s+holds\s+MISMATCH/);
    expect(r.out).toContain('4 checks: 1 result differs from the expectation:\n  toy/wrong/default ZeroReachable: expected violated, found holds');
    expect(r.err).toBe('');
  });

  it('exits 0 when every result matches, including expected violations', async () => {
    for (const v of ['baseline', 'overflow', 'lossy']) expect((await run('check', '--machine', 'toy', '--variant', v)).code).toBe(0);
  });

  it.each([
    [['check', '--machine', 'nope'], /unknown machine 'nope'.*known: toy/],
    [['check', '--variant', 'nope'], /no machine has a variant 'nope'; known: baseline, overflow, lossy, wrong/],
    [['check', '--machine', 'toy', '--variant', 'nope'], /unknown variant 'nope' for toy; known: baseline, overflow, lossy, wrong/],
    [['check', '--configuration', 'nope'], /no machine has a configuration 'nope'; known: toy: default, big/],
    [['check', '--machine', 'toy', '--configuration', 'nope'], /unknown configuration 'nope' for toy; known: default, big/],
    // an empty value is a value, not an absent flag
    [['check', '--configuration', ''], /no machine has a configuration ''; known: toy: default, big/],
    [['check', '--machine', 'toy', '--configuration', ''], /unknown configuration '' for toy; known: default, big/],
    [['check', '--variant', ''], /no machine has a variant ''; known: baseline/],
    [['check', '--machine', ''], /unknown machine ''/],
    [['check', '--variant-file', ''], /--variant-file needs a file name, got an empty string/],
    [['check', '--report', ''], /--report needs a directory, got an empty string/],
    // a parameter is a key of the configuration, never a property of an object
    [['check', '--set', '__proto__={"limit":9}'], /no machine has the parameter '__proto__'; known: toy: limit/],
    [['check', '--machine', 'toy', '--set', '__proto__={"limit":9}'], /machine toy has no parameter '__proto__'; known: limit/],
    [['check', '--machine', 'toy', '--set', 'constructor=1'], /machine toy has no parameter 'constructor'; known: limit/],
    // a variant is checked only in the configurations it states (it says what it must find there)
    [['check', '--variant', 'overflow', '--configuration', 'big'], /variant overflow of toy does not belong to configuration big, so nothing says what it must find there; it belongs to default/],
    [['check', '--bogus'], /unknown option '--bogus'/],
    [['check', '--max-states', 'many'], /--max-states.*expected a positive integer/],
    [['check', '--variant', 'lossy', '--variant-file', 'x.ts'], /cannot be used with/],
    [['check', '--set', 'foo=1'], /no machine has the parameter 'foo'; known: toy: limit/],
    [['check', '--machine', 'toy', '--set', 'foo=1'], /machine toy has no parameter 'foo'; known: limit/],
    [['check', '--set', 'limit'], /--set expects key=value/],
    [['check', '--set', 'limit=-1'], /limit must be a non-negative integer/],
  ])('exits 2 with one line for %j', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('overrides a parameter with --set: limit 1 gives 2 x 2 states', async () => {
    const r = await run('check', '--variant', 'baseline', '--set', 'limit=1', '--json');
    expect(JSON.parse(r.out)[0].states).toBe(4);
  });

  it('--set without --machine applies to the machines that have the parameter', async () => {
    specs.push(noParams);
    try {
      const r = await run('check', '--variant', 'baseline', '--set', 'limit=1', '--json');
      expect(r.err).toBe('');
      expect(JSON.parse(r.out).map((c: { machine: string; states: number }) => [c.machine, c.states])).toEqual([['toy', 4]]);
      const none = await run('check', '--set', 'vcpus=1');
      expect(none.code).toBe(2);
      expect(none.err).toBe("s390-kvm-spec: no machine has the parameter 'vcpus'; known: toy: limit; toy_without_params: none\n");
    } finally {
      specs.splice(specs.indexOf(noParams), 1);
    }
  });

  it('takes a variant\'s expectation in a configuration from expectedViolationsIn', async () => {
    // `wrong` expects ZeroReachable violated, which never happens; in big it is stated to hold
    const stated = { ...toySpec, id: 'toy_stated', variants: toySpec.variants.map((v) => (v.id === 'wrong' ? { ...v, expectedViolationsIn: { big: [] } } : v)) };
    specs.push(stated);
    try {
      expect((await run('check', '--machine', 'toy_stated', '--variant', 'wrong', '--configuration', 'big')).code).toBe(0);
      const home = await run('check', '--machine', 'toy_stated', '--variant', 'wrong');
      expect(home.code).toBe(1);
      expect(home.out).toMatch(/ZeroReachable\s+liveness\s+violated\s+holds\s+MISMATCH/);
    } finally {
      specs.splice(specs.indexOf(stated), 1);
    }
  });

  it('reports a state limit as a result, not an exception', async () => {
    const r = await run('check', '--variant', 'baseline', '--max-states', '3');
    expect(r.code).toBe(1);
    expect(r.out).toContain('(explored 3 states, limit reached)');
    expect(r.out).toMatch(/NotOverLimit\s+invariant\s+holds\s+unknown\s+MISMATCH/);
  });

  it('--configuration C checks the variants that state C; all: each variant in each of its configurations', async () => {
    const big = await run('check', '--configuration', 'big', '--json');
    expect(big.code).toBe(0);
    expect(JSON.parse(big.out).map((c: { variant: string; configuration: string }) => `${c.variant}/${c.configuration}`)).toEqual(['baseline/big']);
    const all = await run('check', '--configuration', 'all', '--json');
    expect(JSON.parse(all.out).map((c: { variant: string; configuration: string }) => `${c.variant}/${c.configuration}`)).toEqual([
      'baseline/default', 'baseline/big', 'overflow/default', 'lossy/default', 'wrong/default',
    ]);
  });

  it('checks every configuration of a variant with --configuration all', async () => {
    const r = await run('check', '--variant', 'baseline', '--configuration', 'all', '--json');
    expect(JSON.parse(r.out).map((c: { configuration: string; states: number }) => [c.configuration, c.states])).toEqual([
      ['default', 6],
      ['big', 12],
    ]);
  });
});

describe('check output', () => {
  it('--json prints one object per check with the issue shape', async () => {
    const r = await run('check', '--json');
    const checks = JSON.parse(r.out);
    expect(checks.map((c: { variant: string }) => c.variant)).toEqual(['baseline', 'overflow', 'lossy', 'wrong']);
    const overflow = checks[1];
    expect(overflow).toMatchObject({ machine: 'toy', variant: 'overflow', configuration: 'default', states: 8, transitions: 22, limitReached: false, matches: true });
    const inv = overflow.results.find((x: { property: string }) => x.property === 'NotOverLimit');
    expect(inv).toMatchObject({ kind: 'invariant', holds: false, expected: false });
    expect(inv.trace.map((t: { step: number; event: { type: string }; actor: string }) => [t.step, t.event.type, t.actor])).toEqual([
      [1, 'INC', 'guest'],
      [2, 'INC', 'guest'],
      [3, 'INC', 'guest'],
    ]);
    const lossy = checks[2].results.find((x: { property: string }) => x.property === 'PendingDelivered');
    expect(lossy).toMatchObject({ kind: 'liveness', holds: false, expected: false, trigger: 1 });
    expect(lossy.trace.map((t: { event: { type: string } }) => t.event.type)).toEqual(['PEND']);
    expect(lossy.cycle.length).toBeGreaterThan(0);
  });

  it('prints each counterexample as numbered steps with actors and the changed state', async () => {
    const r = await run('check', '--variant', 'lossy');
    expect(r.out).toContain('PendingDelivered violated (expected): p holds after step 1 and q never holds afterwards; lasso of 1 step, then 2 steps repeating forever');
    expect(r.out).toContain('    1. [hardware] PEND  -> state.irq=pending\n    --- repeats forever:\n    2. [guest] INC  -> ctx.n=1\n    3. [userspace] RESET  -> ctx.n=0\n');
  });

  it('--report writes results.json atomically and leaves no temporary file', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'check-')), 'report');
    const r = await run('check', '--variant', 'overflow', '--report', dir);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['.s390-kvm-spec', 'results.json']);
    const body = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(body).toMatchObject({ tool: 's390-kvm-spec', matches: true });
    expect(body.checks[0].variant).toBe('overflow');
  });

  it('--report into a path that cannot exist (/proc) exits 2 with one line before exploring, and does not hang', async () => {
    const r = await run('check', '--variant', 'baseline', '--report', '/proc/s390-kvm-spec-nope');
    expect(r.code).toBe(2);
    expect(r.err).toBe('s390-kvm-spec: cannot write /proc/s390-kvm-spec-nope/results.json: ENOENT; choose a writable folder with --report\n');
    // checked before exploring: no table was printed
    expect(r.out).toBe('');
  }, 5_000);

  it('--report refuses a folder holding files the package did not write, before exploring', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-'));
    writeFileSync(join(dir, 'thesis.tex'), 'x');
    const r = await run('check', '--variant', 'baseline', '--report', dir);
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/report folder '.*' holds 'thesis.tex', which s390-kvm-spec did not write/);
    expect(r.out).toBe('');
    expect(readdirSync(dir)).toEqual(['thesis.tex']);
  });

  it('--report marks the folder it writes, and writes into it again', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'check-')), 'report');
    expect((await run('check', '--variant', 'baseline', '--report', dir)).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['.s390-kvm-spec', 'results.json']);
    expect(JSON.parse(readFileSync(join(dir, '.s390-kvm-spec'), 'utf8')).files).toEqual(['results.json']);
    expect((await run('check', '--variant', 'overflow', '--report', dir)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).checks[0].variant).toBe('overflow');
  });

  it('--report into a path that is a file exits 2 with one line and writes nothing', async () => {
    const base = mkdtempSync(join(tmpdir(), 'check-'));
    writeFileSync(join(base, 'taken'), 'x');
    const r = await run('check', '--variant', 'baseline', '--report', join(base, 'taken'));
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(/report folder '.*taken' is a file, not a folder/);
    expect(existsSync(join(base, 'taken', 'results.json'))).toBe(false);
  });
});

describe('check --variant-file', () => {
  it('checks a good file against its own expectation', async () => {
    const r = await run('check', '--variant-file', fixture('good.ts'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('toy / good / default');
    expect(r.out).toMatch(/PendingDelivered\s+liveness\s+violated\s+violated\s+ok/);
  });

  // each variant file is type-checked against the package (about 2 s of CPU): the rest in test:slow
  it('takes parameters and the base variant from the file', { tags: ['slow'] }, async () => {
    const r = await run('check', '--variant-file', fixture('params.ts'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)[0]).toMatchObject({ variant: 'params', states: 6, matches: true });
  });

  const rejects = async (name: string, message: RegExp) => {
    const r = await run('check', '--variant-file', fixture(name));
    expect(r.code).toBe(2);
    oneLine(r.err);
    expect(r.err).toMatch(message);
  };
  it.each([
    ['ill-typed.ts', /does not type-check: test\/fixtures\/variants\/ill-typed\.ts:5:\d+: Type 'string' is not assignable to type 'boolean'/],
    ['missing.ts', /variant file .*missing\.ts does not exist/],
    ['not-typescript.txt', /variant file .*not-typescript\.txt is not a TypeScript module: give a \.ts file/],
  ])('rejects %s with one line and exit 2', rejects);
  it.each([
    ['syntax-error.ts', /does not type-check: test\/fixtures\/variants\/syntax-error\.ts:6:\d+: ',' expected/],
    ['unknown-action.ts', /machine toy has no action 'incremnt'; did you mean increment\?/],
  ])('rejects %s with one line and exit 2', { tags: ['slow'] }, rejects);
});

describe('check header', () => {
  it('says orbits, not states, when the check was symmetry-reduced', () => {
    const r = { machine: 'm', variant: 'v', configuration: 'c', states: 7, transitions: 9, depth: 2, millis: 0, limitReached: true, matches: true, results: [] };
    expect(formatResult(r).split('\n')[0]).toBe('m / v / c: 7 states, 9 transitions, depth 2, 0.0 s (explored 7 states, limit reached)');
    const reduced = formatResult({ ...r, symmetry: [{ group: 'queues 0,1', members: 2, exact: true }] });
    expect(reduced.split('\n')[0]).toBe('m / v / c: 7 orbits, 9 transitions, depth 2, 0.0 s (explored 7 orbits, limit reached)');
  });
});
