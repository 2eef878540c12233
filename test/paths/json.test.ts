// `paths --format json` for every machine: the file validates against the shipped schema
// (schema/paths.schema.json) and, replayed through the package's transcriptions of the kernel
// code (src/sut/, via src/paths/harness.ts), every prediction of every step holds. A planted bug
// in a machine makes the replay fail; predictions checked by hand against the kernel's documents.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { harnessFor } from '../../src/paths/harness.ts';
import type { PathFile, PathStep } from '../../src/paths/json.ts';
import { verifyPathFile } from '../../src/paths/verify.ts';
import { findSpec, specs } from '../../machines/index.ts';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 's390-kvm-spec-paths-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const schema = JSON.parse(readFileSync(join(root, 'schema/paths.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

async function paths(...args: string[]): Promise<PathFile> {
  let text = '';
  let err = '';
  const code = await main(['paths', ...args, '--format', 'json', '--out', out], { out: (s) => void (text += s), err: (s) => void (err += s), errIsTTY: false });
  expect(err).toBe('');
  expect(code).toBe(0);
  const file = /^wrote (\S+):/.exec(text)![1]!;
  return JSON.parse(readFileSync(file, 'utf8')) as PathFile;
}

const steps = (doc: PathFile): PathStep[] => doc.paths.flatMap((p) => p.steps);

// every machine's path file generated and replayed (about 10 s of CPU): npm run test:slow
describe('paths --format json, replayed through the transcriptions', { tags: ['slow'] }, () => {
  // the composed guest takes every state (651 paths); its edge cover (105k steps) is the same code at 8x the time
  const cover = (id: string) => (id === 'system' ? 'states' : 'edges');
  it.each(specs.map((s) => s.id))('%s: valid against the schema, every prediction holds', async (id) => {
    const doc = await paths('--machine', id, '--cover', cover(id));
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(doc.coverage.statesCovered).toBe(doc.coverage.states);
    if (cover(id) === 'edges') expect(doc.coverage.transitionsCovered).toBe(doc.coverage.transitions);
    const model = findSpec(id)!.model(doc.variant, doc.configuration);
    const v = verifyPathFile(doc, harnessFor(model)!);
    expect(v.mismatches).toEqual([]);
    expect(v.steps).toBe(steps(doc).length);
    expect(v.predictions).toBeGreaterThan(v.steps);
  });

  it('the other covers validate too, and take every event payload / every state', async () => {
    const payloads = await paths('--machine', 'kvm_s390_float_interrupt', '--configuration', 'errors', '--cover', 'payloads');
    expect(validate(payloads)).toBe(true);
    expect(payloads.coverage.payloadsCovered).toBe(payloads.coverage.payloads);
    const states = await paths('--machine', 'kvm_memory_slot', '--variant', 's390', '--cover', 'states');
    expect(validate(states)).toBe(true);
    expect(states.coverage.statesCovered).toBe(states.coverage.states);
    const model = findSpec('kvm_memory_slot')!.model('s390');
    expect(verifyPathFile(states, harnessFor(model)!).mismatches).toEqual([]);
  });
});

describe('the replay can fail', () => {
  it('a planted bug (KVM_CLEAR_DIRTY_LOG without the re-protect) disagrees with the transcription at a KVM_CLEAR_DIRTY_LOG', async () => {
    const doc = await paths('--machine', 'kvm_memory_slot', '--variant', 'clear-without-reprotect');
    // the transcription of the kernel code re-protects; the file predicts the page stays writable.
    // The file's first 100 of its 15,850 paths: the first mismatch is the file's first (on path 1, found by
    // replaying the whole file), and the rest of the replay (about 6 s of CPU) changes neither assertion
    const v = verifyPathFile({ ...doc, paths: doc.paths.slice(0, 100) }, harnessFor(findSpec('kvm_memory_slot')!.model('baseline'))!);
    expect(v.mismatches.length).toBeGreaterThan(0);
    expect(v.mismatches[0]!.event?.type).toBe('KVM_CLEAR_DIRTY_LOG');
  });

  it('the schema refuses a step without its prediction, and a return code that is not an integer', async () => {
    const doc = await paths('--machine', 'kvm', '--cover', 'payloads');
    const broken = structuredClone(doc) as unknown as { paths: { steps: Record<string, unknown>[] }[] };
    delete broken.paths[0]!.steps[0]!.expect;
    expect(validate(broken)).toBe(false);
    const flic = await paths('--machine', 'kvm_s390_float_interrupt', '--cover', 'payloads');
    const wrong = structuredClone(flic) as unknown as { paths: { steps: { expect: { rc?: unknown } }[] }[] };
    wrong.paths[0]!.steps[0]!.expect.rc = '0';
    expect(validate(wrong)).toBe(false);
  });
});

describe('predictions checked by hand', () => {
  it('FLIC: the documented error codes and the AIS modes a GET of KVM_DEV_FLIC_AISM_ALL returns', async () => {
    const doc = await paths('--machine', 'kvm_s390_float_interrupt', '--configuration', 'attr');
    const all = steps(doc);
    // s390_flic.rst: KVM_HAS_DEVICE_ATTR of a group the FLIC lacks is -ENXIO; SET/GET of one is -EINVAL
    const has = all.find((s) => s.event.type === 'KVM_HAS_DEVICE_ATTR' && (s.event as { group?: number }).group === 12)!;
    expect(has.expect).toMatchObject({ rc: -6, errno: 'ENXIO' });
    const set = all.find((s) => s.event.type === 'KVM_SET_DEVICE_ATTR' && (s.event as { group?: number }).group === 12)!;
    expect(set.expect).toMatchObject({ rc: -22, errno: 'EINVAL' });
    // kvm_vm_ioctl_enable_cap: KVM_CAP_S390_AIS after a vcpu exists is -EBUSY
    const busy = all.find((s) => s.event.type === 'KVM_ENABLE_CAP' && (s.expect.fields as { vcpus: number }).vcpus > 0 && !(s.expect.fields as { fac72: boolean }).fac72)!;
    expect(busy.expect).toMatchObject({ rc: -16, errno: 'EBUSY' });
    // flic_ais_mode_get_all copies fi->simm/nimm out: the modes the object holds
    const ais = await paths('--machine', 'kvm_s390_float_interrupt', '--configuration', 'ais');
    const gets = steps(ais).filter((s) => s.event.type === 'KVM_DEV_FLIC_AISM_ALL' && (s.event as { dir?: string }).dir === 'get' && s.expect.rc === 0);
    expect(gets.length).toBeGreaterThan(0);
    for (const g of gets) expect(g.expect.returns).toEqual({ ais: (g.expect.fields as { ais: string[] }).ais });
  });

  it('dirty log on s390: KVM_GET_DIRTY_LOG returns at its memset, KVM_CLEAR_DIRTY_LOG is -ENOTTY', async () => {
    const doc = await paths('--machine', 'kvm_memory_slot', '--variant', 's390');
    const all = steps(doc);
    const copied = all.filter((s) => s.state === 'get_dirty_log_copied' && s.event.type === 'KVM_GET_DIRTY_LOG');
    expect(copied.length).toBeGreaterThan(0);
    for (const s of copied) expect(s.expect.rc).toBeUndefined();
    expect(all.find((s) => s.event.type === 'kvm_s390_memset_dirty_bitmap')!.expect).toMatchObject({ rc: 0 });
    for (const s of all.filter((s) => s.event.type === 'KVM_CLEAR_DIRTY_LOG')) expect(s.expect).toMatchObject({ rc: -25, errno: 'ENOTTY' });
    // a guest store returns nothing to userspace
    expect(all.find((s) => s.event.type === 'GUEST_STORE')!.expect.rc).toBeUndefined();
  });
});
