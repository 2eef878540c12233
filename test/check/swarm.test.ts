// Swarm searches: on configurations small enough for a search to reach every state, a swarm
// finds exactly the invariant violations the exhaustive check finds, each trace replaying to a
// violation (with symmetry reduction too); a seed repeats its search exactly and another seed
// searches in another order; merge unions files of one model and refuses files of another or
// files that are not swarm results; the command writes the file merge reads and says it is no proof.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { checkModel, replay } from '../../src/check/check.ts';
import { recipeOf } from '../../src/check/recipe.ts';
import { mergeSwarm, parseSwarmFile, runSwarm, search, SwarmFileError } from '../../src/check/swarm.ts';
import { main } from '../../src/cli.ts';

const spec = (id: string) => specs.find((s) => s.id === id)!;
const everything = { maxStates: 1_000_000, maxDepth: 100_000 };

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { out: (s) => void (stdout += s), err: (s) => void (stderr += s), errIsTTY: false });
  return { code, stdout, stderr };
}

describe('swarm search', { tags: ['slow'] }, () => { // tens of seconds: npm run test:slow (and CI)
  it('reaching every state, finds exactly the violations of the exhaustive check, each trace replaying to one', () => {
    for (const v of spec('system').variants) {
      const m = spec('system').model(v.id);
      // the swarm explores every interleaving: compare with the full graph, not the partial-order reduced one of a fine configuration
      const full = checkModel(m, { symmetry: false, por: false });
      const r = search(m, 1, { ...everything, symmetry: false });
      expect(r.figures.states, v.id).toBe(full.states);
      expect(r.violations.map((x) => x.property).sort(), v.id).toEqual(full.results.filter((x) => x.kind === 'invariant' && x.holds === false).map((x) => x.property).sort());
      for (const x of r.violations) expect(m.invariants.find((i) => i.name === x.property)!.holds(replay(m, x.events).last), `${v.id} ${x.property}`).toBe(false);
    }
  }, 120_000);

  it('under symmetry reduction (VMs, queues) too, traces concretised', () => {
    const m = spec('system').model('upstream', undefined, { params: { vms: 2, vcpus: 0, queues: 1 } });
    const r = search(m, 3, { maxStates: 200_000, maxDepth: 100_000, symmetry: true });
    expect(r.figures.limitReached).toBe(false);
    const full = checkModel(m, { symmetry: true });
    expect(r.figures.states).toBe(full.states);
    expect(r.violations.map((x) => x.property).sort()).toEqual(full.results.filter((x) => x.kind === 'invariant' && x.holds === false).map((x) => x.property).sort());
    for (const x of r.violations) expect(m.invariants.find((i) => i.name === x.property)!.holds(replay(m, x.events).last), x.property).toBe(false);
  }, 300_000);

  it('a seed repeats its search; another seed searches in another order', () => {
    const m = spec('system').model('upstream', 'two-queues');
    const opts = { maxStates: 3000, maxDepth: 50, symmetry: false };
    const a = search(m, 11, opts);
    const b = search(m, 11, opts);
    const c = search(m, 12, opts);
    expect({ ...b.figures, millis: 0 }).toEqual({ ...a.figures, millis: 0 });
    expect(b.violations).toEqual(a.violations);
    expect(c.figures.sample).not.toBe(a.figures.sample);
    expect(a.figures.limitReached).toBe(true);
    expect(a.figures.maxDepth).toBeLessThanOrEqual(50);
  });
});

describe('merge', () => {
  const m = spec('system').model('upstream', 'two-queues');
  const opts = { searches: 2, maxStates: 5000, maxDepth: 60, symmetry: false };
  const a = runSwarm(m, recipeOf(m), { ...opts, seed: 0 });
  const b = runSwarm(m, recipeOf(m), { ...opts, seed: 2 });

  it('unions searches and violations, estimates from below how many states there are', () => {
    const one = mergeSwarm([{ name: 'a', file: a }]);
    const both = mergeSwarm([{ name: 'a', file: a }, { name: 'b', file: b }]);
    expect(both.searches).toBe(4);
    expect(both.visits).toBe(one.visits + b.searches.reduce((s, x) => s + x.states, 0));
    expect(both.distinct).toBeGreaterThanOrEqual(one.distinct);
    expect(both.distinct).toBeLessThanOrEqual(both.visits * 1.5);
    expect(both.estimatedTotal).toBeGreaterThanOrEqual(both.distinct);
    for (const r of both.results) if (one.results.find((x) => x.property === r.property)!.found) expect(r.found).toBe(true);
    expect(mergeSwarm([{ name: 'a', file: a }, { name: 'a again', file: a }]).repeatedSeeds).toEqual([0, 1]);
  });

  it('refuses files of another model, and files that are not swarm results', () => {
    const other = spec('system').model('upstream-fixed', 'two-queues');
    const c = runSwarm(other, recipeOf(other), { ...opts, seed: 0 });
    expect(() => mergeSwarm([{ name: 'a', file: a }, { name: 'c', file: c }])).toThrow(/merge files of one model/);
    expect(() => parseSwarmFile('x.json', '{"tool":"s390-kvm-spec"}')).toThrow(SwarmFileError);
    expect(() => parseSwarmFile('x.json', 'nope')).toThrow(/x\.json: not JSON/);
    expect(parseSwarmFile('a.json', JSON.stringify(a)).searches).toHaveLength(2);
  });
});

describe('the commands', () => {
  it('check --swarm writes the file merge reads; both say it is not a proof; bad flags and files exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swarm-'));
    const args = ['check', '--machine', 'system', '--variant', 'upstream', '--configuration', 'two-queues', '--swarm', '2', '--max-states', '5000'];
    const one = await cli([...args, '--seed', '0', '--report', dir]);
    const two = await cli([...args, '--seed', '2', '--report', dir]);
    expect(one.stdout).toContain('NOT A PROOF');
    const files = readdirSync(dir).map((f) => join(dir, f));
    expect(files).toHaveLength(2);
    const merged = await cli(['merge', ...files]);
    expect(merged.stdout).toContain('swarm of 4 searches from 2 files');
    expect(merged.stdout).toContain('NOT A PROOF');
    const json = JSON.parse((await cli(['merge', '--json', ...files])).stdout);
    expect(json.searches).toBe(4);
    expect(merged.code).toBe(json.matches ? 0 : 1);
    writeFileSync(join(dir, 'bad.json'), readFileSync(files[0]!, 'utf8').replace('"kind":"swarm"', '"kind":"nope"'));
    const bad = await cli(['merge', join(dir, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json: not a swarm result file/);
    expect((await cli(['check', '--machine', 'system', '--seed', '3'])).code).toBe(2);
    expect((await cli(['check', '--machine', 'system', '--swarm', '2', '--workers', '2'])).code).toBe(2);
  }, 120_000);
});
