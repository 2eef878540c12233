// The published package as a user gets it: `npm pack` (prepack builds dist/ with tsc) in a
// staging copy of the checkout, then the tarball installed offline into a fresh ES module
// project and a fresh CommonJS project (`npm init -y` style), where the CLI, a library import
// (import and require), a NodeNext type check and variant files (.ts, .mts, one in a folder
// outside any project) must all work.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
// made in beforeAll: npm run test:slow runs this file (about 46 s of CPU), npm test skips it whole
let base = '';
let tarball = '';

interface Run {
  code: number | null;
  out: string;
  err: string;
}
function run(cwd: string, cmd: string, args: string[]): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * The fresh project's lock file: the tarball and the package's runtime dependencies pinned as
 * the checkout's package-lock.json pins them, so `npm ci --offline` installs from npm's cache
 * (which `npm ci` or `npm install` of the checkout filled) without asking the registry.
 */
function lockFor(name: string, tgz: string): object {
  const ours = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const runtime = Object.entries(ours.packages).filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;
  return {
    name,
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name, version: '1.0.0', dependencies: { 's390-kvm-spec': `file:${tgz}` } },
      'node_modules/s390-kvm-spec': {
        version: manifest.version,
        resolved: `file:${tgz}`,
        integrity,
        license: manifest.license,
        dependencies: manifest.dependencies,
        bin: manifest.bin,
        engines: manifest.engines,
      },
      ...Object.fromEntries(runtime),
    },
  };
}

/** A small variant (the GIB machine explores in milliseconds): the planted bug of kvm_s390_gib.variants.ts, written by a reviewer. */
const SINGLE_PASS = `import { defineVariant } from 's390-kvm-spec';
export default defineVariant({
  machine: 'kvm_s390_gib',
  description: 'process_gib_alert_list stores NULL_GISA_ADDR without walking what it cut off',
  expectedViolations: ['GibTypeOK', 'GibPassPostcondition'],
  kernel: { process_gib_alert_list: (c) => void (c.gib.origin = 'NULL_GISA_ADDR') },
});
`;

function project(kind: 'esm' | 'cjs'): string {
  const dir = join(base, kind);
  mkdirSync(dir);
  // what `npm init -y` writes (npm 11 says "type": "commonjs"), plus the dependency
  const pkg = { name: kind, version: '1.0.0', main: 'index.js', license: 'ISC', type: kind === 'esm' ? 'module' : 'commonjs', dependencies: { 's390-kvm-spec': `file:${tarball}` } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lockFor(kind, tarball), null, 2));
  const r = run(dir, 'npm', ['ci', '--offline', '--no-audit', '--no-fund']);
  if (r.code !== 0) throw new Error(`npm ci --offline in the ${kind} project failed: ${r.err.split('\n').find((l) => l.includes('error')) ?? r.err}`);
  copyFileSync(join(root, 'examples/destroy-without-unlink.ts'), join(dir, 'destroy-without-unlink.ts'));
  writeFileSync(join(dir, 'single-pass.mts'), SINGLE_PASS);
  return dir;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 's390-kvm-spec-pack-'));
  // a staging copy, so dist/ never appears in the checkout the other tests run from
  const stage = join(base, 'stage');
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md']) cpSync(join(root, f), join(stage, f));
  for (const d of ['bin', 'src', 'machines', 'examples', 'schema']) if (existsSync(join(root, d))) cpSync(join(root, d), join(stage, d), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(stage, 'node_modules'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', base], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as { filename: string; files: { path: string }[] }[];
  tarball = join(base, packed[0]!.filename);
}, 420_000); // build, pack and two offline installs: about 45 s of CPU, minutes on a loaded machine

// two installed projects: deleting them takes seconds on a loaded machine
afterAll(() => void (base && rmSync(base, { recursive: true, force: true })), 120_000);

describe('npm pack', { tags: ['slow'] }, () => {
  it('ships compiled JavaScript with declaration files, no TypeScript sources', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).toContain('package/dist/src/index.js');
    expect(files).toContain('package/dist/src/index.d.ts');
    expect(files).toContain('package/dist/src/cli.js');
    expect(files).toContain('package/bin/s390-kvm-spec.js');
    expect(files.filter((f) => /^package\/(src|machines)\/.*\.ts$/.test(f))).toEqual([]);
  });
});

describe('installed from the tarball', { tags: ['slow'] }, () => {
describe.each(['esm', 'cjs'] as const)('installed from the tarball into a fresh %s project', (kind) => {
  let dir = '';
  beforeAll(() => {
    dir = project(kind);
  }, 120_000);

  it('the CLI runs from node_modules/.bin', () => {
    const r = run(dir, 'node_modules/.bin/s390-kvm-spec', ['list']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('kvm_s390_float_interrupt');
    expect(r.out).toContain('kvm_memory_slot');
  });

  // the shipped example as .ts where it failed (a CommonJS project), a small .mts variant in the other
  const variant: [string, RegExp] =
    kind === 'cjs' ? ['destroy-without-unlink.ts', /FreedGisaNotInAlertList\s+invariant\s+violated\s+violated\s+ok/] : ['single-pass.mts', /GibTypeOK\s+invariant\s+violated\s+violated\s+ok/];
  it.each([variant])('check --variant-file %s matches its expectation', (file, found) => {
    const r = run(dir, 'node_modules/.bin/s390-kvm-spec', ['check', '--variant-file', file]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(found);
  });

  it('check --jobs 2 runs its worker threads from the compiled package', () => {
    const r = run(dir, 'node_modules/.bin/s390-kvm-spec', ['check', '--machine', 'kvm_s390_gib', '--jobs', '2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^kvm_s390_gib \/ .*\n[\s\S]*^kvm_s390_gib \/ /m);
    expect(r.out).toContain('3 checks: every result matches its expectation');
  });

  it('paths writes a path file with the compiled package', () => {
    const r = run(dir, 'node_modules/.bin/s390-kvm-spec', ['paths', '--machine', 'kvm', '--format', 'json', '--out', 'out']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 'out/kvm.upstream.one-vm.edges.json'), 'utf8')) as { schemaVersion: number; generator: { version: string } };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.generator.version).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it(`the library loads with ${kind === 'esm' ? 'import' : 'require'} and checks a model`, () => {
    const load = kind === 'esm' ? `const m = await import('s390-kvm-spec');` : `const m = require('s390-kvm-spec');`;
    const body = `${load}
const spec = m.findSpec('kvm_s390_gib');
const r = m.checkModel(spec.model());
const schema = ${kind === 'esm' ? "import.meta.resolve('s390-kvm-spec/paths.schema.json')" : "require.resolve('s390-kvm-spec/paths.schema.json')"};
console.log(JSON.stringify({ machines: m.specs.length, states: r.states, matches: r.matches, schema: String(schema).endsWith('schema/paths.schema.json'), version: m.PATHS_SCHEMA_VERSION }));`;
    const file = join(dir, kind === 'esm' ? 'use.mjs' : 'use.cjs');
    writeFileSync(file, kind === 'esm' ? body : `(async () => {\n${body}\n})();`);
    const r = run(dir, 'node', [file]);
    expect(r.err).toBe('');
    const got = JSON.parse(r.out) as { machines: number; states: number; matches: boolean; schema: boolean; version: number };
    expect(got.schema).toBe(true);
    expect(got.version).toBe(1);
    expect(got.machines).toBeGreaterThanOrEqual(10);
    // manifest.json: kvm_s390_gib two-vms has 28 states
    expect(got.states).toBe(28);
    expect(got.matches).toBe(true);
  });

  it('a NodeNext TypeScript project type-checks against it with no special options', () => {
    // the ES module project checks the package's declaration files too; the CommonJS one (require of
    // an ES module, which NodeNext allows) keeps tsc --init's skipLibCheck, to save a second full check
    const compilerOptions = { module: 'nodenext', strict: true, noEmit: true, ...(kind === 'cjs' ? { skipLibCheck: true } : {}) };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['typed.ts'] }));
    writeFileSync(
      join(dir, 'typed.ts'),
      `import { defineVariant, findSpec, type VariantFile } from 's390-kvm-spec';
const v: VariantFile = defineVariant({ machine: 'kvm_s390_gib', expectedViolations: [] });
const n: number = findSpec('kvm_s390_gib')!.configurations.length;
// the types are real: this line must be refused
const s: string = findSpec('kvm_s390_gib')!.configurations;
export { v, n, s };
`,
    );
    const r = run(dir, 'node', ['node_modules/typescript/bin/tsc', '-p', '.']);
    expect(r.out.trim().split('\n')).toEqual([expect.stringMatching(/^typed\.ts\(5,7\): error TS2322: Type '.*' is not assignable to type 'string'\.$/)]);
  });
});
});

describe('a variant file outside any project', { tags: ['slow'] }, () => {
  it('loads with the installed CLI although nothing there resolves s390-kvm-spec', () => {
    const other = join(base, 'elsewhere');
    mkdirSync(other);
    writeFileSync(join(other, 'mine.ts'), SINGLE_PASS);
    const r = run(base, join(base, 'cjs/node_modules/.bin/s390-kvm-spec'), ['check', '--variant-file', join(other, 'mine.ts')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('kvm_s390_gib / mine /');
    expect(r.out).toMatch(/GibTypeOK\s+invariant\s+violated\s+violated\s+ok/);
  });
});
