// Dead-variable reduction (issue 19, src/check/dead.ts, machines/system/dead.ts): verifyDead
// proves the composed guest's declaration (a closed VM's vcpus' PSW I/O mask and kicked_mask
// bit) exact on small configurations and refutes a wrong one; the reduced exploration has
// exactly one state per reset class of the full one, the same verdicts and the same shortest
// trace lengths; the flag's errors.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import type { SystemContext } from '../../machines/context.ts';
import { closedVmVcpus } from '../../machines/system/dead.ts';
import { checkModel, type CheckResult } from '../../src/check/check.ts';
import { verifyDead } from '../../src/check/dead.ts';
import { explore } from '../../src/check/explore.ts';
import { exploreScaled } from '../../src/check/scaled.ts';
import { exploreParallel } from '../../src/check/parallel.ts';
import type { Model } from '../../src/spec.ts';
import { main } from '../../src/cli.ts';

const system = specs.find((s) => s.id === 'system')!;
const model = (variant: string, params: Record<string, unknown>) => system.model(variant, undefined, { params });
const verdicts = (r: CheckResult) => r.results.map((x) => [x.property, x.holds, x.trace.length]);

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { out: (s) => void (stdout += s), err: (s) => void (stderr += s), errIsTTY: false });
  return { code, stdout, stderr };
}

describe('dead-variable reduction of the composed guest', () => {
  it('is declared on coarse configurations with VMs and vcpus only', () => {
    expect(model('upstream-fixed', { vms: 1, vcpus: 1, queues: 1 }).dead).toBe(closedVmVcpus);
    // no other machine declares one (the per-object ones have no kvm region with its kvm_vm_release, or no vcpus)
    expect(specs.filter((s) => s.model().dead).map((s) => s.id)).toEqual(['system']);
  });

  it('resets only a closed VM, returns its argument when nothing changes, and never mutates it', () => {
    const c = structuredClone(model('upstream-fixed', { vms: 2, vcpus: 2, queues: 0 }).machine.config.context) as SystemContext;
    expect(closedVmVcpus.reset(c)).toBe(c);
    c.vms[0]!.vcpus[1]!.pswIo = false; // open VM: live
    c.vms[1]!.fd = false;
    c.vms[1]!.vcpus[0]!.kicked = true;
    c.vms[1]!.vcpus[1]!.pswIo = false;
    const before = JSON.stringify(c);
    const r = closedVmVcpus.reset(c);
    expect(JSON.stringify(c)).toBe(before);
    expect(r.vms[0]).toBe(c.vms[0]);
    expect(r.vms[0]!.vcpus[1]!.pswIo).toBe(false);
    expect(r.vms[1]!.vcpus.map((v) => [v.pswIo, v.kicked])).toEqual([[true, false], [true, false]]);
    expect(Object.keys(r.vms[1]!.vcpus[0]!)).toEqual(Object.keys(c.vms[1]!.vcpus[0]!)); // the collapse layout needs the key order
  });

  it('verifyDead proves it exact on 1 VM x 1 vcpu x 1 queue (upstream-fixed, and upstream, which breaks invariants) and on gib-v2 (kicks vcpus directly)', () => {
    for (const v of ['upstream-fixed', 'upstream']) expect(verifyDead(model(v, { vms: 1, vcpus: 1, queues: 1 }))).toBeUndefined();
    const v2 = model('gib-v2', { vms: 1, vcpus: 2, queues: 1 });
    expect(v2.dead).toBeDefined();
    expect(verifyDead(v2)).toBeUndefined();
  });

  it('verifyDead refutes a wrong declaration: the PSW I/O mask of a stopped vcpu of an open VM is read when it starts again', () => {
    const m = model('upstream-fixed', { vms: 1, vcpus: 1, queues: 1 });
    const wrong: Model['dead'] = {
      note: 'wrong: every stopped vcpu',
      reset: (c: SystemContext) => (c.vms.some((k) => k.vcpus.some((v) => v.stopped && !v.pswIo)) ? { ...c, vms: c.vms.map((k) => ({ ...k, vcpus: k.vcpus.map((v) => (v.stopped ? { ...v, pswIo: true } : v)) })) } : c),
    };
    const b = verifyDead({ ...m, dead: wrong });
    expect(b).toBeDefined();
    expect(b!.why).toMatch(/different states|enabled in one/);
    const st = b!.state.context as SystemContext;
    expect(st.vms[0]!.fd).toBe(true);
    expect(st.vms[0]!.vcpus[0]!.stopped && !st.vms[0]!.vcpus[0]!.pswIo).toBe(true);
  });

  it('1 VM x 1 vcpu x 1 queue: the reduced exploration drops exactly the closed-VM states with a non-initial PSW I/O mask or kicked bit', () => {
    const m = model('upstream-fixed', { vms: 1, vcpus: 1, queues: 1 });
    const full = explore(m, { keepEdges: false, symmetry: false });
    const red = explore(m, { keepEdges: false, symmetry: false, dead: true });
    const ctx = (s: { context: unknown }) => s.context as SystemContext;
    const closed = full.states.filter((s) => !ctx(s).vms[0]!.fd);
    const nonInitial = closed.filter((s) => ctx(s).vms[0]!.vcpus.some((v) => !v.pswIo || v.kicked));
    // each such state's reset twin is itself reachable (the guest may leave I/O enabled before the stop), so it merges into it
    const keys = new Set(full.states.map((s) => JSON.stringify([s.value, s.context])));
    for (const s of nonInitial) expect(keys.has(JSON.stringify([s.value, closedVmVcpus.reset(ctx(s))]))).toBe(true);
    expect(nonInitial.length).toBeGreaterThan(0);
    expect(red.states.length).toBe(full.states.length - nonInitial.length);
    expect(red.states.every((s) => ctx(s).vms[0]!.fd || ctx(s).vms[0]!.vcpus.every((v) => v.pswIo && !v.kicked))).toBe(true);
  });

  it('one state per reset class of the full exploration, in every explorer (objects, collapse-compressed, two worker threads)', async () => {
    const m = model('upstream', { vms: 1, vcpus: 1, queues: 1 });
    const full = explore(m, { keepEdges: false, symmetry: false });
    const classes = new Set(full.states.map((s) => JSON.stringify([s.value, closedVmVcpus.reset(s.context as SystemContext)])));
    expect(classes.size).toBeLessThan(full.states.length);
    expect(explore(m, { keepEdges: false, symmetry: false, dead: true }).states.length).toBe(classes.size);
    expect(exploreScaled(m, { keepEdges: false, symmetry: false, dead: true }).states.length).toBe(classes.size);
    expect((await exploreParallel(m, { workers: 2, keepEdges: false, symmetry: false, dead: true })).states.length).toBe(classes.size);
  });

  it('same verdicts and shortest trace lengths with and without it, where invariants break (upstream, 1 VM x 1 vcpu x 1 queue) and under VM symmetry (2 x 1 x 0)', () => {
    const up = model('upstream', { vms: 1, vcpus: 1, queues: 1 });
    const a = checkModel(up, { symmetry: false });
    const d = checkModel(up, { symmetry: false, dead: true });
    expect(a.results.some((x) => x.holds === false)).toBe(true);
    expect(d.states).toBeLessThan(a.states);
    expect(d.dead).toBe(closedVmVcpus.note);
    expect(verdicts(d)).toEqual(verdicts(a));
    const two = model('upstream-fixed', { vms: 2, vcpus: 1, queues: 0 });
    expect(verdicts(checkModel(two, { symmetry: true, dead: true }))).toEqual(verdicts(checkModel(two, { symmetry: true })));
  });

  it('check --dead-variables: one line saying what it reset; refused with --por, --swarm and --variant-file', async () => {
    const ok = await runCli(['check', '--machine', 'system', '--variant', 'upstream-fixed', '--set', 'vms=1', '--set', 'vcpus=1', '--set', 'queues=1', '--dead-variables']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1,246 states'); // 1,436 without: the test above counts the 190 merged
    expect(ok.stdout).toContain(`dead-variable reduced (one state per class): ${closedVmVcpus.note}`);
    for (const extra of [['--variant', 'upstream-fixed', '--por'], ['--variant', 'upstream-fixed', '--swarm', '2'], ['--variant-file', 'examples/runnable-keeps-kicked.ts']]) {
      const r = await runCli(['check', '--machine', 'system', '--dead-variables', ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('--dead-variables');
    }
  });
});

// every shipped variant of the composed guest whose configuration declares dead variables, on 1 VM x 1 vcpu x 1 queue:
// exact, and the same verdicts and trace lengths (two vcpus, where the kicker and millicode choose among them, are
// proved above on gib-v2; every variant at 1 x 2 x 1 took 3 min of CPU, a sixth of test:slow's growth)
describe('dead-variable reduction on every shipped variant', { tags: ['slow'] }, () => {
  const declaring = system.variants.map((x) => x.id).filter((v) => model(v, { vms: 1, vcpus: 1, queues: 1 }).dead);
  it('is declared by the coarse variants (the fine-grained ones have no kvm region)', () => expect(declaring.length).toBeGreaterThanOrEqual(10));
  for (const v of declaring) {
    it(v, () => {
      const m = model(v, { vms: 1, vcpus: 1, queues: 1 });
      expect(verifyDead(m)).toBeUndefined();
      const full = checkModel(m, { symmetry: false, earlyStopSeconds: Infinity });
      const dead = checkModel(m, { symmetry: false, dead: true, earlyStopSeconds: Infinity });
      expect(dead.states).toBeLessThanOrEqual(full.states);
      expect(verdicts(dead)).toEqual(verdicts(full));
    }, 300_000);
  }
});
