// Helpers shared by the machine files: mutable-copy context updates (so the kernel
// functions read like the C they mirror), event typing, settle events, and transition meta.
import { assign, enqueueActions, raise, type EventObject } from 'xstate';
import type { Actor, EventInfo } from '../src/spec.ts';
import type { KvmContext, QueueContext, SystemContext } from './context.ts';
import { probe, PROBED } from '../src/check/probe.ts';

/** Every event of the core spec: a type plus small integer or string payload fields. */
export interface SpecEvent extends EventObject {
  type: string;
  vm?: number;
  vcpu?: number;
  q?: number;
  isc?: number;
  ir?: number;
  outcome?: string;
  /** The AP's answers (vfio_ap_queue apAnswers configurations): ZAPQ, TAPQ, how AQIC ir=0 ended. */
  zapq?: string;
  tapq?: string;
  off?: string;
  host?: string;
  /** The CR6 ISC mask the guest loads (LCTL_CR6). */
  cr6?: number;
  /** The thread region a step event belongs to (machines/kthread.ts). */
  thread?: string;
}

/** Index parameters of a named guard or action: which VM, vcpu or queue it is about. */
export interface Ix {
  vm?: number;
  vcpu?: number;
  q?: number;
}

export interface Args {
  context: SystemContext;
  event: SpecEvent;
}

/**
 * A guard of the core machines (per-object and composed: their context is the composed
 * guest's SystemContext). A FLIC, vfio-ccw or dirty-log machine has its own context, so a
 * core guard or action (`kernel`, `update`) given to one of them does not type-check.
 */
export type CoreGuard = (args: Args, params: Ix) => boolean;
/** An action of the core machines, as `kernel` and `update` make them. */
export type CoreAction = (args: Args, params: Ix) => void;

/** A copy of the context that a kernel function may mutate (arrays and records are fresh). */
export function cloneContext(c: SystemContext): SystemContext {
  // loops, not map() with a callback, and no spread of a conditional record: this runs on every step of the explorer
  const vms = c.vms.slice();
  for (let i = 0; i < vms.length; i++) vms[i] = cloneKvm(vms[i]!);
  const queues = c.queues.slice();
  for (let i = 0; i < queues.length; i++) queues[i] = { ...queues[i]! };
  const out: SystemContext = { params: c.params, airqs: c.airqs, gib: { ...c.gib }, vms, mdev: { ...c.mdev }, queues };
  // fine-grained configurations: locks and thread locals, copied by the kthread steps that change them
  if (c.threads) out.threads = c.threads;
  return out;
}

function cloneKvm(k: KvmContext): KvmContext {
  const vcpus = k.vcpus.slice();
  for (let i = 0; i < vcpus.length; i++) vcpus[i] = { ...vcpus[i]! };
  return { ...k, gisa: { ...k.gisa, ref: k.gisa.ref.slice() }, vcpus };
}

/**
 * `copy` (a cloneContext of `orig` that a kernel function changed) with every record and
 * array it left equal replaced by the original one: what a copy-on-write of the touched parts
 * would give, so contexts share what a step did not change (the checker compares and stores less).
 */
export function shareUnchanged(orig: SystemContext, copy: SystemContext): SystemContext {
  const gib = shareRecord(orig.gib, copy.gib);
  const vms = shareList(orig.vms, copy.vms, shareKvm);
  const mdev = shareRecord(orig.mdev, copy.mdev);
  const queues = shareList(orig.queues, copy.queues, shareRecord);
  if (gib === orig.gib && vms === orig.vms && mdev === orig.mdev && queues === orig.queues && copy.params === orig.params && copy.airqs === orig.airqs && keys(copy) === keys(orig)) return orig;
  copy.gib = gib;
  copy.vms = vms;
  copy.mdev = mdev;
  copy.queues = queues;
  return copy;
}

function shareKvm(orig: KvmContext, copy: KvmContext): KvmContext {
  copy.gisa.ref = shareNumbers(orig.gisa.ref, copy.gisa.ref);
  const gisa = shareRecord(orig.gisa, copy.gisa);
  const vcpus = shareList(orig.vcpus, copy.vcpus, shareRecord);
  copy.gisa = gisa;
  copy.vcpus = vcpus;
  return shareRecord(orig, copy);
}

/** `orig` if the array of numbers `copy` has its length and items, else `copy` (shareList for numbers, without a callback). */
function shareNumbers(orig: number[], copy: number[]): number[] {
  if (orig.length !== copy.length) return copy;
  for (let i = 0; i < copy.length; i++) if (orig[i] !== copy[i]) return copy;
  return orig;
}

/** `orig` if the shallow copy `copy` still has the same own values under the same keys, else `copy`. */
function shareRecord<T extends object>(orig: T, copy: T): T {
  let n = 0;
  for (const k in copy) {
    if (copy[k] !== orig[k]) return copy;
    n++;
  }
  return n === keys(orig) ? orig : copy;
}

/** `orig` if every item of `copy` shares to the same item (each item replaced by its shared one), else `copy`. */
function shareList<T>(orig: T[], copy: T[], share: (a: T, b: T) => T): T[] {
  let all = orig.length === copy.length;
  for (let i = 0; i < copy.length; i++) {
    const a = orig[i];
    const b = a === undefined ? copy[i]! : share(a, copy[i]!);
    copy[i] = b;
    if (b !== a) all = false;
  }
  return all ? orig : copy;
}

function keys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** Side effects an update asks for besides the new context: internal events to raise. */
export interface Effects {
  raise(event: SpecEvent): void;
}

/** The events a kernel function raised (a class: no closure built per call). */
class Raised implements Effects {
  readonly events: SpecEvent[] = [];
  raise(event: SpecEvent): void {
    this.events.push(event);
  }
}

export type KernelFn = (c: SystemContext, event: SpecEvent, ix: Ix, fx: Effects) => void;

/**
 * An action that runs a kernel function on a mutable copy of the context and raises the
 * internal events it asks for (a GISA alert to the GIB, a vcpu wakeup, kvm_destroy_vm).
 */
export function kernel(fn: KernelFn): CoreAction {
  // xstate's own action type cannot follow regions built from data: typed as CoreAction instead
  return brand(enqueueActions(({ context, event, enqueue }, ix: Ix) => {
    const c = cloneContext(context as SystemContext);
    const fx = new Raised();
    fn(probe.wrap ? probe.wrap(c) : c, event as SpecEvent, ix ?? {}, fx);
    const shared = shareUnchanged(context as SystemContext, c);
    enqueue.assign(() => shared);
    for (const e of fx.events) enqueue.raise(e);
  }));
}

/** A pure context update without raised events. */
export function update(fn: (c: SystemContext, event: SpecEvent, ix: Ix) => void): CoreAction {
  return brand(
    assign(({ context, event }, ix: Ix) => {
      const c = cloneContext(context as SystemContext);
      fn(probe.wrap ? probe.wrap(c) : c, event as SpecEvent, ix ?? {});
      return shareUnchanged(context as SystemContext, c);
    }),
  );
}

const CORE = Symbol('core action');

/**
 * Marks an action made by `kernel` or `update`, so a variant file that gives one to a machine with
 * another context is told so, and so the footprint verification knows its kernel function runs
 * through `probe` (it can see the function's reads).
 */
function brand(action: unknown): CoreAction {
  (action as { [CORE]?: true })[CORE] = true;
  (action as Record<symbol, unknown>)[PROBED] = true;
  return action as CoreAction;
}

/** The action was made by `kernel` or `update` (it works on SystemContext). */
export const isCoreAction = (action: unknown): boolean => typeof action === 'function' && (action as { [CORE]?: true })[CORE] === true;

/**
 * The settle event of a region whose state mirrors kernel data (`q0`, `vm0.vcpu1`, `gib`).
 * A transition whose next state depends on what its kernel function did raises it after the
 * function (`actions: [a('handle_pqap', ix), settle('q0')]`) and names no target of its own;
 * the region's handlers for the settle event, guarded by the context the function left, move
 * it in the same macrostep. So a variant that changes what a function does needs no guard
 * change: the state follows the data.
 */
export const settleEvent = (region: string): SpecEvent => ({ type: `settle.${region}` });

/** The action that raises a region's settle event after the transition's kernel function. */
export const settle = (region: string): { type: 'settle'; params: SpecEvent } => ({ type: 'settle', params: settleEvent(region) });

/** The implementation of `settle` in every core machine's setup(): raises its params, the event. */
export const settleAction = brand(raise((_: unknown, event: SpecEvent) => event));

export function vmOf(c: SystemContext, vm: number): KvmContext {
  const k = c.vms[vm];
  if (!k) throw new Error(`no VM ${vm}`);
  return k;
}

export function queueOf(c: SystemContext, q: number): QueueContext {
  const x = c.queues[q];
  if (!x) throw new Error(`no queue ${q}`);
  return x;
}

/** Transition meta: who causes the event. */
export function by(actor: Actor): { meta: { actor: Actor } } {
  return { meta: { actor } };
}

/** Event catalogue entry. */
export function ev(actor: Actor, cite: string, fair = false): EventInfo {
  return fair ? { actor, cite, fair } : { actor, cite };
}

/** Guard on the event's index field matching this region's index. */
export const isMine = (event: SpecEvent, ix: Ix): boolean =>
  (ix.vm === undefined || event.vm === ix.vm) &&
  (ix.vcpu === undefined || event.vcpu === ix.vcpu) &&
  (ix.q === undefined || event.q === ix.q);

/** Lowest set ISC of an IPM-style mask (highest priority: ISC 0 is bit 0x80). */
export function topIsc(mask: number): number {
  for (let isc = 0; isc <= 7; isc++) if (mask & (0x80 >> isc)) return isc;
  return -1;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
