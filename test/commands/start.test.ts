// npm start in one process (src/start.ts): the page takes a design's coverage from the check's
// own exploration only where that exploration is the page's graph edge for edge, and the CLI
// loads only the command it runs.
import { describe, expect, it } from 'vitest';
import { specs } from '../../machines/index.ts';
import { main, program } from '../../src/cli.ts';
import { explore } from '../../src/check/explore.ts';
import { designCoverage, designKey, pageDesigns, type DesignCoverage } from '../../src/export/page.ts';
import { coverageFromChecks, start } from '../../src/start.ts';
import { pick } from '../../src/spec.ts';

const quiet = () => {
  let err = '';
  return { io: { out: () => {}, err: (s: string) => void (err += s), errIsTTY: false }, err: () => err };
};
const comparable = (c: DesignCoverage) => ({ ...c, nodes: [...c.nodes].sort() });
const GISA = 'kvm_s390_gisa_interrupt';

describe('npm start: coverage from the check', () => {
  it("is the page's own coverage for every design checked without reduction, and absent for the POR-checked ones", async () => {
    const { onGraph, coverage } = await coverageFromChecks(specs);
    const q = quiet();
    expect(await main(['check', '--machine', GISA], q.io, { onGraph })).toBe(0);
    const designs = pageDesigns(specs).filter((d) => d.machine === GISA);
    const spec = pick('machine', 'test', specs, GISA);
    // the fine-grained kicker configurations opt in to POR: their check's graph is not the page's
    const porDesigns = designs.filter((d) => spec.model(d.variant, d.configuration).por?.byDefault);
    expect(porDesigns.length).toBeGreaterThan(3);
    expect(coverage.size).toBe(designs.length - porDesigns.length);
    for (const d of porDesigns) expect(coverage.has(designKey(GISA, d.variant))).toBe(false);
    for (const d of designs.filter((d) => !porDesigns.includes(d))) {
      const got = coverage.get(designKey(GISA, d.variant));
      expect(got, d.variant).toBeDefined();
      expect(comparable(got!)).toEqual(comparable(designCoverage(spec.model(d.variant, d.configuration), undefined)));
    }
  });

  it("measures a POR-by-default design on its full graph (the page's coverage once counted the reduced one)", () => {
    const spec = pick('machine', 'test', specs, GISA);
    const model = spec.model('upstream-kicker-unregister-destroy', 'kicker-unregister-destroy');
    expect(model.por?.byDefault).toBe(true);
    const full = explore(model, { symmetry: false, por: false });
    const reduced = explore({ ...model, invariants: [] }, { symmetry: false });
    expect(reduced.states.length).toBeLessThan(full.states.length);
    const c = designCoverage(model, undefined);
    expect(c.states).toBe(full.states.length);
    expect(c.transitions).toBe(full.edges.length / 3);
  });

  it('refuses arguments with one line and exit 2', async () => {
    const q = quiet();
    expect(await start(['--jobs', '2'], q.io)).toBe(2);
    expect(q.err()).toMatch(/^npm start: takes no arguments \(got '--jobs 2'\); for options run the steps yourself: s390-kvm-spec check --report report, .*\n$/);
    expect(q.err().split('\n').length).toBe(2);
  });
});

describe('the CLI loads the command it runs', () => {
  const names = async (...argv: string[]) => (await program(argv)).commands.map((c) => c.name());
  it('one command when argv names one, every command for the help or an unknown name', async () => {
    expect(await names('list')).toEqual(['list']);
    expect(await names('page', '--report', 'r')).toEqual(['page']);
    const all = ['list', 'check', 'export', 'page', 'replay', 'merge', 'paths', 'mutate'];
    expect(await names('--help')).toEqual(all);
    expect(await names('chekc')).toEqual(all);
    expect(await names()).toEqual(all);
  });

  it('an unknown command still gets the suggestion of the known one', async () => {
    const q = quiet();
    expect(await main(['chekc'], q.io)).toBe(2);
    expect(q.err()).toMatch(/unknown command 'chekc'[\s\S]*Did you mean check\?/);
  });
});
