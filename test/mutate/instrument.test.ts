// The instrumenter: which functions it mutates, the operators, ids that survive edits elsewhere
// in a file, and mutant schemata that behave like the original with no mutant active and like
// exactly one mutant when its number is set.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { instrument, transpile, type Mutant } from '../../src/mutate/instrument.ts';
import { runtime } from '../../src/mutate/runtime.ts';
import { scopedFiles } from '../../src/mutate/scope.ts';

const TOY = 'test/fixtures/mutate/toy.machine.ts';
const toyText = readFileSync(TOY, 'utf8');
const toy = (text = toyText) => instrument([{ path: TOY, text, kind: 'machine', area: 'toy' }]);
const byId = (ms: readonly Mutant[], id: string) => {
  const m = ms.find((x) => x.id === `${TOY}:${id}`);
  if (!m) throw new Error(`no mutant ${id}; have:\n${ms.map((x) => x.id).join('\n')}`);
  return m;
};

/** Imports the schemata of the toy as a module (no imports of its own). */
async function load(text = toyText) {
  const ins = toy(text);
  const numbering = new Map(ins.mutants.map((m, i) => [m.id, i]));
  const dir = mkdtempSync(join(tmpdir(), 'mutate-toy-'));
  const file = join(dir, `toy-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, transpile(TOY, ins.schemata(TOY, numbering)));
  const mod = (await import(pathToFileURL(file).href)) as typeof import('../fixtures/mutate/toy.machine.ts');
  return { mod, number: (id: string) => numbering.get(`${TOY}:${id}`)!, ins };
}
const fresh = () => ({ users: 1, freed: false, ref: [] as number[], mask: 0, log: [] as string[], go: true });

afterEach(() => {
  runtime().active = -1;
  runtime().hits = null;
});

describe('which functions are mutated', () => {
  it('guards, actions and the kernel helpers they call; not an unreferenced helper, a region builder or a bound (callbacks included)', () => {
    const fns = new Set(toy().mutants.map((m) => m.fn));
    expect([...fns].sort()).toEqual([
      'kvm_put_kvm', 'kvm_s390_gisc_register', 'spin', 'toyImplementations.guards.alive',
    ]);
  });

  it('a local named run does not pull in every step body named run (the name-based call graph skips the step-body names)', () => {
    // a step builder nobody calls (its step body named run), and an included helper that calls a step body through a local named `run`
    const edited = toyText.replace(
      'export function kvm_put_kvm(c: Toy): void {',
      "export function stepBuilder(): { run: (c: Toy) => void } {\n  const close = { run: (c: Toy): void => void (c.users += 5) };\n  return close;\n}\n\nexport function kvm_put_kvm(c: Toy): void {\n  const run = (c as unknown as { step?: (c: Toy) => void }).step;\n  if (run) run(c);",
    );
    expect(edited).not.toBe(toyText);
    const fns = new Set(toy(edited).mutants.map((m) => m.fn));
    expect(fns.has('kvm_put_kvm')).toBe(true);
    expect([...fns].filter((f) => f.startsWith('stepBuilder'))).toEqual([]);
  });
});

describe('operators, by hand', () => {
  const ms = toy().mutants;
  it.each([
    ['kvm_put_kvm:delete#0', 'c.users -= 1;', '(nothing)'],
    ['kvm_put_kvm:delete#1', "c.log.push('put');", '(nothing)'],
    ['kvm_put_kvm:swap#0', "c.log.push('put'); c.log.push('done');", "c.log.push('done'); c.log.push('put');"],
    ['kvm_put_kvm:return-early#1', "c.log.push('put');", "return; c.log.push('put');"],
    ['kvm_put_kvm:negate#0', 'c.users === 0', '!(c.users === 0)'],
    ['kvm_put_kvm:always#0', 'c.users === 0', 'true'],
    ['kvm_put_kvm:never#0', 'c.users === 0', 'false'],
    ['kvm_put_kvm:constant#0', '1', '2'],
    ['kvm_put_kvm:constant#2', 'true', 'false'],
    ['kvm_s390_gisc_register:boundary#0', 'isc > 7', 'isc >= 7'],
    ['kvm_s390_gisc_register:constant#5', '0x80', '0x40'],
    ['toyImplementations.guards.alive:drop-operand#0', 'context.users > 0 && !context.freed', 'context.users > 0'],
    ['toyImplementations.guards.alive:negate#0', 'context.users > 0 && !context.freed', '!(context.users > 0 && !context.freed)'],
    ['toyImplementations.guards.alive:negate#1', '!context.freed', 'context.freed'],
    ['spin:drop-operand#1', 'c.go && n < 3', 'n < 3'],
  ])('%s: `%s` -> `%s`', (id, orig, repl) => {
    const m = byId(ms, id);
    expect([m.orig, m.repl]).toEqual([orig, repl]);
  });

  it('no return-early in a function that returns a value; no always/never for a loop condition', () => {
    expect(ms.filter((m) => m.fn === 'kvm_s390_gisc_register' && m.op === 'return-early')).toEqual([]);
    expect(ms.filter((m) => m.fn === 'spin' && (m.op === 'always' || m.op === 'never'))).toEqual([]);
  });

  it('the diff shows the changed line before and after', () => {
    expect(byId(ms, 'kvm_put_kvm:never#0').diff).toBe(`@@ ${TOY}:14\n-   if (c.users === 0) c.freed = true;\n+   if (false) c.freed = true;`);
  });
});

describe('ids survive edits elsewhere in the file', () => {
  it('a function and lines added above change the lines, not the ids or texts', () => {
    const before = toy().mutants.filter((m) => m.fn === 'kvm_put_kvm');
    const edited = toyText.replace('export function kvm_put_kvm', 'export function extra(c: Toy): void {\n  if (c.go) c.users++;\n}\n\n\nexport function kvm_put_kvm');
    const after = toy(edited).mutants.filter((m) => m.fn === 'kvm_put_kvm');
    expect(after.map((m) => [m.id, m.orig, m.repl])).toEqual(before.map((m) => [m.id, m.orig, m.repl]));
    expect(after[0]!.line).toBe(before[0]!.line + 5);
  });
});

describe('schemata', () => {
  it('with no mutant active every function behaves as the original, and coverage records the sites run', async () => {
    const { mod, number, ins } = await load();
    runtime().hits = new Uint8Array(ins.mutants.length);
    const c = fresh();
    mod.kvm_put_kvm(c);
    expect(c).toEqual({ ...fresh(), users: 0, freed: true, log: ['put', 'done'] });
    expect(mod.kvm_s390_gisc_register(c, 3)).toBe(0);
    expect(c.mask).toBe(0x10);
    expect(mod.kvm_s390_gisc_register(c, 8)).toBe(-34);
    expect(mod.spin({ ...fresh(), go: true })).toBe(3);
    const hits = runtime().hits!;
    expect(hits[number('kvm_put_kvm:delete#0')]).toBe(1);
    expect(hits[number('toyImplementations.guards.alive:negate#0')]).toBe(0); // the guard never ran
  });

  it('each active mutant changes exactly what it says', async () => {
    const { mod, number } = await load();
    const put = (id: string) => {
      runtime().active = number(id);
      const c = { ...fresh(), users: 2 };
      mod.kvm_put_kvm(c);
      mod.kvm_put_kvm(c);
      runtime().active = -1;
      return c;
    };
    expect(put('kvm_put_kvm:delete#0')).toMatchObject({ users: 2, freed: false });
    expect(put('kvm_put_kvm:never#0')).toMatchObject({ users: 0, freed: false });
    expect(put('kvm_put_kvm:always#0')).toMatchObject({ users: 0, freed: true });
    expect(put('kvm_put_kvm:swap#0').log).toEqual(['done', 'put', 'done', 'put']);
    expect(put('kvm_put_kvm:return-early#1')).toMatchObject({ users: 0, freed: true, log: [] });
    expect(put('kvm_put_kvm:constant#0').users).toBe(-2);
    runtime().active = number('kvm_s390_gisc_register:constant#5');
    const c = fresh();
    mod.kvm_s390_gisc_register(c, 3);
    expect(c.mask).toBe(0x08);
    runtime().active = number('kvm_s390_gisc_register:boundary#0');
    expect(mod.kvm_s390_gisc_register(fresh(), 7)).toBe(-34);
    runtime().active = number('toyImplementations.guards.alive:negate#1');
    expect(mod.toyImplementations().guards.alive({ context: { ...fresh(), freed: true } })).toBe(true);
  });

  it('a mutant that makes a loop endless ends with a MutantHang error, not a hung process', async () => {
    const { mod, number } = await load();
    runtime().active = number('spin:drop-operand#0');
    expect(() => mod.spin(fresh())).toThrow(expect.objectContaining({ name: 'MutantHang' }));
  });
});

describe('the real files', () => {
  it('every scoped file has mutants of kernel functions only, unique ids, and schemata that compile', () => {
    const files = scopedFiles('.').map((f) => ({ ...f, text: readFileSync(f.path, 'utf8') }));
    const ins = instrument(files);
    const ids = ins.mutants.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    // the exploration bounds, index guards and region builders are not kernel code
    expect(ins.mutants.filter((m) => /bounds_|_bound\b|_mine\b|Region\b|observe/.test(m.fn)).map((m) => m.id)).toEqual([]);
    const numbering = new Map(ids.map((id, i) => [id, i]));
    for (const f of files) expect(() => transpile(f.path, ins.schemata(f.path, numbering))).not.toThrow();
    // every area has machine mutants and transcription mutants
    const areas = (kind: string) => [...new Set(ins.mutants.filter((m) => m.kind === kind).map((m) => m.area))].sort();
    expect(areas('machine')).toEqual(['dirty-log', 'flic-ais', 'gisa', 'system', 'vcpu', 'vfio-ap', 'vfio-ccw']);
    expect(areas('sut')).toEqual(['dirty-log', 'flic-ais', 'gisa', 'system', 'vcpu', 'vfio-ap', 'vfio-ccw']);
  });
});
