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

/**
 * Type-checks a variant file (and the local modules it imports) with `variantCompilerOptions`;
 * returns the first diagnostic as `file:line:col: message`, or undefined.
 */
let previous: TS.Program | undefined;
export async function typeCheckVariant(file: string): Promise<string | undefined> {
  const t = await ts();
  const options: TS.CompilerOptions = { ...variantCompilerOptions(t), paths: { [PACKAGE_NAME]: [packageTypes] } };
  // bare imports the file's own folder cannot resolve are looked up from the package (xstate, ...)
  const seen = new Set<string>();
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
      }
    }
  };
  scan(file);
  // reuse the parsed library and package files of the previous check (tests check several files)
  const program = t.createProgram({ rootNames: [file], options, ...(previous ? { oldProgram: previous } : {}) });
  previous = program;
  const source = program.getSourceFile(file);
  if (!source) return `${file}: cannot be read`;
  const d = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)][0];
  if (!d) return undefined;
  const message = t.flattenDiagnosticMessageText(d.messageText, ' ').replace(/\s+/g, ' ');
  if (d.file && d.start !== undefined) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${relative(process.cwd(), d.file.fileName) || d.file.fileName}:${line + 1}:${character + 1}: ${message}`;
  }
  return message;
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
    const entry = compile(file);
    process.setSourceMapsEnabled(true);
    return (await import(pathToFileURL(entry).href)) as { default?: unknown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
