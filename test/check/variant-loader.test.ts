// Variant files from a checkout load from any folder and any kind of project: a CommonJS
// project (`npm init -y`), a folder where nothing resolves `s390-kvm-spec`, an .mts file, a
// file importing a local helper; in-process (as vitest runs the sources) and through the
// checkout's command (bin/s390-kvm-spec.js, the sources under tsx). The tarball's side is
// test/package/pack.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { variantCompilerOptions } from '../../src/check/variant-loader.ts';

const root = resolve(import.meta.dirname, '../..');
const base = mkdtempSync(join(tmpdir(), 's390-kvm-spec-variants-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function check(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['check', '--variant-file', file], { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

/** The planted bug of kvm_s390_gib.variants.ts as a reviewer writes it; `helper` puts the kernel function in a local module. */
function singlePass(helper?: string): string {
  return `import { defineVariant } from 's390-kvm-spec';
${helper ? `import { nullWithoutWalk } from '${helper}';\n` : ''}export default defineVariant({
  machine: 'kvm_s390_gib',
  expectedViolations: ['GibTypeOK', 'GibPassPostcondition'],
  kernel: { process_gib_alert_list: ${helper ? 'nullWithoutWalk' : "(c) => void (c.gib.origin = 'NULL_GISA_ADDR')"} },
});
`;
}

function folder(name: string, manifest?: object): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  if (manifest) writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  return dir;
}

// each spawns the CLI in a fresh project (about 15 s of CPU): npm run test:slow
describe('variant files from a checkout', { tags: ['slow'] }, () => {
  it('in a CommonJS project (npm init -y), through the checkout command (sources under tsx), where the README example used to fail with "Cannot require() ES Module ... in a cycle"', () => {
    const dir = folder('cjs', { name: 'cjs', version: '1.0.0', main: 'index.js', type: 'commonjs' });
    writeFileSync(join(dir, 'destroy.ts'), readFileSync(join(root, 'examples/destroy-without-unlink.ts')));
    const r = spawnSync(process.execPath, [join(root, 'bin/s390-kvm-spec.js'), 'check', '--variant-file', 'destroy.ts'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/FreedGisaNotInAlertList\s+invariant\s+violated\s+violated\s+ok/);
  });

  it('in a folder outside any project, importing a local helper module by its .js name', async () => {
    const dir = folder('loose/sub');
    writeFileSync(join(dir, 'helper.ts'), `import type { SystemContext } from 's390-kvm-spec';\nexport const nullWithoutWalk = (c: SystemContext): void => void (c.gib.origin = 'NULL_GISA_ADDR');\n`);
    writeFileSync(join(dir, 'mine.ts'), singlePass('./helper.js'));
    const r = await check(join(dir, 'mine.ts'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/GibTypeOK\s+invariant\s+violated\s+violated\s+ok/);
  });

  it('an .mts file in an ES module project', async () => {
    const dir = folder('esm', { name: 'esm', version: '1.0.0', type: 'module' });
    writeFileSync(join(dir, 'mine.mts'), singlePass());
    const r = await check(join(dir, 'mine.mts'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('kvm_s390_gib / mine / two-vms');
    expect(r.out).toMatch(/GibTypeOK\s+invariant\s+violated\s+violated\s+ok/);
  });

  it('a CommonJS variant file (.cts) is refused with one line saying what to write', async () => {
    const dir = folder('cts');
    writeFileSync(join(dir, 'mine.cts'), `module.exports = { machine: 'kvm_s390_gib' };\n`);
    const r = await check(join(dir, 'mine.cts'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/is an ES module: rename it to \.ts or \.mts/);
  });

  it('leaves no temporary files behind', async () => {
    const dir = folder('tmpcheck');
    writeFileSync(join(dir, 'mine.ts'), singlePass());
    // a private TMPDIR, so files of other test files running at the same time do not count
    const tmp = folder('tmp');
    const saved = process.env.TMPDIR;
    // a user's process sets no TSX_DISABLE_CACHE (the test configs set it so that the workers keep tsx's cache: src/check/watchdog.ts)
    const savedCache = process.env.TSX_DISABLE_CACHE;
    process.env.TMPDIR = tmp;
    delete process.env.TSX_DISABLE_CACHE;
    try {
      expect((await check(join(dir, 'mine.ts'))).code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      if (savedCache !== undefined) process.env.TSX_DISABLE_CACHE = savedCache;
    }
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('the compiler options of a variant file', () => {
  it('are the package tsconfig.json strictness flags', () => {
    const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions: Record<string, unknown> };
    const ours = variantCompilerOptions(ts);
    for (const flag of ['strict', 'noUncheckedIndexedAccess', 'exactOptionalPropertyTypes', 'noImplicitOverride', 'noFallthroughCasesInSwitch', 'forceConsistentCasingInFileNames', 'skipLibCheck', 'resolveJsonModule', 'allowImportingTsExtensions']) {
      expect([flag, ours[flag]]).toEqual([flag, config.compilerOptions[flag]]);
    }
  });
});
