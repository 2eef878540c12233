// `paths --format kselftest`: the C programs for the FLIC and the dirty log take only steps
// userspace can cause, say what they leave out and which json paths that drops, carry the
// model's predictions (checked by hand on a few rows), and compile with -Wall -Werror for s390x
// with Debian's cross compiler and uapi headers, and for x86-64 where they are
// architecture-independent (the dirty log; the FLIC is s390-only and refuses to build elsewhere).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import type { PathFile } from '../../src/paths/json.ts';

const out = mkdtempSync(join(tmpdir(), 's390-kvm-spec-kselftest-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function generate(format: 'json' | 'kselftest', ...args: string[]): Promise<string> {
  let text = '';
  let err = '';
  const code = await main(['paths', ...args, '--format', format, '--out', out], { out: (s) => void (text += s), err: (s) => void (err += s), errIsTTY: false });
  expect(err).toBe('');
  expect(code).toBe(0);
  return /^wrote (\S+):/.exec(text)![1]!;
}

/** The table rows of a generated program: the C initialiser and the event from its comment. */
interface Row {
  cells: string;
  event: Record<string, unknown> & { type: string };
  path: number;
  /** The machine's state after the step (the dirty-log rows say it). */
  state?: string;
}
function rows(c: string): Row[] {
  const out: Row[] = [];
  let path = 0;
  for (const line of c.split('\n')) {
    const head = /^static const struct step path_(\d+)\[\]/.exec(line);
    if (head) path = Number(head[1]);
    const m = /^\t\{ (.*) \}, \/\* \d+ (\{.*?\})(?: -> (\S+))? \*\/$/.exec(line);
    if (m) out.push({ cells: m[1]!, event: JSON.parse(m[2]!), path, ...(m[3] ? { state: m[3] } : {}) });
  }
  return out;
}

const FLIC = ['--machine', 'kvm_s390_float_interrupt'];
const SLOT = ['--machine', 'kvm_memory_slot'];
/** What userspace cannot cause in the FLIC machine, said independently of the generator. */
const flicLeftOut = (e: Record<string, unknown>) => e.type === 'set_adapter_int' || e.alloc === 'fail' || e.err === 'ENOMEM';

describe('the FLIC program', () => {
  it('takes no step userspace cannot cause, and counts the json paths that do as dropped', async () => {
    const c = readFileSync(await generate('kselftest', ...FLIC, '--configuration', 'errors'), 'utf8');
    const r = rows(c);
    expect(r.length).toBeGreaterThan(1000);
    expect(r.filter((x) => flicLeftOut(x.event))).toEqual([]);
    const json = JSON.parse(readFileSync(await generate('json', ...FLIC, '--configuration', 'errors'), 'utf8')) as PathFile;
    const dropped = json.paths.filter((p) => p.steps.some((s) => flicLeftOut(s.event as Record<string, unknown>))).length;
    expect(c).toContain(`Dropped: ${dropped} of the ${json.paths.length} paths of \`--format json\``);
    expect(c).toMatch(/a failing kzalloc\/vzalloc in the kernel: userspace cannot make an allocation fail/);
    expect(c).toMatch(/\{"type":"set_adapter_int","id":64,"summary":"fault","alloc":"ok"\}/);
    // one TAP test per table, and every kept row is a test step
    const tables = [...c.matchAll(/^static const struct step path_\d+\[\]/gm)].length;
    expect(c).toContain(`printf("TAP version 13\\n1..%d\\n", ${tables});`);
    // KVM_CHECK_EXTENSION is passed the capability by name
    expect(r.find((x) => x.event.type === 'KVM_CHECK_EXTENSION')!.cells).toMatch(/^EV_CHECK_EXTENSION, \{ KVM_CAP_S390_AIS(_MIGRATION)?, /);
  });

  it('predicts by hand: AISM SINGLE on ISC 3 sets its simm bit (0x80 >> 3), AISM_ALL reads it back', async () => {
    const r = rows(readFileSync(await generate('kselftest', ...FLIC, '--configuration', 'ais'), 'utf8'));
    // modify_ais_mode(KVM_S390_AIS_MODE_SINGLE): fi->simm |= AIS_MODE_MASK(3), fi->nimm &= ~AIS_MODE_MASK(3)
    const single = r.filter((x) => x.event.type === 'KVM_DEV_FLIC_AISM' && x.event.isc === 3 && x.event.mode === 1);
    // before KVM_ENABLE_CAP(KVM_CAP_S390_AIS) facility 72 is off: -EOPNOTSUPP, and nothing to read back
    const refused = single.filter((x) => x.cells.includes('}, -95, '));
    expect(refused.length).toBeGreaterThan(0);
    for (const x of refused) expect(x.cells).toMatch(/^EV_AISM, \{ 3, 1, 0, 0, 0, 0 \}, -95, 0, 0, 0, /);
    const done = single.filter((x) => !x.cells.includes('}, -95, '));
    expect(done.length).toBeGreaterThan(0);
    for (const x of done) expect(x.cells).toMatch(/^EV_AISM, \{ 3, 1, 0, 0, 0, 0 \}, 0, 1, 0x10, 0x00, /);
  });
});

describe('the dirty-log program', () => {
  it('on s390: every KVM_GET_DIRTY_LOG row is completed by its memset row, which carries the return value', async () => {
    const r = rows(readFileSync(await generate('kselftest', ...SLOT, '--variant', 's390'), 'utf8'));
    const all = r.map((x, i) => [x, i] as const).filter(([x]) => x.event.type === 'KVM_GET_DIRTY_LOG');
    // before logging is on there is no bitmap: -ENOENT at once
    for (const [x] of all.filter(([y]) => y.state === 'created')) expect(x.cells).toMatch(/^EV_GET_DIRTY_LOG, 0, 0, 1, -2, /);
    const gets = all.filter(([x]) => x.state === 'get_dirty_log_copied');
    expect(gets.length).toBeGreaterThan(0);
    for (const [x, i] of gets) {
      // no return value yet (has_rc 0); the next row of the same path is the memset with has_rc 1, rc 0
      expect(x.cells).toMatch(/^EV_GET_DIRTY_LOG, 0, 0, 0, 0, /);
      expect(r[i + 1]!.path).toBe(x.path);
      expect(r[i + 1]!.cells).toMatch(/^EV_S390_MEMSET_DIRTY_BITMAP, 0, 0, 1, 0, /);
    }
    // s390 has no KVM_CLEAR_DIRTY_LOG: -ENOTTY from kvm_arch_vm_ioctl
    for (const x of r.filter((y) => y.event.type === 'KVM_CLEAR_DIRTY_LOG')) expect(x.cells).toMatch(/, 1, -25, /);
  });

  it('generic (x86): no kernel write of a guest page, which no ioctl causes there', async () => {
    const c = readFileSync(await generate('kselftest', ...SLOT, '--configuration', 'manual'), 'utf8');
    expect(rows(c).filter((x) => x.event.type === 'kvm_write_guest_page')).toEqual([]);
    expect(c).toMatch(/outside s390 no ioctl makes the kernel write a chosen guest page/);
    // KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, MANUAL_PROTECT_ENABLE) succeeds on the generic code
    expect(rows(c).find((x) => x.event.type === 'KVM_ENABLE_CAP' && x.event.args === 1)!.cells).toMatch(/^EV_ENABLE_CAP, 1, 0, 1, 0, /);
  });
});

// --- the compile step CI runs (.ci/run installs the compilers) ---

const have = (cc: string) => spawnSync(cc, ['--version']).status === 0;
const ci = process.env.CI === 'true';
const cross = 's390x-linux-gnu-gcc';

/** Runs under CI always (a missing compiler is then a failure); elsewhere only where the compiler is installed. */
function compileTest(cc: string, title: string, body: () => Promise<void>): void {
  if (have(cc) || ci) it(title, body, 60_000);
  else it.skip(`${title} (skipped: ${cc} is not installed here; .ci/run installs it, and under CI=true this test runs)`, body);
}

function compile(cc: string, file: string): { status: number | null; stderr: string } {
  const r = spawnSync(cc, ['-Wall', '-Werror', '-O2', '-o', `${file}.${cc.includes('s390x') ? 's390x' : 'native'}`, file], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr ?? String(r.error) };
}

const programs: string[][] = [
  [...FLIC, '--configuration', 'ais'],
  [...FLIC, '--configuration', 'errors'],
  [...FLIC, '--configuration', 'irqs'],
  [...SLOT, '--configuration', 'manual'],
  [...SLOT, '--configuration', 'initially-set'],
  [...SLOT, '--configuration', 'legacy'],
  [...SLOT, '--variant', 's390'],
];

describe('every generated program compiles with -Wall -Werror', () => {
  for (const args of programs) {
    const name = args.filter((a) => !a.startsWith('--')).join(' ');
    compileTest(cross, `for s390x: ${name}`, async () => {
      const r = compile(cross, await generate('kselftest', ...args));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
  for (const args of programs.filter((a) => a.includes('kvm_memory_slot'))) {
    const name = args.filter((a) => !a.startsWith('--')).join(' ');
    compileTest('gcc', `for x86-64: ${name}`, async () => {
      const r = compile('gcc', await generate('kselftest', ...args));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }

  compileTest('gcc', 'for x86-64 the FLIC program refuses to build: the FLIC is an s390 device', async () => {
    const r = compile('gcc', await generate('kselftest', ...FLIC, '--configuration', 'ais'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('the FLIC is an s390 device: build this test for s390x');
  });

  compileTest('gcc', 'the x86-64 build of the s390 dirty-log program runs and skips in TAP, exit 4 (KSFT_SKIP)', async () => {
    const file = await generate('kselftest', ...SLOT, '--variant', 's390', '--cover', 'payloads');
    expect(compile('gcc', file).status).toBe(0);
    const run = spawnSync(`${file}.native`, { encoding: 'utf8' });
    expect(run.stdout).toBe('1..0 # SKIP these paths predict the s390 dirty log\n');
    expect(run.status).toBe(4);
  });
});

// the cross compiler really targets s390x (a big-endian 64-bit ELF), so the s390x results mean something
compileTest(cross, 'the cross compiler builds s390x ELF objects', async () => {
  const file = await generate('kselftest', ...SLOT, '--variant', 's390', '--cover', 'payloads');
  expect(compile(cross, file).status).toBe(0);
  const header = readFileSync(`${file}.s390x`).subarray(0, 20);
  expect([...header.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
  expect(header[5]).toBe(2); // ELFDATA2MSB
  expect(header.readUInt16BE(18)).toBe(22); // EM_S390
});
