// Mutant generation and mutant schemata, with the TypeScript compiler API (the parser only:
// no program, no type checker, so a file is analysed in milliseconds).
//
// A mutant is named by something that survives edits elsewhere in its file:
// `<file>:<enclosing function chain>:<operator>#<ordinal within that function and operator>`,
// e.g. `machines/gisa/kvm_s390_gisa_interrupt.machine.ts:kvm_s390_gisa_destroy:delete#1`.
// With it go the original text and the replacement, so a triage entry whose function was
// rewritten is recognised as stale instead of being applied to different code.
//
// Schemata (as Stryker does): every mutant of a file is compiled into one copy of the file,
// each behind a test of the active-mutant number `globalThis.__s390_mutate.active`, so a
// worker process loads each module once and runs any number of mutants by setting a number.
// An expression site becomes `(active === 7 ? <mutant 7> : active === 8 ? <mutant 8> : <original>)`;
// a statement list with statement mutants becomes `if (active === 9) { <list with the
// statement deleted> } else ... else { <original list> }`. The original branch also records
// which sites executed (`hits`), which is how a baseline run knows which configurations reach
// which mutants.
import ts from 'typescript';
import { HANG } from './hang.ts';
import { DESIGN_READS, IMPLEMENTATION_OBJECT, NOT_KERNEL, STEP_BODY, STEP_CONDITION_CALL, STEP_REPLACEMENT_CALL, isThreadsFile, type MutantKind } from './scope.ts';

/**
 * Operators shaped like kernel bugs: a missing statement (put, unpin, unregister, clear),
 * two adjacent statements in the wrong order, a condition negated, always taken or never
 * taken (a missing NULL, state or error check), one operand of && or || dropped, an early
 * return, a constant or mask bit off by one, a bounds check off by one.
 */
export type Operator = 'delete' | 'swap' | 'negate' | 'always' | 'never' | 'drop-operand' | 'return-early' | 'constant' | 'boundary';

export const OPERATORS: readonly Operator[] = ['delete', 'swap', 'negate', 'always', 'never', 'drop-operand', 'return-early', 'constant', 'boundary'];

export interface Mutant {
  /** Stable id: `<file>:<function chain>:<operator>#<ordinal>`. */
  id: string;
  kind: MutantKind;
  area: string;
  file: string;
  /** The enclosing function, as a chain of names (`createVfioCcwMachine.actions.fsm_io_request`). */
  fn: string;
  op: Operator;
  ordinal: number;
  /** 1-based line of the change (for people; never part of the id). */
  line: number;
  /** The original text of the changed range and what replaces it, on one line each. */
  orig: string;
  repl: string;
  /** The change as unified-diff lines (`- ` original, `+ ` mutated). */
  diff: string;
}

export interface SourceInput {
  path: string;
  text: string;
  kind: MutantKind;
  area: string;
}

/** What a schemata file needs from a mutant: its number in the run (the value of `active`). */
export type Numbering = ReadonlyMap<string, number>;

const RUNTIME_GLOBAL = '__s390_mutate';
/** Iterations of one loop (per entry) after which a mutant counts as hanging. */
const LOOP_LIMIT = 1_000_000;

/** One site: a node with the mutants it carries. */
interface ExprSite {
  node: ts.Node;
  alts: { key: string; text: string }[];
}
interface StmtSite {
  /** Index of the statement the mutant changes: deleted, swapped with the next, or returned before. */
  at: number;
  op: 'delete' | 'swap' | 'return-early';
  key: string;
}

interface Analysed {
  input: SourceInput;
  sf: ts.SourceFile;
  mutants: Mutant[];
  expr: Map<ts.Node, ExprSite>;
  stmt: Map<ts.Node, StmtSite[]>;
  /** Nodes with a site in their subtree. */
  marked: Set<ts.Node>;
  /** Loops of mutated functions: each gets an iteration guard (a mutant may make one endless). */
  loops: Set<ts.Node>;
}

type FnLike = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration | ts.ConstructorDeclaration | ts.GetAccessorDeclaration | ts.SetAccessorDeclaration;

const isFnLike = (n: ts.Node): n is FnLike =>
  ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n);

function skipOuter(n: ts.Node): ts.Node {
  let p = n.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isAsExpression(p) || ts.isSatisfiesExpression(p) || ts.isNonNullExpression(p) || ts.isTypeAssertionExpression(p))) p = p.parent;
  return p;
}

function nameText(n: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!n) return undefined;
  if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isPrivateIdentifier(n)) return n.text;
  return undefined;
}

/** The name a function-like is known by: its declaration, the variable or property it initialises, or the one its wrapper call initialises (`x: kernel((c) => ...)`). */
function ownName(f: FnLike): string | undefined {
  if (ts.isConstructorDeclaration(f)) return 'constructor';
  if (ts.isFunctionDeclaration(f) || ts.isMethodDeclaration(f) || ts.isGetAccessorDeclaration(f) || ts.isSetAccessorDeclaration(f)) return nameText(f.name);
  let p = skipOuter(f);
  if (ts.isCallExpression(p) && p.arguments.some((a) => a === f || (ts.isParenthesizedExpression(a) && a.expression === f))) p = skipOuter(p);
  if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p)) return nameText(p.name);
  return undefined;
}

/** A container segment of the name chain: a class, or an object literal held by a named variable or property (`guards: { ... }`). */
function containerName(n: ts.Node): string | undefined {
  if (ts.isClassDeclaration(n) || ts.isClassExpression(n)) return n.name?.text;
  if (ts.isObjectLiteralExpression(n)) {
    const p = skipOuter(n);
    if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p)) return nameText(p.name);
  }
  return undefined;
}

interface FnInfo {
  node: FnLike;
  /** Own name, if any. */
  name?: string;
  /** Names of enclosing named functions and containers, outermost first, then its own. */
  chain: string[];
  /** Inside an object literal of guard or action implementations. */
  root: boolean;
  parent?: FnInfo;
  included: boolean;
  /** Thread files (scope.ts): a step-body root's enclosing functions build steps, they are not kernel code. */
  builder?: boolean;
  /** Thread files: inside a step whose `cite` says it is planted (a variant's bug, not the kernel's). */
  planted?: boolean;
  /** In a thread file. */
  threads?: boolean;
}

/** A property of an object literal, by name. */
function propertyOf(o: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of o.properties) if (ts.isPropertyAssignment(p) && nameText(p.name) === name) return p.initializer;
  return undefined;
}

/** Thread files: a step object (`{ at, cite, run, next }`) is a name-chain segment `@<at>`, so a step body's mutants say which statement they change. */
function stepSegment(n: ts.Node, sf: ts.SourceFile): string | undefined {
  if (!ts.isObjectLiteralExpression(n)) return undefined;
  const at = propertyOf(n, 'at');
  if (!at) return undefined;
  return '@' + (ts.isStringLiteral(at) || ts.isNoSubstitutionTemplateLiteral(at) ? at.text : at.getText(sf)).replace(/\s+/g, '');
}

/** Thread files: a step whose `cite` is a literal beginning `planted` (a call of STEP_REPLACEMENT_CALL counts too, in functionsOf). */
function plantedStep(n: ts.Node): boolean {
  if (!ts.isObjectLiteralExpression(n)) return false;
  const cite = propertyOf(n, 'cite');
  return !!cite && (ts.isStringLiteral(cite) || ts.isNoSubstitutionTemplateLiteral(cite)) && /^planted\b/.test(cite.text);
}

/** Thread files: a step body (`run: ...`, `if: ...`) or a branch condition wrapped in `named(...)`. */
function stepBody(f: FnLike, name: string | undefined): boolean {
  if (name !== undefined && STEP_BODY.test(name)) {
    const p = skipOuter(f);
    if (ts.isPropertyAssignment(p) || (ts.isCallExpression(p) && ts.isPropertyAssignment(skipOuter(p)))) return true;
  }
  const p = skipOuter(f);
  return ts.isCallExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === STEP_CONDITION_CALL && p.arguments.includes(f as ts.Expression);
}

/** Finds every function-like of a file with its name chain. */
function functionsOf(sf: ts.SourceFile, threads = false): FnInfo[] {
  const out: FnInfo[] = [];
  const visit = (n: ts.Node, chain: string[], parent: FnInfo | undefined, root: boolean, planted: boolean): void => {
    let c = chain;
    let fnParent = parent;
    let r = root;
    let pl = planted;
    const cname = containerName(n) ?? (threads ? stepSegment(n, sf) : undefined);
    if (cname !== undefined) {
      c = [...chain, cname];
      if (ts.isObjectLiteralExpression(n) && IMPLEMENTATION_OBJECT.test(cname)) r = true;
    }
    if (threads && (plantedStep(n) || (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && STEP_REPLACEMENT_CALL.test(n.expression.text)))) pl = true;
    if (isFnLike(n) && n.body) {
      const name = ownName(n);
      const isRoot = r || (threads && !pl && stepBody(n, name));
      const info: FnInfo = { node: n, chain: name === undefined ? c : [...c, name], root: isRoot, included: false, ...(name === undefined ? {} : { name }), ...(parent ? { parent } : {}), ...(pl ? { planted: true } : {}), ...(threads ? { threads: true } : {}) };
      out.push(info);
      if (threads && isRoot) for (let b = parent; b; b = b.parent) b.builder = true;
      c = info.chain;
      fnParent = info;
    }
    ts.forEachChild(n, (k) => visit(k, c, fnParent, r, pl));
  };
  visit(sf, [], undefined, false, false);
  return out;
}

interface Names {
  /** Identifiers (a call or a reference by name). */
  ids: Set<string>;
  /** Property names (`k.gisa_set_iam`, `c.pages`). */
  props: Set<string>;
}

/** Names an included function refers to, not descending into other functions. */
function referencedNames(n: ts.Node, out: Names): void {
  ts.forEachChild(n, (k) => {
    if (ts.isIdentifier(k)) (ts.isPropertyAccessExpression(n) && n.name === k ? out.props : out.ids).add(k.text);
    if (isFnLike(k)) return;
    referencedNames(k, out);
  });
}

/**
 * Which functions are mutated. Machine files: the guard and action implementations (function
 * values inside `guards`/`actions` object literals), the functions named in those objects, and
 * every function they refer to by name, across all machine files (name-based, so a call through a
 * per-design table `k.gisa_set_iam(...)` counts); never a name NOT_KERNEL lists. SUT files: every
 * function but those NOT_KERNEL lists. A function without a name belongs to the one it is in.
 */
function decideIncluded(files: { sf: ts.SourceFile; fns: FnInfo[]; kind: MutantKind }[]): void {
  for (const f of files.filter((x) => x.kind === 'sut')) {
    for (const fn of f.fns) {
      if (NOT_KERNEL.sut.test(fn.chain.join('.'))) fn.included = false;
      else fn.included = fn.parent ? fn.parent.included : fn.name !== undefined;
    }
  }
  const machine = files.filter((x) => x.kind === 'machine');
  // an identifier may name any function; a property name (`k.gisa_set_iam`) only a top-level one
  const byName = new Map<string, FnInfo[]>();
  const topByName = new Map<string, FnInfo[]>();
  for (const f of machine) {
    for (const fn of f.fns) {
      if (fn.name === undefined) continue;
      byName.set(fn.name, [...(byName.get(fn.name) ?? []), fn]);
      if (!fn.parent) topByName.set(fn.name, [...(topByName.get(fn.name) ?? []), fn]);
    }
  }
  // a function NOT_KERNEL names is left alone, and so are the callbacks written inside it (its
  // nameless functions); a named guard or action inside an excluded builder decides for itself
  const excluded = (fn: FnInfo): boolean => {
    if (fn.planted || fn.builder) return true;
    let f: FnInfo | undefined = fn;
    while (f && f.name === undefined) f = f.parent;
    return (f?.name !== undefined && NOT_KERNEL.machine.test(f.name)) || !!f?.builder;
  };
  const work: FnInfo[] = [];
  const include = (fn: FnInfo) => {
    if (fn.included || excluded(fn)) return;
    // thread files: a function written inside another is a step body, a helper local to a step builder, or part of an included function; never one of a planted step editor's callbacks found by name
    if (fn.threads && fn.parent && !fn.root && !fn.parent.builder && !fn.parent.included) return;
    fn.included = true;
    work.push(fn);
  };
  const follow = (names: Names) => {
    // a function named run or if is a step body (STEP_BODY), never a helper called by name: a local `const run = s.run` reaches none
    for (const name of names.ids) if (!STEP_BODY.test(name)) for (const fn of byName.get(name) ?? []) include(fn);
    for (const name of names.props) for (const fn of topByName.get(name) ?? []) include(fn);
  };
  for (const f of machine) {
    for (const fn of f.fns) if (fn.root) include(fn);
    // names in the implementation objects themselves: `kvm_vm_ioctl_enable_cap: fn(kvm_vm_ioctl_enable_cap)`
    const names: Names = { ids: new Set(), props: new Set() };
    const visit = (n: ts.Node): void => {
      const cname = containerName(n);
      if (cname !== undefined && ts.isObjectLiteralExpression(n) && IMPLEMENTATION_OBJECT.test(cname)) referencedNames(n, names);
      ts.forEachChild(n, visit);
    };
    visit(f.sf);
    follow(names);
  }
  while (work.length) {
    const fn = work.pop()!;
    const names: Names = { ids: new Set(), props: new Set() };
    referencedNames(fn.node.body!, names);
    follow(names);
    // functions written inside an included one are part of it
    for (const f of machine) for (const inner of f.fns) if (inner.parent === fn) include(inner);
  }
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

function isInTypeOrDecl(n: ts.Node): boolean {
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
    if (ts.isTypeNode(p) || ts.isEnumMember(p) || ts.isImportDeclaration(p) || ts.isExportDeclaration(p) || ts.isThrowStatement(p) || ts.isDecorator(p)) return true;
    if (ts.isComputedPropertyName(p)) return true;
    if (isFnLike(p) || ts.isBlock(p)) return false;
  }
  return false;
}

const isPropertyName = (n: ts.Node): boolean => {
  const p = n.parent;
  return (ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isPropertyAccessExpression(p) || ts.isEnumMember(p)) && (p as { name?: ts.Node }).name === n;
};

const EQUALITY: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: '!==',
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: '===',
  [ts.SyntaxKind.EqualsEqualsToken]: '!=',
  [ts.SyntaxKind.ExclamationEqualsToken]: '==',
};
const BOUNDARY: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.LessThanToken]: '<=',
  [ts.SyntaxKind.LessThanEqualsToken]: '<',
  [ts.SyntaxKind.GreaterThanToken]: '>=',
  [ts.SyntaxKind.GreaterThanEqualsToken]: '>',
};

/** The condition of an if, a loop or a ?: whose node this is, if any. */
function conditionOf(n: ts.Node): 'if' | 'loop' | 'ternary' | undefined {
  const p = n.parent;
  if (ts.isIfStatement(p) && p.expression === n) return 'if';
  if ((ts.isWhileStatement(p) || ts.isDoStatement(p)) && p.expression === n) return 'loop';
  if (ts.isForStatement(p) && p.condition === n) return 'loop';
  if (ts.isConditionalExpression(p) && p.condition === n) return 'ternary';
  return undefined;
}

/**
 * The replacement literal for a constant: a mask (a hex power of two) with its bit moved one
 * position down (up for 1), any other number one more. One per literal: the other direction
 * rarely kills what this one does not, and costs as much.
 */
function constantAlternatives(text: string): string[] {
  const big = text.endsWith('n');
  const body = (big ? text.slice(0, -1) : text).replace(/_/g, '');
  const hex = /^0x/i.test(body);
  let v: bigint;
  try {
    v = BigInt(body);
  } catch {
    return []; // a fraction or exponent: not a kernel constant
  }
  const fmt = (x: bigint) => (hex ? '0x' + x.toString(16) : x.toString()) + (big ? 'n' : '');
  const power = v > 0n && (v & (v - 1n)) === 0n;
  return [fmt(hex && power ? (v > 1n ? v >> 1n : v << 1n) : v + 1n)];
}

/** Collects the mutants of one file and remembers where each sits, for the schemata. */
function analyse(input: SourceInput, sf: ts.SourceFile, fns: FnInfo[]): Analysed {
  const src = input.text;
  const a: Analysed = { input, sf, mutants: [], expr: new Map(), stmt: new Map(), marked: new Set(), loops: new Set() };
  const fnOf = new Map<ts.Node, FnInfo>(fns.map((f) => [f.node, f]));
  const counters = new Map<string, number>();
  const text = (n: ts.Node) => src.slice(n.getStart(sf), n.end);

  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line;
  const lineCount = sf.getLineStarts().length;
  const diffOf = (start: number, end: number, replacement: string): string => {
    const l0 = lineOf(start), l1 = lineOf(Math.max(start, end - 1));
    const from = sf.getPositionOfLineAndCharacter(l0, 0);
    const to = l1 + 1 < lineCount ? sf.getPositionOfLineAndCharacter(l1 + 1, 0) - 1 : src.length;
    const before = src.slice(from, to);
    const after = src.slice(from, start) + replacement + src.slice(end, to);
    const mark = (p: string, s: string) => s.split('\n').map((x) => `${p} ${x}`).join('\n');
    return `@@ ${input.path}:${l0 + 1}\n${mark('-', before)}\n${mark('+', after)}`;
  };

  /**
   * Records a mutant of the node at [start, end): the change replaces [from, to) (inside the
   * node) with `change`; `orig` and `repl` show the whole node before and after.
   */
  const add = (owner: FnInfo, op: Operator, start: number, end: number, from: number, to: number, change: string): string => {
    const fn = owner.chain.join('.') || '(top)';
    const base = `${input.path}:${fn}:${op}`;
    const ordinal = counters.get(base) ?? 0;
    counters.set(base, ordinal + 1);
    const id = `${base}#${ordinal}`;
    const repl = src.slice(start, from) + change + src.slice(to, end);
    a.mutants.push({
      id, kind: input.kind, area: input.area, file: input.path, fn, op, ordinal, line: lineOf(from) + 1,
      orig: oneLine(src.slice(start, end)), repl: oneLine(repl) || '(nothing)', diff: diffOf(from, to, change),
    });
    return id;
  };
  const mark = (n: ts.Node) => {
    for (let p: ts.Node | undefined = n; p && !a.marked.has(p); p = p.parent) a.marked.add(p);
  };
  /** An expression mutant of `node`: `mutated` replaces the whole node in the schemata; [from, to) -> change is the edit shown. */
  const exprAlt = (owner: FnInfo, node: ts.Node, op: Operator, mutated: string, from = node.getStart(sf), to = node.end, change = mutated) => {
    const key = add(owner, op, node.getStart(sf), node.end, from, to, change);
    const site = a.expr.get(node) ?? { node, alts: [] };
    site.alts.push({ key, text: mutated });
    a.expr.set(node, site);
    mark(node);
  };

  const statementSites = (owner: FnInfo, host: ts.Node, list: readonly ts.Statement[], fnBody: boolean) => {
    const sites: StmtSite[] = [];
    list.forEach((s, i) => {
      if (ts.isExpressionStatement(s) && !ts.isStringLiteral(s.expression)) sites.push({ at: i, op: 'delete', key: add(owner, 'delete', s.getStart(sf), s.end, s.getStart(sf), s.end, '') });
    });
    list.forEach((s, i) => {
      const t = list[i + 1];
      if (!t || !ts.isExpressionStatement(s) || !ts.isExpressionStatement(t)) return;
      const swapped = text(t) + src.slice(s.end, t.getStart(sf)) + text(s);
      sites.push({ at: i, op: 'swap', key: add(owner, 'swap', s.getStart(sf), t.end, s.getStart(sf), t.end, swapped) });
    });
    if (fnBody && !returnsValue(owner.node)) {
      list.forEach((s, i) => {
        const prev = list[i - 1];
        if (!prev || ts.isReturnStatement(prev) || ts.isThrowStatement(prev)) return;
        sites.push({ at: i, op: 'return-early', key: add(owner, 'return-early', s.getStart(sf), s.end, s.getStart(sf), s.getStart(sf), 'return; ') });
      });
    }
    if (sites.length) {
      a.stmt.set(host, sites);
      mark(host);
    }
  };

  const visit = (n: ts.Node, owner: FnInfo | undefined): void => {
    let o = owner;
    const info = fnOf.get(n);
    if (info) o = info.included ? info : undefined;
    if (o && (ts.isWhileStatement(n) || ts.isDoStatement(n) || ts.isForStatement(n)) && !ts.isLabeledStatement(n.parent)) {
      a.loops.add(n);
      mark(n);
    }
    if (o && !isInTypeOrDecl(n)) {
      if (ts.isBlock(n) || ts.isCaseClause(n) || ts.isDefaultClause(n)) statementSites(o, n, n.statements, ts.isBlock(n) && n.parent === o.node);
      sitesOf(o, n);
    }
    ts.forEachChild(n, (k) => visit(k, o));
  };

  const sitesOf = (o: FnInfo, n: ts.Node): void => {
    const cond = conditionOf(n);
    const design = ts.isExpression(n) && designOnly(n);
    if (cond && !design) {
      exprAlt(o, n, 'negate', `!(${text(n)})`);
      if (cond === 'if') {
        exprAlt(o, n, 'always', 'true');
        exprAlt(o, n, 'never', 'false');
      }
    }
    if (ts.isBinaryExpression(n)) {
      const k = n.operatorToken.kind;
      const flip = EQUALITY[k] ?? BOUNDARY[k];
      if (flip && !(EQUALITY[k] && cond) && !design) {
        const op: Operator = EQUALITY[k] ? 'negate' : 'boundary';
        exprAlt(o, n, op, src.slice(n.getStart(sf), n.operatorToken.getStart(sf)) + flip + src.slice(n.operatorToken.end, n.end), n.operatorToken.getStart(sf), n.operatorToken.end, flip);
      }
      if (k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken) {
        // keeping one operand drops the other: not when the dropped one is a design switch
        if (!designOnly(n.right)) exprAlt(o, n, 'drop-operand', `(${text(n.left)})`, n.getStart(sf), n.end, text(n.left));
        if (!designOnly(n.left)) exprAlt(o, n, 'drop-operand', `(${text(n.right)})`, n.getStart(sf), n.end, text(n.right));
      }
    }
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.ExclamationToken && !cond && !design) {
      exprAlt(o, n, 'negate', `(${text(n.operand)})`, n.getStart(sf), n.operand.getStart(sf), '');
    }
    // a guard written as an expression: negate it, unless it is a comparison or ! already flipped above
    if (o.root && o.node.body === n && !ts.isBlock(n) && o.chain.some((s) => /guards$/i.test(s))) {
      const plain = skipParens(n);
      const flipped = (ts.isBinaryExpression(plain) && EQUALITY[plain.operatorToken.kind] !== undefined) || (ts.isPrefixUnaryExpression(plain) && plain.operator === ts.SyntaxKind.ExclamationToken);
      if (!flipped && !design) exprAlt(o, n, 'negate', `!(${text(n)})`);
    }
    if ((ts.isNumericLiteral(n) || ts.isBigIntLiteral(n)) && !isPropertyName(n)) {
      for (const alt of constantAlternatives(n.getText(sf))) exprAlt(o, n, 'constant', alt); // .text is normalised to decimal
    }
    if ((n.kind === ts.SyntaxKind.TrueKeyword || n.kind === ts.SyntaxKind.FalseKeyword) && !cond) {
      exprAlt(o, n, 'constant', n.kind === ts.SyntaxKind.TrueKeyword ? 'false' : 'true');
    }
  };

  visit(sf, undefined);
  return a;
}

/** A condition made only of design-switch reads (DESIGN_READS), joined by !, && or ||. */
function designOnly(n: ts.Node): boolean {
  const x = skipParens(n);
  if (ts.isPrefixUnaryExpression(x) && x.operator === ts.SyntaxKind.ExclamationToken) return designOnly(x.operand);
  if (ts.isBinaryExpression(x) && (x.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || x.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return designOnly(x.left) && designOnly(x.right);
  const t = oneLine(x.getText());
  return DESIGN_READS.some((r) => r.test(t));
}

function skipParens(n: ts.Node): ts.Node {
  while (ts.isParenthesizedExpression(n)) n = n.expression;
  return n;
}

/** Whether a function returns a value somewhere (then an early `return;` would be a type error, not a kernel bug). */
function returnsValue(f: FnLike): boolean {
  if (f.body && !ts.isBlock(f.body)) return true;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || isFnLike(n)) return;
    if (ts.isReturnStatement(n) && n.expression) found = true;
    ts.forEachChild(n, visit);
  };
  if (f.body) ts.forEachChild(f.body, visit);
  return found;
}

/** The instrumented source of an analysed file: every mutant behind its number. */
function schemata(a: Analysed, numbering: Numbering, keep: (id: string) => boolean = () => true): string {
  const { sf, input } = a;
  const src = input.text;
  const num = (key: string) => {
    const v = numbering.get(key);
    if (v === undefined) throw new Error(`mutant ${key} has no number`);
    return v;
  };
  const hits = (keys: readonly string[]) => keys.map(num).join(', ');
  const text = (n: ts.Node) => src.slice(n.getStart(sf), n.end);

  let loopCounters = 0;
  const renderNode = (n: ts.Node): string => {
    if (!a.marked.has(n)) return src.slice(n.getStart(sf), n.end);
    if (a.loops.has(n)) return renderLoop(n as ts.IterationStatement);
    let body = a.stmt.has(n) ? renderStatements(n) : splice(n, n.getStart(sf), n.end);
    const all = a.expr.get(n);
    const site = all && { ...all, alts: all.alts.filter((x) => keep(x.key)) };
    if (site?.alts.length) {
      const alts = site.alts.map((x) => `__m.active === ${num(x.key)} ? (${x.text}) : `).join('');
      body = `(${alts}((__m.hits === null || __mH(${hits(site.alts.map((x) => x.key))})) && (${body})))`;
    }
    return body;
  };
  const splice = (n: ts.Node, start: number, end: number): string => {
    let out = '';
    let pos = start;
    ts.forEachChild(n, (k) => {
      const ks = k.getStart(sf);
      if (ks < pos || k.end > end) return; // a child already copied (JSDoc, modifiers), or past the range
      out += src.slice(pos, ks) + renderNode(k);
      pos = k.end;
    });
    return out + src.slice(pos, end);
  };
  // `{ let c = 0; while (...) { if (++c > LIMIT) __mHang(); <body> } }`: an endless loop ends the job as a hang
  const renderLoop = (n: ts.IterationStatement): string => {
    const c = `__l${loopCounters++}`;
    const body = n.statement;
    const head = splice(n, n.getStart(sf), body.getStart(sf));
    const guarded = `{ if (++${c} > ${LOOP_LIMIT}) __mHang(); ${renderNode(body)} }`;
    const tail = src.slice(body.end, n.end);
    return `{ let ${c} = 0; ${head}${guarded}${ts.isDoStatement(n) ? renderDoTail(n) : tail} }`;
  };
  const renderDoTail = (n: ts.DoStatement): string => src.slice(n.statement.end, n.expression.getStart(sf)) + renderNode(n.expression) + src.slice(n.expression.end, n.end);

  // statement mutants in place: only expression statements are deleted or swapped, so no
  // declaration changes scope; `return;` goes before the statement it precedes
  const renderStatements = (host: ts.Node): string => {
    const list = (host as ts.Block | ts.CaseClause | ts.DefaultClause).statements;
    const sites = a.stmt.get(host)!.filter((x) => keep(x.key));
    const rs = list[0]!.getStart(sf);
    const re = list[list.length - 1]!.end;
    let out: string;
    if (ts.isCaseClause(host)) out = src.slice(host.getStart(sf), host.expression.getStart(sf)) + renderNode(host.expression) + src.slice(host.expression.end, rs);
    else out = src.slice(host.getStart(sf), rs);
    let pos = rs;
    list.forEach((s, i) => {
      const find = (op: StmtSite['op'], at = i) => sites.find((x) => x.op === op && x.at === at)?.key;
      const del = find('delete'), swap = find('swap'), swapPrev = find('swap', i - 1), early = find('return-early');
      out += src.slice(pos, s.getStart(sf));
      const here = [del, swap, early].filter((k): k is string => k !== undefined);
      if (here.length) out += `if (__m.hits !== null) __mH(${hits(here)}); `;
      if (early) out += `if (__m.active === ${num(early)}) return; `;
      let chain = '';
      if (swapPrev) chain += `if (__m.active === ${num(swapPrev)}) {} else `; // ran before the previous statement
      if (swap) chain += `if (__m.active === ${num(swap)}) { ${text(list[i + 1]!)} ${text(s)} } else `;
      if (del) chain += `if (__m.active === ${num(del)}) {} else `;
      out += chain ? `${chain}{ ${renderNode(s)} }` : renderNode(s);
      pos = s.end;
    });
    return out + src.slice(re, host.end);
  };

  const header =
    `const __m = (globalThis.${RUNTIME_GLOBAL} ??= { active: -1, hits: null });\n` +
    `function __mH(...ids) { for (const i of ids) __m.hits[i] = 1; return true; }\n` +
    `function __mHang() { const e = new Error('a loop ran ${LOOP_LIMIT} times'); e.name = '${HANG}'; throw e; }\n`;
  return header + splice(sf, 0, src.length);
}

export interface Instrumented {
  mutants: Mutant[];
  /**
   * The schemata of a file, given the numbering of the run (TypeScript source); only the
   * mutants `keep` selects are compiled in, and every loop of a mutated function is guarded.
   */
  schemata(path: string, numbering: Numbering, keep?: (id: string) => boolean): string;
}

/** Analyses every file together (the machine call graph crosses files). */
export function instrument(inputs: readonly SourceInput[]): Instrumented {
  const parsed = inputs.map((input) => {
    const sf = ts.createSourceFile(input.path, input.text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    return { input, sf, fns: functionsOf(sf, isThreadsFile(input.path)), kind: input.kind };
  });
  decideIncluded(parsed);
  const analysed = parsed.map((p) => analyse(p.input, p.sf, p.fns));
  const byPath = new Map(analysed.map((a) => [a.input.path, a]));
  return {
    mutants: analysed.flatMap((a) => a.mutants),
    schemata(path, numbering, keep) {
      const a = byPath.get(path);
      if (!a) throw new Error(`no such instrumented file: ${path}`);
      return schemata(a, numbering, keep);
    },
  };
}

/** TypeScript to JavaScript for the module overlay; throws with the first syntax error (a broken schema is a harness bug). */
export function transpile(path: string, source: string): string {
  const r = ts.transpileModule(source, {
    fileName: path,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, isolatedModules: true, sourceMap: false, allowImportingTsExtensions: true },
  });
  const bad = r.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (bad) throw new Error(`schemata of ${path} do not compile: ${ts.flattenDiagnosticMessageText(bad.messageText, '\n')}`);
  return r.outputText;
}
