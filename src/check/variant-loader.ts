// Loads a reviewer's variant file the same way wherever it lives and whatever project it is
// in: the file is always an ES module written in TypeScript (.ts or .mts), type-checked with
// the package's own compiler options and transpiled here, with the TypeScript compiler, into
// a temporary .mjs whose imports point at the running package. So `import ... from
// 's390-kvm-spec'` works from an unrelated folder, in a CommonJS project (`npm init -y`) as
// in an ES module one, from a checkout (TypeScript sources under tsx or vitest) as from the
// installed tarball (compiled JavaScript), and the file shares the package's module
// instances (machines, xstate) with the checker that runs it.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as TS from 'typescript';

export const PACKAGE_NAME = 's390-kvm-spec';

const here = fileURLToPath(import.meta.url);
/** `.ts` when the package runs from its sources (a checkout), `.js` when compiled (the tarball). */
const ownExtension = extname(here);

/** The folder holding the package's package.json. */
export const packageRoot = findPackageRoot(dirname(here));

/** The module `import 's390-kvm-spec'` must give a variant file: the one this process already runs. */
export const packageEntry = fileURLToPath(new URL(`../index${ownExtension}`, import.meta.url));
/** What the type checker reads for it: the sources in a checkout, the declaration files when installed. */
const packageTypes = ownExtension === '.ts' ? packageEntry : packageEntry.replace(/\.js$/, '.d.ts');

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(dir) === dir) return resolve(from, '../..');
  }
}

/** The folders of the package's own modules: imports into them are left to the running loader, never copied. */
const ownTrees = ['src', 'machines', 'dist'].map((d) => join(packageRoot, d) + sep);
const isOwnModule = (file: string): boolean => ownTrees.some((t) => file.startsWith(t)) || file.split(sep).includes('node_modules');

/** Extensions a variant module may have. CommonJS (.cts, .cjs) is refused: a variant file is an ES module. */
const MODULE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

let typescript: typeof TS | undefined;
async function ts(): Promise<typeof TS> {
  typescript ??= (await import('typescript')).default;
  return typescript;
}

/**
 * The compiler options a variant file is checked with: the package's own strictness
 * (tsconfig.json; a test keeps the two equal), ES module syntax resolved as a bundler does,
 * and `s390-kvm-spec` mapped to the running package wherever the file is.
 */
export function variantCompilerOptions(t: typeof TS): TS.CompilerOptions {
  return {
    target: t.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: t.ModuleKind.ESNext,
    moduleResolution: t.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    forceConsistentCasingInFileNames: true,
    skipLibCheck: true,
    resolveJsonModule: true,
    ...nodeTypes(),
  };
}

/** Node's types when they are installed next to the package (a checkout has them; the tarball needs none). */
function nodeTypes(): Pick<TS.CompilerOptions, 'types' | 'typeRoots'> {
  try {
    const manifest = createRequire(join(packageRoot, 'package.json')).resolve('@types/node/package.json');
    return { types: ['node'], typeRoots: [dirname(dirname(manifest))] };
  } catch {
    return { types: [] };
  }
}

/** The relative and bare module names a source file imports (type-only ones included). */
function importsOf(t: typeof TS, file: string): string[] {
  return t.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

const isPath = (spec: string): boolean => spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('file:');

/** The file a relative import names: as written, or the TypeScript source of a `.js` name, or with an extension added. */
function resolveRelative(spec: string, from: string): string | undefined {
  const p = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(dirname(from), spec);
  const candidates = [p];
  const ext = extname(p);
  if (ext === '.js') candidates.push(p.slice(0, -3) + '.ts');
  if (ext === '.mjs') candidates.push(p.slice(0, -4) + '.mts');
  if (!ext) candidates.push(...MODULE_EXTENSIONS.map((e) => p + e), join(p, 'index.ts'));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** The compiler options one variant file is checked with, and the files of its own it reads (not the package's). */
function checkSetup(t: typeof TS, file: string): { options: TS.CompilerOptions; local: string[]; ownPaths: boolean } {
  const options: TS.CompilerOptions = { ...variantCompilerOptions(t), paths: { [PACKAGE_NAME]: [packageTypes] } };
  // bare imports the file's own folder cannot resolve are looked up from the package (xstate, ...)
  const seen = new Set<string>();
  let ownPaths = false;
  const scan = (f: string) => {
    if (seen.has(f) || isOwnModule(f)) return;
    seen.add(f);
    for (const spec of importsOf(t, f)) {
      if (isPath(spec)) {
        const dep = resolveRelative(spec, f);
        if (dep) scan(dep);
      } else if (spec !== PACKAGE_NAME && !spec.startsWith(`${PACKAGE_NAME}/`) && !isBuiltin(spec)) {
        const local = t.resolveModuleName(spec, f, options, t.sys).resolvedModule;
        const fromPackage = t.resolveModuleName(spec, join(packageRoot, 'package.json'), options, t.sys).resolvedModule;
        if (!local && fromPackage) options.paths![spec] = [fromPackage.resolvedFileName];
        else ownPaths = true;
      }
    }
  };
  scan(file);
  return { options, local: [...seen], ownPaths };
}

/** A file's first diagnostic, its file name kept absolute (made relative when reported). */
type Problem = { file?: string; line?: number; column?: number; message: string } | undefined;

function firstProblem(t: typeof TS, program: TS.Program, file: string): Problem {
  const source = program.getSourceFile(file);
  if (!source) return { message: `${file}: cannot be read` };
  const d = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)][0];
  if (!d) return undefined;
  const message = t.flattenDiagnosticMessageText(d.messageText, ' ').replace(/\s+/g, ' ');
  if (d.file && d.start !== undefined) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return { file: d.file.fileName, line: line + 1, column: character + 1, message };
  }
  return { message };
}

const problemText = (p: Problem): string | undefined =>
  p && (p.file !== undefined ? `${relative(process.cwd(), p.file) || p.file}:${p.line}:${p.column}: ${p.message}` : p.message);

/** Results of `primeVariantTypeChecks`, per file: valid while the file and its local modules read the same. */
const primed = new Map<string, { problem: Problem; sources: ReadonlyMap<string, string> }>();

const readOrEmpty = (f: string): string | undefined => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Type-checks a variant file (and the local modules it imports) with `variantCompilerOptions`;
 * returns the first diagnostic as `file:line:col: message`, or undefined.
 */
let previous: TS.Program | undefined;
export async function typeCheckVariant(file: string): Promise<string | undefined> {
  const t = await ts();
  const abs = resolve(file);
  // a file the shared program found no problem in is done; a problem is reported as the file alone gives it (below)
  const hit = primed.get(abs);
  if (hit && !hit.problem && [...hit.sources].every(([f, text]) => readOrEmpty(f) === text)) return undefined;
  const { options } = checkSetup(t, abs);
  // reuse the parsed library and package files of the previous check (tests check several files)
  const program = t.createProgram({ rootNames: [abs], options, ...(previous ? { oldProgram: previous } : {}) });
  previous = program;
  return problemText(firstProblem(t, program, abs));
}

/**
 * Type-checks several variant files in one program, for `typeCheckVariant` to answer from
 * while they read the same (a test process checking many files). Most of a check is the
 * checker working out the package's types, which a new program does again for every file;
 * one program does it once. Only files whose result cannot depend on the other roots are
 * checked together: ES modules (no shared global scope) without `declare global`,
 * `declare module` or `/// <reference>` directives, in themselves and the local modules they
 * import, and whose bare imports all resolve to the package's own dependencies (the same
 * mapping for every file). The others are left to `typeCheckVariant` alone. Only a clean
 * result is answered from the shared program: the text of a diagnostic can differ with the
 * other roots (the checker prints a union or a literal type as it first met it: `0 | "EFAULT"`
 * beside `number | "EFAULT"`), so a file with a problem is checked again alone, and reported
 * with exactly the line a check of it alone gives.
 */
export async function primeVariantTypeChecks(files: readonly string[]): Promise<void> {
  const t = await ts();
  const roots: string[] = [];
  const options: TS.CompilerOptions = { ...variantCompilerOptions(t), paths: {} };
  const locals = new Map<string, string[]>();
  for (const f of files.map((x) => resolve(x))) {
    if (!existsSync(f) || !['.ts', '.mts'].includes(extname(f))) continue;
    const setup = checkSetup(t, f);
    if (setup.ownPaths || !setup.local.every((l) => isolated(t, l))) continue;
    roots.push(f);
    locals.set(f, setup.local);
    Object.assign(options.paths!, setup.options.paths);
  }
  if (!roots.length) return;
  const program = t.createProgram({ rootNames: roots, options, ...(previous ? { oldProgram: previous } : {}) });
  previous = program;
  for (const f of roots) {
    const sources = new Map(locals.get(f)!.map((l) => [l, readOrEmpty(l) ?? '']));
    primed.set(f, { problem: firstProblem(t, program, f), sources });
  }
}

/** A file whose declarations stay its own in a program with other roots: a module, no global or ambient module declarations, no reference directives. */
function isolated(t: typeof TS, file: string): boolean {
  const text = readOrEmpty(file);
  if (text === undefined || /\bdeclare\s+(global|module)\b|\/\/\/\s*<reference/.test(text)) return false;
  const info = t.preProcessFile(text, true, true);
  if (info.referencedFiles.length || info.typeReferenceDirectives.length || info.libReferenceDirectives.length) return false;
  return t.isExternalModule(t.createSourceFile(file, text, t.ScriptTarget.ES2022, false));
}

/** A module name a variant module imports, as the URL its transpiled copy must import instead. */
function target(spec: string, from: string, compile: (file: string) => string): string {
  if (spec.startsWith('node:') || isBuiltin(spec)) return spec;
  if (spec === PACKAGE_NAME) return pathToFileURL(packageEntry).href;
  if (spec === `${PACKAGE_NAME}/package.json`) return pathToFileURL(join(packageRoot, 'package.json')).href;
  if (spec.startsWith(`${PACKAGE_NAME}/`)) throw new Error(`${PACKAGE_NAME} exports '${PACKAGE_NAME}' only; import { ... } from '${PACKAGE_NAME}'`);
  if (isPath(spec)) {
    const file = resolveRelative(spec, from);
    if (!file) return pathToFileURL(spec.startsWith('file:') ? fileURLToPath(spec) : resolve(dirname(from), spec)).href;
    if (isOwnModule(file) || !MODULE_EXTENSIONS.includes(extname(file))) return pathToFileURL(file).href;
    return pathToFileURL(compile(file)).href;
  }
  // a bare name: the package's own dependency first (the same xstate as the machines), else the file's
  try {
    return import.meta.resolve(spec);
  } catch {
    // not a dependency of the package (or no import.meta.resolve under a test runner)
  }
  for (const base of [join(packageRoot, 'package.json'), from]) {
    try {
      return pathToFileURL(createRequire(base).resolve(spec)).href;
    } catch {
      // try the next place
    }
  }
  return spec;
}

/** Rewrites the module names of import and export declarations and of `import()` calls. */
function rewriteImports(t: typeof TS, map: (spec: string) => string): TS.TransformerFactory<TS.SourceFile> {
  return (ctx) => (sf) => {
    const f = ctx.factory;
    const literal = (n: TS.Expression) => f.createStringLiteral(map((n as TS.StringLiteral).text));
    const visit = (node: TS.Node): TS.Node => {
      if (t.isImportDeclaration(node) && t.isStringLiteral(node.moduleSpecifier)) {
        return f.updateImportDeclaration(node, node.modifiers, node.importClause, literal(node.moduleSpecifier), node.attributes);
      }
      if (t.isExportDeclaration(node) && node.moduleSpecifier && t.isStringLiteral(node.moduleSpecifier)) {
        return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, literal(node.moduleSpecifier), node.attributes);
      }
      if (t.isCallExpression(node) && node.expression.kind === t.SyntaxKind.ImportKeyword && node.arguments[0] && t.isStringLiteralLike(node.arguments[0])) {
        return f.updateCallExpression(node, node.expression, node.typeArguments, [literal(node.arguments[0]), ...node.arguments.slice(1)]);
      }
      return t.visitEachChild(node, visit, ctx);
    };
    return t.visitNode(sf, visit) as TS.SourceFile;
  };
}

/**
 * Imports a variant module: it and the local modules it imports are transpiled to ES modules
 * in a temporary folder (removed again once they are loaded), with source maps back to the
 * original files, so stack traces name the reviewer's file and line.
 */
export async function importVariantModule(file: string): Promise<{ default?: unknown }> {
  const { dir, entry } = await compileVariantModule(file);
  try {
    process.setSourceMapsEnabled(true);
    return (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Transpiles a variant module and the local modules it imports into a new temporary folder
 * (the caller removes it): the entry `.mjs` to import. A worker that checks the file imports
 * the same entry, so it needs no TypeScript compiler of its own.
 */
export async function compileVariantModule(file: string): Promise<{ dir: string; entry: string }> {
  const ext = extname(file);
  if (ext === '.cts' || ext === '.cjs') throw new Error(`a variant file is an ES module: rename it to .ts or .mts and write export default defineVariant({ ... })`);
  const t = await ts();
  const dir = mkdtempSync(join(tmpdir(), 's390-kvm-spec-variant-'));
  const done = new Map<string, string>();
  const compile = (src: string): string => {
    const known = done.get(src);
    if (known) return known;
    const out = join(dir, `${done.size}-${basename(src).replace(/\.[cm]?[jt]sx?$/, '')}.mjs`);
    done.set(src, out);
    const result = t.transpileModule(readFileSync(src, 'utf8'), {
      fileName: src,
      compilerOptions: { target: t.ScriptTarget.ES2022, module: t.ModuleKind.ESNext, sourceMap: true, inlineSources: true, jsx: t.JsxEmit.None },
      transformers: { after: [rewriteImports(t, (spec) => target(spec, src, compile))] },
    });
    const map = JSON.parse(result.sourceMapText ?? '{}') as { sources?: string[]; sourceRoot?: string };
    map.sources = [pathToFileURL(src).href];
    map.sourceRoot = '';
    const code = result.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
    writeFileSync(out, `${code}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`);
    return out;
  };
  try {
    return { dir, entry: compile(file) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
