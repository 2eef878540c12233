/**
 * Kernel concurrency as statecharts: a kernel function that other CPUs can interleave with
 * becomes a sequence of steps of a thread region (one region per concurrent caller), split
 * where the C code lets another CPU in: a lock acquired or released, one atomic or cmpxchg,
 * one read of a shared pointer or mask made without the lock that orders it. The region's
 * state is the thread's program counter, named after the C: `idle` (not in any function of
 * this caller), `<function>@<statement>` (about to execute that statement), or `BUG` (the
 * thread broke a locking rule and stopped). A step is an event of the same name, sent with
 * `{ thread }`, so a trace reads `kicker: gisa_vcpu_kicker@READ_ONCE(alert_mask)`.
 *
 * Locks are context with an owner (`threads.locks`); an acquire is simply not enabled while
 * another thread owns the lock. Values a thread read without a lock live in its locals
 * (`threads.locals[thread]`) until a later step uses them. The locking rules are invariants
 * (`lockInvariants`), each broken by a step that goes to `BUG`: acquiring a lock the thread
 * already holds, releasing one it does not hold, a sleeping call under a spinlock, returning
 * from the caller's entry point with a lock held.
 *
 * Every step declares its footprint (the context paths its guard and action read and write),
 * so the checker's partial-order reduction can tell which steps of different threads commute;
 * `verifyFootprints` (src/check/footprint.ts) runs every explored step with an instrumented
 * context and fails on any access outside the declaration. A step also runs on a copy of the
 * context that is fresh only along its declared writes (copy on write; a whole copy under that
 * verification and while a mutant is active). A step may declare the answers the hardware or
 * firmware can give it (`answers`: an AP instruction's response code): its event is then one per
 * answer (`{ type: pc, thread, answer }`), so the explorer fires each and the trace names the one
 * taken; the step's transitions, and so its footprint, are the same for every answer. The API,
 * for the developers who turn atomic kernel functions into steps, is this header and the
 * `Step`, `KFunction` and `ThreadDef` types below.
 *
 * A local goes out of scope after its last use, as in the C (issue 11): a step may declare the
 * locals it reads before writing them (`uses`, in its `when`, `run`, branch conditions and the
 * ghost around its `run`; absent: every local), `localsLive` computes per function which locals
 * some path from a program counter reads, and each step's own action drops the thread's locals
 * not live at the program counter it goes to (returning drops them all). States that differed only
 * in a value no later step reads are then one state. The C's block scoping is the justification:
 * no kernel function is cited for it. Locals another thread, an invariant or a property reads
 * (gisa galHeldPaths, the walkers' `cut`, vfio-ap's resetInUse, vcpu's TPI thread) are live
 * everywhere: their functions declare no `uses`. `verifyFootprints` checks the declarations (a
 * read of a local neither declared nor written earlier in the same step fails); `localScoping.on`
 * turns the dropping off, for the differential test (test/check/local-scope.test.ts).
 *
 * Ignores: memory ordering weaker than sequential consistency (each step is atomic and seen
 * by all CPUs at once; READ_ONCE/WRITE_ONCE and the barriers the C code uses are assumed to
 * give that), preemption inside a step, lock fairness, recursion of rwsem readers (counted
 * as a double acquire, as lockdep reports it), interrupts disabled by the _irqsave variants.
 * Pinned: the locking rules of Documentation/locking/ (mutex-design.rst, spinlocks.rst,
 * locktypes.rst) as of v6.17-rc4.
 */
import { and, enqueueActions, or, stateIn } from 'xstate';
import type { Actor, EventInfo, Invariant } from '../src/spec.ts';
import { probe, PROBED } from '../src/check/probe.ts';
import { runtime } from '../src/mutate/runtime.ts';

/** The mutation analysis' state: a step copies the whole context while a mutant is active. */
const mutating = runtime();

import type { Path } from '../src/spec.ts';
export type { Path };

/**
 * What a transition's guard and action read and write in the context, and the internal events
 * it raises. `enables`: the paths whether its event is enabled depends on (besides the state
 * regions), when narrower than reads and writes: a kthread step is enabled by its program
 * counter, its lock and its `when`, whichever branch its effect then takes.
 */
export interface Footprint {
  reads: readonly Path[];
  writes: readonly Path[];
  raises?: readonly string[];
  enables?: readonly Path[];
}

export type LockKind = 'mutex' | 'spinlock' | 'rwsem';

/** One lock instance: `key` names it in `threads.locks`, `c` is the C expression, `short` its name in program counters. */
export interface Lock {
  key: string;
  c: string;
  kind: LockKind;
  short: string;
}

/** The owner of a mutex or spinlock (null: free); of an rwsem, the writer and the sorted readers. */
export type LockState = string | null | { w: string | null; r: string[] };

export type Local = number | boolean | string | null;
export type Locals = Record<string, Local>;

/** The concurrency part of a fine-grained configuration's context (`context.threads`). */
export interface ThreadsContext {
  locks: Record<string, LockState>;
  /** Per thread: the keys of the locks it holds, in acquisition order (an rwsem read hold as `key:r`). */
  held: Record<string, string[]>;
  /** Per thread: values read by one step for a later one (reset when the thread returns). */
  locals: Record<string, Locals>;
  /** Per thread: LOCK_FAULT bits, set by the step that broke a rule. */
  faults: Record<string, number>;
  /**
   * Per thread: the area's own finding bits (machines/context.ts FAULT) a step reported with
   * `t.report(bit)`: kept per thread, so two threads' reports do not make their steps dependent.
   */
  found: Record<string, number>;
}

/** A context with a `threads` part (optional in the type: coarse configurations have none). */
export interface KContext {
  threads?: ThreadsContext;
}

/** Locking rules, one bit each, as lockdep and the debug options report them. */
export const LOCK_FAULT = {
  /** acquired a lock the thread already holds: a self-deadlock (lockdep: "possible recursive locking detected") */
  DOUBLE_ACQUIRE: 1,
  /** released a lock the thread does not hold (DEBUG_MUTEXES / spinlock debug: "unlock of unowned lock") */
  RELEASE_NOT_OWNER: 2,
  /** a call that may sleep while holding a spinlock (might_sleep: "BUG: sleeping function called from invalid context") */
  SLEEP_UNDER_SPINLOCK: 4,
  /** returned from the entry point with a lock held (lockdep: "lock held when returning to user space") */
  RETURN_HOLDING_LOCK: 8,
} as const;

/** The thread a step belongs to, its parameters and its locals, as `when`, `run` and branch conditions see them. */
export interface ThreadView {
  /** The thread's name (its region, and the `thread` field of its step events). */
  me: string;
  /** The thread's parameters (`ThreadDef.ix`), e.g. `{ vm: 0 }`. */
  ix: Readonly<Record<string, number>>;
  /** The thread's locals: writable in `run`, read-only in `when` and branch conditions. */
  local: Locals;
  /** Records a finding (a FAULT bit of the area) in `threads.found[me]`; declare `reports` on the step or the branch taken. */
  report(bit: number): void;
  /** The answer this step was fired with (one of `Step.answers`); absent for a step that declares none. */
  readonly answer?: string | undefined;
}

/** Internal events a step raises (handled in the same step by other regions). */
export interface Raise {
  raise(event: { type: string; [k: string]: unknown }): void;
}

export interface Branch<C> {
  /** Condition on the state after `run` (the step's effect); absent: always. */
  if?: (c: C, t: ThreadView) => boolean;
  /** A label of this function (`at`), a full program counter (`fn@at`), or 'return'. */
  goto: string;
  /** Name of the condition in diagrams (default: the function's name). */
  label?: string;
  /** What `run` writes when this branch is taken, when less than the step's `writes` (a fault recorded only on the error path): keeps the other branches invisible to the invariants. */
  writes?: readonly Path[];
  /** `run` calls `t.report` when this branch is taken (with `writes`: the branches that do not report stay invisible to an invariant reading the findings). */
  reports?: boolean;
}

export type LockOp = { acquire: Lock; mode?: 'read' | 'write' } | { release: Lock; mode?: 'read' | 'write' };

/** One step: what the thread executes from one program counter, atomically. */
export interface Step<C> {
  /** The C statement, without '.' (xstate's path separator): `READ_ONCE(alert_mask)`; the pc is `<function>@<at>`, or `at` itself when it holds an '@' (a callee's statement, inlined). */
  at: string;
  /** Where in the C: file, function, label or line. */
  cite?: string;
  /** Context paths the step's `when`, `run` and branch conditions read (its own locals and lock bookkeeping are added). */
  reads?: readonly Path[];
  /** Context paths `run` may write. */
  writes?: readonly Path[];
  /** Internal event types `run` may raise. */
  raises?: readonly string[];
  /** `run` may call `t.report(bit)` (on some branch: say which with `Branch.reports` and `Branch.writes`). */
  reports?: boolean;
  /** The C may sleep here (a mutex or rwsem acquire sleeps implicitly): a fault under a spinlock. */
  sleeps?: boolean;
  /** A lock acquired (enabled only while nobody else holds it) or released. */
  lock?: LockOp;
  /** Threads that must be idle (or done) for the step to run: hrtimer_cancel waits for a running callback. */
  waitsFor?: readonly string[];
  /** `once` threads that must have returned first: an order the kernel sets up outside the model (a reference dropped, a completion). */
  after?: readonly string[];
  /** Besides the lock and `waitsFor`, the step waits until this holds. */
  when?: (c: C, t: ThreadView) => boolean;
  /**
   * What the hardware or firmware may answer here (a small finite list, e.g. the response codes of an AP
   * instruction, by the branch the driver takes): one event per answer, `run` and the branch conditions
   * see it as `t.answer`. Every answer shares the step's transitions, reads and writes.
   */
  answers?: readonly string[];
  /**
   * The locals the step reads before writing them (in `when`, `run`, its branches' `if`, a ghost
   * around `run`); absent: every local (nothing is dropped before the step). The footprint
   * verification fails on a read outside it.
   */
  uses?: readonly string[];
  /** The locals `run` writes on every execution (whatever it finds, whichever branch follows): dead before the step unless it uses them. Verified as `uses` is. */
  sets?: readonly string[];
  /** The step's effect on a mutable copy of the context. */
  run?: (c: C, t: ThreadView, fx: Raise) => void;
  /** Where the thread goes next: a label, 'return', or branches tried in order (default: the next step; after the last, 'return'). */
  next?: string | readonly Branch<C>[];
}

/** A kernel function as steps. */
export interface KFunction<C> {
  name: string;
  /** Kernel file and function, as pinned. */
  cite: string;
  steps: readonly Step<C>[];
}

/** One concurrent caller: a CPU running these functions, one call at a time. */
export interface ThreadDef<C> {
  name: string;
  /** Who runs it (the actor of its step events). */
  actor: Actor;
  fns: readonly KFunction<C>[];
  /** Parameters its steps see as `t.ix` (e.g. which VM). */
  ix?: Readonly<Record<string, number>>;
  /** The caller makes one call and is done (a VM's destroy): returning goes to `done`, not `idle`. */
  once?: boolean;
}

export function kfunction<C>(name: string, cite: string, steps: readonly Step<C>[]): KFunction<C> {
  return { name, cite, steps };
}

/** The name a lock has in program counters: the member after the last '.' (`gi->alert.ref_lock` -> `ref_lock`). */
function shortName(c: string): string {
  const i = c.lastIndexOf('.');
  return i >= 0 ? c.slice(i + 1) : c;
}

function lockOf(kind: LockKind, c: string, instance?: string | number): Lock {
  return { key: instance === undefined ? c : `${c}#${instance}`, c, kind, short: shortName(c) };
}

/** struct mutex: sleeps to acquire. `instance` tells apart one lock per object (`kvm->lock` of VM 1: instance 1). */
export const mutex = (c: string, instance?: string | number): Lock => lockOf('mutex', c, instance);
/** spinlock_t: no sleeping call may run while it is held. */
export const spinlock = (c: string, instance?: string | number): Lock => lockOf('spinlock', c, instance);
/** struct rw_semaphore: one writer or many readers; sleeps to acquire. */
export const rwsem = (c: string, instance?: string | number): Lock => lockOf('rwsem', c, instance);

const ACQUIRE: Record<LockKind, [string, string]> = { mutex: ['mutex_lock', 'mutex_lock'], spinlock: ['spin_lock', 'spin_lock'], rwsem: ['down_write', 'down_read'] };
const RELEASE: Record<LockKind, [string, string]> = { mutex: ['mutex_unlock', 'mutex_unlock'], spinlock: ['spin_unlock', 'spin_unlock'], rwsem: ['up_write', 'up_read'] };

/** A step that takes `lock` (`mutex_lock(kvm->lock)`, `spin_lock(ref_lock)`, `down_read(pqap_hook_rwsem)`). */
export function acquire<C>(lock: Lock, mode: 'read' | 'write' = 'write', extra: Partial<Step<C>> = {}): Step<C> {
  return { at: `${ACQUIRE[lock.kind][mode === 'read' ? 1 : 0]}(${lock.short})`, lock: { acquire: lock, mode }, ...extra };
}

/** A step that releases `lock`. */
export function release<C>(lock: Lock, mode: 'read' | 'write' = 'write', extra: Partial<Step<C>> = {}): Step<C> {
  return { at: `${RELEASE[lock.kind][mode === 'read' ? 1 : 0]}(${lock.short})`, lock: { release: lock, mode }, ...extra };
}

/**
 * struct hrtimer: `queued` is the context path of a boolean that is true from hrtimer_start
 * until the callback returns HRTIMER_NORESTART or hrtimer_cancel returns (hrtimer_active());
 * `thread` is the thread region that runs the callback.
 */
export interface Hrtimer {
  c: string;
  queued: Path;
  thread: string;
}

export const hrtimer = (c: string, queued: Path, thread: string): Hrtimer => ({ c, queued, thread });

/** The callback's first step waits for this: the timer is queued (its expiry is an explicit step). */
export function hrtimerExpires<C>(t: Hrtimer): Pick<Step<C>, 'when' | 'reads'> {
  return { when: named(`${t.c} queued`, (c: C) => getPath(c, t.queued) === true), reads: [t.queued] };
}

/** `hrtimer_cancel(&timer)`: waits until the callback is not running, then dequeues the timer. */
export function hrtimer_cancel<C>(t: Hrtimer, extra: Partial<Step<C>> = {}): Step<C> {
  return {
    at: `hrtimer_cancel(${shortName(t.c)})`,
    waitsFor: [t.thread],
    writes: [t.queued],
    run: (c) => setPath(c, t.queued, false),
    ...extra,
  };
}

/** `hrtimer_start(&timer, 0, ...)`: queued (the callback runs as its own step later). */
export function hrtimer_start<C>(t: Hrtimer, extra: Partial<Step<C>> = {}): Step<C> {
  return { at: `hrtimer_start(${shortName(t.c)})`, writes: [t.queued], run: (c) => setPath(c, t.queued, true), ...extra };
}

/** The value at `path` (no wildcards). */
export function getPath(c: unknown, path: Path): unknown {
  let v: any = c;
  for (const k of path) v = v?.[k];
  return v;
}

/** Sets the value at `path` in a mutable copy. */
export function setPath(c: unknown, path: Path, x: unknown): void {
  let v: any = c;
  for (const k of path.slice(0, -1)) v = v[k];
  v[path[path.length - 1]!] = x;
}

/** Gives a function the name diagrams show for it. */
export function named<F extends (...args: never[]) => unknown>(name: string, f: F): F {
  return Object.defineProperty(f, 'name', { value: name });
}

/** The program counter of a step of `fn`. */
export function pcOf(fn: string, at: string): string {
  return at.includes('@') ? at : `${fn}@${at}`;
}

/** The id of thread `name`'s idle state, for `stateIn` (a step of another thread that waits for it). */
export const idleId = (name: string): string => `kthread-${name}-idle`;
/** The id of a `once` thread's done state. */
export const doneId = (name: string): string => `kthread-${name}-done`;

/** The context paths of a thread's own bookkeeping. */
export const localsPath = (thread: string): Path => ['threads', 'locals', thread];
export const heldPath = (thread: string): Path => ['threads', 'held', thread];
export const faultsPath = (thread: string): Path => ['threads', 'faults', thread];
export const lockPath = (lock: Lock): Path => ['threads', 'locks', lock.key];
export const foundPath = (thread: string): Path => ['threads', 'found', thread];

/** Whether some thread reported `bit` (an invariant over findings reads ['threads', 'found']). */
export function reported(c: KContext, bit: number): boolean {
  const f = c.threads?.found;
  if (!f) return false;
  for (const k in f) if (f[k]! & bit) return true;
  return false;
}

/** The initial `threads` part: every lock free, no locals, no faults. */
export function initialThreads(threads: readonly ThreadDef<any>[], locks: readonly Lock[]): ThreadsContext {
  const out: ThreadsContext = { locks: {}, held: {}, locals: {}, faults: {}, found: {} };
  for (const l of locks) out.locks[l.key] = l.kind === 'rwsem' ? { w: null, r: [] } : null;
  for (const t of threads) {
    out.held[t.name] = [];
    out.locals[t.name] = {};
    out.faults[t.name] = 0;
    out.found[t.name] = 0;
  }
  return out;
}

/** Every lock the threads' steps take or release. */
export function locksOf(threads: readonly ThreadDef<any>[]): Lock[] {
  const out = new Map<string, Lock>();
  for (const t of threads) for (const f of t.fns) for (const s of f.steps) if (s.lock) out.set(('acquire' in s.lock ? s.lock.acquire : s.lock.release).key, 'acquire' in s.lock ? s.lock.acquire : s.lock.release);
  return [...out.values()];
}

/** Every step event of the threads, `{ type: pc, thread }` (a step with answers: one per answer, `{ type: pc, thread, answer }`), in definition order. */
export function threadEvents(threads: readonly ThreadDef<any>[]): { type: string; thread: string; answer?: string }[] {
  const out: { type: string; thread: string; answer?: string }[] = [];
  for (const t of threads) {
    const seen = new Set<string>();
    for (const f of t.fns) {
      for (const s of f.steps) {
        const pc = pcOf(f.name, s.at);
        if (!seen.has(pc)) {
          if (s.answers?.length) for (const answer of s.answers) out.push({ type: pc, thread: t.name, answer });
          else out.push({ type: pc, thread: t.name });
        }
        seen.add(pc);
      }
    }
  }
  return out;
}

/** The event catalogue entries of the threads' steps: actor, the C they cite, fair (a running thread keeps running). */
export function threadEventInfo(threads: readonly ThreadDef<any>[]): Record<string, EventInfo> {
  const out: Record<string, EventInfo> = {};
  for (const t of threads) for (const f of t.fns) for (const s of f.steps) out[pcOf(f.name, s.at)] = { actor: t.actor, cite: s.cite ?? f.cite, fair: true };
  return out;
}

/** Turns the dropping of dead locals off (`on = false`), for the differential test; read when a step fires. */
export const localScoping = { on: true };

/** A read of a local a step does not declare in `uses` (thrown while the footprint verification runs). */
export class UndeclaredLocalError extends Error {
  override name = 'FootprintError';
}

/** What the footprint verification checks of one step's reads of its locals: its `uses`, and the keys it wrote so far. */
interface LocalUses {
  pc: string;
  uses: ReadonlySet<string>;
  written: Set<string>;
}

/** `local` checked against the step's `uses`: a read of a key neither declared nor written earlier in the step fails. */
function checkedLocals(local: Locals, u: LocalUses): Locals {
  const bad = (what: string) => {
    throw new UndeclaredLocalError(`kthread step ${u.pc} ${what}, outside its declared uses [${[...u.uses].join(', ')}]`);
  };
  return new Proxy(local, {
    get(t, k, r) {
      if (typeof k === 'string' && !u.uses.has(k) && !u.written.has(k)) bad(`reads local ${k}`);
      return Reflect.get(t, k, r);
    },
    has(t, k) {
      if (typeof k === 'string' && !u.uses.has(k) && !u.written.has(k)) bad(`tests local ${k}`);
      return Reflect.has(t, k);
    },
    ownKeys(t) {
      bad('lists its locals');
      return Reflect.ownKeys(t);
    },
    set(t, k, v, r) {
      if (typeof k === 'string') u.written.add(k);
      return Reflect.set(t, k, v, r);
    },
    deleteProperty(t, k) {
      if (typeof k === 'string') u.written.add(k);
      return Reflect.deleteProperty(t, k);
    },
  });
}

/**
 * A ghost's copy of a step's locals before its body: the keys it declares in `uses` (all without a
 * declaration). While the footprint verification runs, reading another key of the copy throws.
 */
export function localsBefore(uses: readonly string[] | undefined, l: Locals, pc = 'a ghosted step'): Locals {
  if (!uses) return { ...l };
  const out: Locals = {};
  for (const k of uses) if (k in l) out[k] = l[k]!;
  if (!probe.wrap) return out;
  return new Proxy(out, {
    get(t, k, r) {
      if (typeof k === 'string' && !uses.includes(k)) throw new UndeclaredLocalError(`the ghost of ${pc} reads local ${k} as it was before the step, outside the step's declared uses [${uses.join(', ')}]`);
      return Reflect.get(t, k, r);
    },
    ownKeys() {
      throw new UndeclaredLocalError(`the ghost of ${pc} lists the locals as they were before the step; read only the declared uses [${uses.join(', ')}]`);
    },
  });
}

/** A step's view of its thread (a class: no closure built per step). */
class StepView<C extends KContext> implements ThreadView {
  readonly local: Locals;
  constructor(
    private readonly c: C,
    readonly me: string,
    readonly ix: Readonly<Record<string, number>>,
    readonly answer: string | undefined,
    uses?: LocalUses,
  ) {
    const l = c.threads!.locals[me] ?? {};
    this.local = uses ? checkedLocals(l, uses) : l;
  }
  report(bit: number): void {
    const found = this.c.threads!.found;
    found[this.me] = (found[this.me] ?? 0) | bit;
  }
}

/** The events a step raises, collected (a class: no closure built per step). */
class Raised implements Raise {
  constructor(private readonly out: { type: string }[]) {}
  raise(event: { type: string }): void {
    this.out.push(event);
  }
}

const holder = (st: LockState | undefined, me: string, mode: 'read' | 'write'): boolean =>
  st !== null && st !== undefined && (typeof st === 'string' ? st === me : mode === 'read' ? st.r.includes(me) || st.w === me : st.w === me || st.r.includes(me));
const free = (st: LockState | undefined, mode: 'read' | 'write'): boolean =>
  st === null || (typeof st === 'object' && st !== undefined && st.w === null && (mode === 'read' || st.r.length === 0));

function holdsSpinlock(threads: ThreadsContext, me: string, spin: ReadonlySet<string>): boolean {
  for (const k of threads.held[me] ?? []) if (spin.has(k)) return true;
  return false;
}

/** Plain deep copy of a JSON-like value. */
export function cloneDeep<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneDeep) as T;
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = cloneDeep((v as Record<string, unknown>)[k]);
  return out as T;
}

/** The parts of a context a step's copy makes fresh: its declared write paths as a trie (`star`: '*', already merged into each named key). */
interface CowNode {
  /** a path ends here: the whole subtree is copied */
  all: boolean;
  keys: string[];
  kids: CowNode[];
  star: CowNode | undefined;
}

const cowNode = (): CowNode => ({ all: false, keys: [], kids: [], star: undefined });

function cowKid(n: CowNode, key: string): CowNode {
  const i = n.keys.indexOf(key);
  if (i >= 0) return n.kids[i]!;
  n.keys.push(key);
  n.kids.push(cowNode());
  return n.kids[n.kids.length - 1]!;
}

/** `into` extended by what `n` asks for. */
function cowMerge(into: CowNode, n: CowNode): CowNode {
  into.all ||= n.all;
  n.keys.forEach((k, i) => cowMerge(cowKid(into, k), n.kids[i]!));
  if (n.star) cowMerge((into.star ??= cowNode()), n.star);
  return into;
}

/** The trie of `paths`, each named key's node also holding what '*' at its level asks for. */
export function cowTrie(paths: readonly Path[]): CowNode {
  const root = cowNode();
  for (const p of paths) {
    let n = root;
    for (const k of p) n = k === '*' ? (n.star ??= cowNode()) : cowKid(n, String(k));
    n.all = true;
  }
  const fold = (n: CowNode): CowNode => {
    const out = cowNode();
    out.all = n.all;
    if (n.star) out.star = fold(n.star);
    n.keys.forEach((k, i) => {
      out.keys.push(k);
      out.kids.push(fold(n.star ? cowMerge(cowMerge(cowNode(), n.kids[i]!), n.star) : n.kids[i]!));
    });
    return out;
  };
  return fold(root);
}

/** `v` copied along the trie (a path's end deep-copied), every other part shared with `v`. */
export function cowCopy<T>(v: T, n: CowNode): T {
  if (n.all) return cloneDeep(v);
  if (v === null || typeof v !== 'object') return v;
  const { keys, kids, star } = n;
  if (Array.isArray(v)) {
    const out = v.slice();
    if (star) for (let i = 0; i < out.length; i++) out[i] = cowCopy(out[i], kids[keys.indexOf(String(i))] ?? star);
    else for (let i = 0; i < keys.length; i++) if (keys[i]! in out) out[keys[i] as unknown as number] = cowCopy(out[keys[i] as unknown as number], kids[i]!);
    return out as T;
  }
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  if (star) for (const k in out) out[k] = cowCopy(out[k], kids[keys.indexOf(k)] ?? star);
  else for (let i = 0; i < keys.length; i++) if (keys[i]! in out) out[keys[i]!] = cowCopy(out[keys[i]!], kids[i]!);
  return out as T;
}

/** `copy` with every sub-object equal to the one in `orig` replaced by it (orig itself when nothing changed). */
export function shareDeep<T>(orig: T, copy: T): T {
  if (orig === copy || copy === null || typeof copy !== 'object' || orig === null || typeof orig !== 'object') return copy;
  if (Array.isArray(copy)) {
    const o = orig as unknown as unknown[];
    if (!Array.isArray(o)) return copy;
    let same = o.length === copy.length;
    for (let i = 0; i < copy.length; i++) {
      const x = copy[i];
      const y = o[i];
      if (x === y) continue;
      const z = shareDeep(y, x);
      if (z !== x) copy[i] = z;
      if (z !== y) same = false;
    }
    return same ? orig : copy;
  }
  if (Array.isArray(orig)) return copy;
  const o = orig as Record<string, unknown>;
  const c = copy as Record<string, unknown>;
  let same = true;
  let n = 0;
  for (const k in c) {
    n++;
    const x = c[k];
    const y = o[k];
    if (x === y) {
      if (x === undefined && !(k in o)) same = false;
      continue;
    }
    const z = shareDeep(y, x);
    if (z !== x) c[k] = z;
    if (z !== y) same = false;
  }
  if (same) for (const _ in o) n--;
  return same && n === 0 ? orig : copy;
}

/**
 * Per program counter of `fn`, the locals live there: read (`Step.uses`) on some path from it
 * before a step that sets it on every execution (`Step.sets`) or the function's return;
 * undefined: every local (a step on such a path declares no `uses`). The usual backward
 * analysis: live(s) = uses(s) + (live after s - sets(s)), to a fixpoint over the loops.
 */
export function localsLive<C>(fn: KFunction<C>): Map<string, ReadonlySet<string> | undefined> {
  const pcs = fn.steps.map((s) => pcOf(fn.name, s.at));
  const succ = fn.steps.map((s, k) => {
    const gotos = typeof s.next === 'string' ? [s.next] : s.next ? s.next.map((b) => b.goto) : [k + 1 < pcs.length ? pcs[k + 1]! : 'return'];
    return gotos.filter((g) => g !== 'return').map((g) => pcs.indexOf(pcOf(fn.name, g))).filter((i) => i >= 0);
  });
  const live: (Set<string> | undefined)[] = fn.steps.map((s) => (s.uses ? new Set(s.uses) : undefined));
  for (let changed = true; changed; ) {
    changed = false;
    fn.steps.forEach((s, k) => {
      let l = live[k];
      if (!l) return;
      for (const j of succ[k]!) {
        const m = live[j];
        if (!m) {
          live[k] = l = undefined;
          changed = true;
          return;
        }
        for (const x of m) if (!l.has(x) && !s.sets?.includes(x)) (l.add(x), (changed = true));
      }
    });
  }
  return new Map(pcs.map((pc, k) => [pc, live[k]]));
}

/** On a thread region's config object (a symbol: no export sees it): some step of the thread drops locals (`uses` declared). */
export const SCOPED_LOCALS = Symbol('kthread scoped locals');

/**
 * The region of one thread: `idle`, one state per program counter a step starts from, and
 * `BUG`. Put it under the parallel root of the machine (the key should be `def.name`).
 */
export function threadRegion<C extends KContext>(def: ThreadDef<C>, world: ThreadWorld = threadWorld([def])): Record<string, unknown> {
  const me = def.name;
  const ix = def.ix ?? {};
  const states: Record<string, { id?: string; description?: string; on: Record<string, unknown[]> }> = {
    idle: { id: idleId(me), description: `${me} runs none of ${def.fns.map((f) => f.name).join(', ')}`, on: {} },
  };
  const add = (pc: string, from: string, transitions: unknown[]) => {
    states[from] ??= { on: {} };
    (states[from]!.on[pc] ??= []).push(...transitions);
  };
  const targets = new Set<string>();
  let scopedLocals = false;
  for (const fn of def.fns) {
    const pcs = fn.steps.map((s) => pcOf(fn.name, s.at));
    if (new Set(pcs).size !== pcs.length) throw new Error(`kthread ${me}: function ${fn.name} has two steps at the same program counter`);
    const resolve = (goto: string): string => {
      if (goto === 'return') return def.once ? 'done' : 'idle';
      const pc = pcOf(fn.name, goto);
      if (!pcs.includes(pc)) throw new Error(`kthread ${me}: ${fn.name} jumps to unknown label '${goto}' (labels: ${pcs.join(', ')}, return)`);
      return pc;
    };
    const live = localsLive(fn);
    if ([...live.values()].some((l) => l !== undefined)) scopedLocals = true;
    fn.steps.forEach((s, k) => {
      const pc = pcs[k]!;
      if (pc.includes('.')) throw new Error(`kthread ${me}: program counter '${pc}' contains '.', xstate's path separator; name the field by its member (alert_mask for alert.mask)`);
      const branches: readonly Branch<C>[] = typeof s.next === 'string' ? [{ goto: s.next }] : s.next ?? [{ goto: k + 1 < fn.steps.length ? pcs[k + 1]! : 'return' }];
      // the event's enabledness must not depend on what the effect does: some branch is always taken
      if (!branches.length || branches[branches.length - 1]!.if) throw new Error(`kthread ${me}: the last branch of ${pc} has a condition; make it unconditional (the step is enabled by its pc, lock and when alone)`);
      const transitions = stepTransitions(def, fn, s, pc, branches.map((b) => ({ ...b, to: resolve(b.goto) })), ix, world, live);
      for (const b of branches) if (b.goto !== 'return') targets.add(resolve(b.goto));
      if (k === 0) add(pc, 'idle', transitions);
      states[pc] ??= { on: {} };
      states[pc]!.on[pc] = transitions;
    });
    // a function's first statement has a state of its own only when a step jumps back to it
    if (!targets.has(pcs[0]!)) delete states[pcs[0]!];
  }
  // every thread has `done` (reached only by a `once` thread), so waitsFor can test idle-or-done by id
  if (def.once) states.done = { id: doneId(me), description: `${me} made its call and returned`, on: {} };
  states.BUG = { description: `${me} broke a locking rule (LOCK_FAULT) and stopped`, on: {} };
  return { initial: 'idle', states, ...(scopedLocals ? { [SCOPED_LOCALS]: true } : {}) };
}

/** The keys of the spinlocks the threads take. */
export function spinlockKeys(threads: readonly ThreadDef<any>[]): Set<string> {
  return new Set(locksOf(threads).filter((l) => l.kind === 'spinlock').map((l) => l.key));
}

/** What a thread's steps need to know of the other threads of the machine: the spinlocks, the `once` threads. */
export interface ThreadWorld {
  spinlocks: ReadonlySet<string>;
  once: ReadonlySet<string>;
}

/** The world of these threads (pass it to `threadRegion` for each of them). */
export function threadWorld(threads: readonly ThreadDef<any>[]): ThreadWorld {
  return { spinlocks: spinlockKeys(threads), once: new Set(threads.filter((t) => t.once).map((t) => t.name)) };
}

interface ResolvedBranch<C> extends Branch<C> {
  to: string;
}

/** The xstate transitions of one step: its fault transitions first, then one per branch. */
function stepTransitions<C extends KContext>(def: ThreadDef<C>, fn: KFunction<C>, s: Step<C>, pc: string, branches: ResolvedBranch<C>[], ix: Readonly<Record<string, number>>, world: ThreadWorld, live: ReadonlyMap<string, ReadonlySet<string> | undefined>): unknown[] {
  const spin = world.spinlocks;
  // a thread that takes no lock cannot return holding one: no such fault transition
  const takesLocks = def.fns.some((f) => f.steps.some((x) => x.lock && 'acquire' in x.lock));
  const me = def.name;
  const op = s.lock;
  const lock = op ? ('acquire' in op ? op.acquire : op.release) : undefined;
  const mode = op?.mode ?? 'write';
  const sleeps = !!s.sleeps || (!!op && 'acquire' in op && op.acquire.kind !== 'spinlock');
  const own: Path[] = [localsPath(me), heldPath(me)];
  const writes: Path[] = [localsPath(me), ...(s.writes ?? []), ...(s.reports ? [foundPath(me)] : [])];
  // every branch's guard runs the whole effect (what it reads, and what it writes on any branch)
  const reads: Path[] = [...own, ...(s.reads ?? []), ...writes];
  // whether the step's event is enabled: its pc (a state region), its lock, its `when`
  const enables: Path[] = [heldPath(me), ...(s.when ? s.reads ?? [] : [])];
  if (lock) {
    reads.push(lockPath(lock));
    writes.push(lockPath(lock), heldPath(me));
    enables.push(lockPath(lock));
  }
  const uses = s.uses ? new Set(s.uses) : undefined;
  if (s.sets && !uses) throw new Error(`kthread ${me}: ${pc} declares the locals it sets but not those it uses; declare both`);
  // under the footprint verification: the keys the step's effect on this copy wrote (its branch conditions may read them)
  let usesOf: { c: unknown; u: LocalUses } | undefined;
  const view = (c: C, answer?: string, u?: LocalUses): ThreadView => new StepView(c, me, ix, answer, u ?? (uses && probe.wrap ? { pc, uses, written: new Set() } : undefined));
  const when = s.when;
  const answers = s.answers?.length ? s.answers : undefined;
  for (const t of s.after ?? []) if (!world.once.has(t)) throw new Error(`kthread ${me}: ${pc} runs after ${t}, which is not a once thread of this machine`);
  const waits = [
    ...(s.waitsFor ?? []).map((t) => (world.once.has(t) ? or([stateIn('#' + idleId(t)), stateIn('#' + doneId(t))]) : stateIn('#' + idleId(t)))),
    ...(s.after ?? []).map((t) => stateIn('#' + doneId(t))),
  ];
  const ret = def.once ? 'done' : 'idle';
  const meta = (kind: 'step' | 'fault', fp: Footprint) => ({ actor: def.actor, thread: me, pc, kind, footprint: fp });
  // the event's own fields only (compile.ts `rejects` sees an event of another thread, or an answer the step does not give, refused before the context)
  const mine = (e: { thread?: unknown; answer?: unknown }) => e.thread === me && (!answers || answers.includes(e.answer as string));
  const answerOf = (e: object): string | undefined => (answers ? ((e as { answer?: string }).answer) : undefined);
  const guarded = (g: (args: { context: C; event: { thread?: unknown } }) => boolean): unknown => (waits.length ? and([g as never, ...waits]) : g);

  // the faults this step can commit in a state, as LOCK_FAULT bits (0: none)
  const faultsAt = (c: C): number => {
    probe.phase?.('enables');
    const th = c.threads!;
    let f = 0;
    if (op && lock) {
      const st = th.locks[lock.key];
      if ('acquire' in op && holder(st, me, mode)) f |= LOCK_FAULT.DOUBLE_ACQUIRE;
      if ('release' in op && !holder(st, me, mode)) f |= LOCK_FAULT.RELEASE_NOT_OWNER;
    }
    if (sleeps && holdsSpinlock(th, me, spin)) f |= LOCK_FAULT.SLEEP_UNDER_SPINLOCK;
    probe.phase?.('');
    return f;
  };
  const available = (c: C): boolean => {
    probe.phase?.('enables');
    const ok = !op || !lock || !('acquire' in op) || free(c.threads!.locks[lock.key], mode);
    probe.phase?.('');
    return ok;
  };
  const whenHolds = (c: C): boolean => {
    if (!when) return true;
    probe.phase?.('enables');
    const ok = when(c, view(c));
    probe.phase?.('');
    return ok;
  };

  // the step's effect on a copy (for the event's answer), cached for the guards of its branches and its action
  let cacheIn: unknown;
  let cacheAnswer: string | undefined;
  let cacheOut: { c: C; raised: { type: string }[] } | undefined;
  let cow: CowNode | undefined;
  // `consume`: the action takes the result (the copy becomes a stored context), so the next call computes afresh
  const effect = (context: C, consume = false, answer?: string): { c: C; raised: { type: string }[] } => {
    if (cacheIn === context && cacheAnswer === answer && cacheOut) {
      const hit = cacheOut;
      if (consume) cacheOut = undefined;
      return hit;
    }
    const raw = probe.unwrap(context) as C;
    let copy: C;
    let raised: { type: string }[];
    // the footprint verification (probe.wrap) and a mutant (which may write anywhere) run on a whole copy
    if (probe.wrap) {
      copy = cloneDeep(raw);
      usesOf = uses ? { c: copy, u: { pc, uses, written: new Set() } } : undefined;
      raised = apply(probe.wrap(copy), answer, usesOf?.u);
      for (const k of s.sets ?? []) if (!usesOf?.u.written.has(k)) throw new UndeclaredLocalError(`kthread step ${pc} declares it sets local ${k} on every execution, but this one did not write it`);
    }
    else if (mutating.active >= 0) raised = apply((copy = cloneDeep(raw)), answer);
    else {
      // copy on write: fresh objects along the declared writes only (test/check/footprints.test.ts
      // verifies them for every shipped variant), the rest shared with the stored context; where
      // stored contexts are frozen (a variant file's checking mode), a write the declaration
      // misses throws and the step runs again on a whole copy
      cow ??= cowTrie(writes);
      try {
        raised = apply((copy = cowCopy(raw, cow)), answer);
      } catch {
        raised = apply((copy = cloneDeep(raw)), answer);
      }
    }
    cacheIn = context;
    cacheAnswer = answer;
    cacheOut = consume ? undefined : { c: copy, raised };
    return { c: copy, raised };
  };
  // the lock bookkeeping and the step's own run, on `c` (the copy, or the verification's proxy of it)
  const apply = (c: C, answer: string | undefined, u?: LocalUses): { type: string }[] => {
    const raised: { type: string }[] = [];
    const t = view(c, answer, u);
    if (lock && op) {
      const th = c.threads!;
      const st = th.locks[lock.key];
      const held = th.held[me] ?? [];
      const hk = lock.kind === 'rwsem' && mode === 'read' ? `${lock.key}:r` : lock.key;
      if ('acquire' in op) {
        th.locks[lock.key] = typeof st === 'object' && st !== null ? (mode === 'read' ? { w: st.w, r: [...st.r, me].sort() } : { w: me, r: st.r }) : me;
        th.held[me] = [...held, hk];
      } else {
        th.locks[lock.key] = typeof st === 'object' && st !== null ? (mode === 'read' ? { w: st.w, r: st.r.filter((x) => x !== me) } : { w: null, r: st.r }) : null;
        th.held[me] = held.filter((x) => x !== hk);
      }
    }
    s.run?.(c, t, new Raised(raised));
    return raised;
  };
  const out: unknown[] = [];
  const bugs = faultBits(s, op);
  if (bugs) {
    out.push({
      guard: guarded(named(`BUG: ${faultNames(bugs)}`, ({ context, event }) => mine(event) && faultsAt(context) !== 0 && whenHolds(context))),
      target: 'BUG',
      actions: faultAction<C>((c) => faultsAt(c), me),
      meta: meta('fault', { reads, writes: [faultsPath(me)], enables }),
      description: s.cite ?? fn.cite,
    });
  }
  branches.forEach((b, i) => {
    const prior = branches.slice(0, i);
    const cond = (context: C, answer: string | undefined): boolean => {
      if (!b.if && prior.every((p) => !p.if)) return true;
      const raw = effect(context, false, answer).c;
      const post = probe.wrap ? probe.wrap(raw) : raw;
      const pv = view(post, answer, usesOf?.c === raw ? usesOf.u : undefined);
      return prior.every((p) => !p.if || !p.if(post, pv)) && (!b.if || b.if(post, pv));
    };
    const label = [lock && op && 'acquire' in op ? `${lock.short} free` : undefined, when ? when.name || 'when' : undefined, b.if ? b.label ?? (b.if.name || 'if') : undefined].filter(Boolean).join(' && ') || me;
    const bw: Path[] = b.writes ? [localsPath(me), ...(lock ? [lockPath(lock), heldPath(me)] : []), ...b.writes, ...(b.reports ? [foundPath(me)] : [])] : writes;
    const fp: Footprint = { reads, writes: bw, enables, ...(s.raises ? { raises: s.raises } : {}) };
    const base = (context: C, event: { thread?: unknown }) => mine(event) && faultsAt(context) === 0 && available(context) && whenHolds(context);
    if (b.to === ret && takesLocks) {
      // returning with a lock held breaks a rule: that branch goes to BUG instead
      out.push({
        guard: guarded(named(`BUG: ${faultNames(LOCK_FAULT.RETURN_HOLDING_LOCK)}`, ({ context, event }) => base(context, event) && cond(context, answerOf(event)) && effect(context, false, answerOf(event)).c.threads!.held[me]!.length > 0)),
        target: 'BUG',
        actions: faultAction<C>(() => LOCK_FAULT.RETURN_HOLDING_LOCK, me, effect, answerOf),
        meta: meta('fault', { reads, writes: [...bw, faultsPath(me)], enables, ...(s.raises ? { raises: s.raises } : {}) }),
        description: s.cite ?? fn.cite,
      });
    }
    out.push({
      guard: guarded(named(label, ({ context, event }) => base(context, event) && cond(context, answerOf(event)) && (b.to !== ret || !takesLocks || effect(context, false, answerOf(event)).c.threads!.held[me]!.length === 0))),
      target: b.to,
      actions: stepAction(effect, me, b.to === ret ? RETURNED : b.to === 'BUG' ? undefined : live.get(b.to), answerOf),
      meta: meta('step', fp),
      description: s.cite ?? fn.cite,
    });
  });
  return out;
}

/** The rules a step can break, as LOCK_FAULT bits, from its shape alone. */
function faultBits(s: { sleeps?: boolean }, op: LockOp | undefined): number {
  let f = 0;
  if (op && 'acquire' in op) f |= LOCK_FAULT.DOUBLE_ACQUIRE;
  if (op && 'release' in op) f |= LOCK_FAULT.RELEASE_NOT_OWNER;
  if (s.sleeps || (op && 'acquire' in op && op.acquire.kind !== 'spinlock')) f |= LOCK_FAULT.SLEEP_UNDER_SPINLOCK;
  return f;
}

function faultNames(bits: number): string {
  const names: Record<number, string> = { 1: 'double acquire', 2: 'release not owner', 4: 'sleep under spinlock', 8: 'return holding lock' };
  return Object.entries(names).filter(([b]) => bits & Number(b)).map(([, n]) => n).join(' or ');
}

function tag<T>(a: T): T {
  (a as Record<symbol, unknown>)[PROBED] = true;
  return a;
}

/** What is live after a return: nothing. */
const RETURNED: ReadonlySet<string> = new Set();

/** `l` without the keys outside `keep` (l itself when it has none). */
function scoped(l: Locals, keep: ReadonlySet<string>): Locals {
  let out: Locals | undefined;
  for (const k in l) {
    if (keep.has(k)) continue;
    out ??= { ...l };
    delete out[k];
  }
  return out ?? l;
}

/**
 * The action of a step: the effect computed for the guards (or now), the thread's locals not in
 * `live` (those live at the target; undefined: all) dropped, shared with the unchanged parts of
 * the context, then the raised events.
 */
function stepAction<C extends KContext>(effect: (c: C, consume?: boolean, answer?: string) => { c: C; raised: { type: string }[] }, me: string, live: ReadonlySet<string> | undefined, answerOf: (e: object) => string | undefined): unknown {
  return tag(
    enqueueActions(({ context, event, enqueue }) => {
      const { c, raised } = effect(context as C, true, answerOf(event));
      let next = c;
      // returning drops every local whether or not the scoping is on
      if (live && (localScoping.on || live === RETURNED)) {
        const l = c.threads!.locals[me] ?? {};
        const kept = scoped(l, live);
        if (kept !== l) next = { ...c, threads: { ...c.threads!, locals: { ...c.threads!.locals, [me]: kept } } };
      }
      const shared = shareDeep(probe.unwrap(context) as C, next);
      enqueue.assign(() => shared as never);
      for (const e of raised) enqueue.raise(e as never);
    }),
  );
}

/** The action of a fault transition: the rule's bit set in the thread's faults. */
function faultAction<C extends KContext>(bits: (c: C) => number, me: string, effect?: (c: C, consume?: boolean, answer?: string) => { c: C }, answerOf?: (e: object) => string | undefined): unknown {
  return tag(
    enqueueActions(({ context, event, enqueue }) => {
      const raw = probe.unwrap(context) as C;
      const f = bits(context as C);
      const base = effect ? effect(context as C, true, answerOf?.(event)).c : raw;
      const next = { ...base, threads: { ...base.threads!, faults: { ...base.threads!.faults, [me]: (raw.threads!.faults[me] ?? 0) | f } } };
      const shared = shareDeep(raw, next);
      enqueue.assign(() => shared as never);
    }),
  );
}

const faultInv = (name: string, bit: number, cite: string): Invariant<KContext> => ({
  name,
  cite,
  reads: { context: [['threads', 'faults']] },
  // a fault bit is set by the step that goes to BUG and never cleared
  stable: true,
  holds: ({ context }) => {
    const f = context.threads?.faults;
    if (!f) return true;
    for (const k in f) if (f[k]! & bit) return false;
    return true;
  },
});

/** The locking rules, each broken by the step that goes to BUG for it. */
export const NoDoubleAcquire = faultInv('NoDoubleAcquire', LOCK_FAULT.DOUBLE_ACQUIRE, 'Documentation/locking/mutex-design.rst and spinlocks.rst: a lock is not recursive; acquiring one the task holds deadlocks (lockdep: possible recursive locking detected)');
export const ReleaseOnlyByOwner = faultInv('ReleaseOnlyByOwner', LOCK_FAULT.RELEASE_NOT_OWNER, 'Documentation/locking/mutex-design.rst: only the owner can unlock the mutex; a lock must be released by the task that holds it');
export const NoSleepUnderSpinlock = faultInv('NoSleepUnderSpinlock', LOCK_FAULT.SLEEP_UNDER_SPINLOCK, 'Documentation/locking/locktypes.rst: spinlock_t critical sections must not sleep (might_sleep: BUG: sleeping function called from invalid context)');
export const NoReturnHoldingLock = faultInv('NoReturnHoldingLock', LOCK_FAULT.RETURN_HOLDING_LOCK, 'lockdep (kernel/locking/lockdep.c lockdep_sys_exit): no lock may be held when an entry point returns to user space or its caller');

export const lockInvariants: readonly Invariant<KContext>[] = [NoDoubleAcquire, ReleaseOnlyByOwner, NoSleepUnderSpinlock, NoReturnHoldingLock];

/** The threads with function `fn` of thread `thread` replaced by `edit(fn)`: how a race variant changes the code. */
export function editFunction<C>(threads: readonly ThreadDef<C>[], thread: string, fn: string, edit: (f: KFunction<C>) => KFunction<C>): ThreadDef<C>[] {
  let found = false;
  const out = threads.map((t) =>
    t.name !== thread
      ? t
      : {
          ...t,
          fns: t.fns.map((f) => {
            if (f.name !== fn) return f;
            found = true;
            return edit(f);
          }),
        },
  );
  if (!found) throw new Error(`editFunction: thread ${thread} runs no function ${fn}`);
  return out;
}

/**
 * `first; second;` becomes `second; first;` (two consecutive statements swapped, the usual
 * shape of an ordering bug): jumps to `first` now enter at `second`, `second` falls through
 * to `first`, and `first` continues where `second` did.
 */
export function swapStatements<C>(f: KFunction<C>, first: string, second: string): KFunction<C> {
  const pc = (at: string) => pcOf(f.name, at);
  const i = f.steps.findIndex((s) => pc(s.at) === pc(first));
  const j = f.steps.findIndex((s) => pc(s.at) === pc(second));
  if (i < 0 || j !== i + 1) throw new Error(`swapStatements: ${second} does not directly follow ${first} in ${f.name}`);
  const a = f.steps[i]!;
  const b = f.steps[j]!;
  if (typeof a.next === 'object' || typeof b.next === 'object') throw new Error(`swapStatements: ${first} or ${second} branches; swap only statements that fall through or jump`);
  const redirect = (g: string) => (pc(g) === pc(first) ? second : g);
  for (const s of f.steps) {
    const targets = s.next === undefined ? [] : typeof s.next === 'string' ? [s.next] : s.next.map((br) => br.goto);
    if (targets.some((g) => g !== 'return' && pc(g) === pc(second))) throw new Error(`swapStatements: ${f.name} jumps to ${second} from ${s.at}; swapping would change that path too`);
  }
  const steps = f.steps.map((s): Step<C> => {
    if (s.next === undefined) return s;
    if (typeof s.next === 'string') return { ...s, next: redirect(s.next) };
    return { ...s, next: s.next.map((br) => ({ ...br, goto: redirect(br.goto) })) };
  });
  // second falls through to first; first continues where second did
  steps[i] = { ...b, next: first };
  steps[j] = { ...a, next: b.next !== undefined ? redirect(b.next) : j + 1 < f.steps.length ? f.steps[j + 1]!.at : 'return' };
  return { ...f, steps };
}

/**
 * Whether no thread holds `lock` (a coarse configuration has no locks: always). An invariant
 * over data a lock protects holds whenever the lock is free; inside the critical section the
 * kernel updates the data in several steps (add ['threads', 'locks'] to the invariant's reads).
 */
export function lockFree(c: KContext, lock: Lock): boolean {
  const st = c.threads?.locks[lock.key];
  return st === undefined || st === null || (typeof st === 'object' && st.w === null && st.r.length === 0);
}
