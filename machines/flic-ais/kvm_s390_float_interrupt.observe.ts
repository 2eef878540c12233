// What a harness outside the package sees of the FLIC after each step (paths --format json and
// kselftest), read from the machine's state: the return value of the ioctl (context.last.rc),
// what a GET copied out (KVM_DEV_FLIC_AISM_ALL: the modes, context.last.out; KVM_DEV_FLIC_GET_ALL_IRQS:
// the interruptions in the kernel's order, context.last.got), and the object.
import type { EventObject } from 'xstate';
import type { AbstractState, Observation } from '../../src/spec.ts';
import { E, MAX_ISC } from './kvm_s390_float_interrupt.bounds.ts';
import { iscBit, type FlicContext } from './kvm_s390_float_interrupt.machine.ts';

/** The context fields a harness compares after each step, in this order. */
export const FLIC_FIELDS = ['vcpus', 'fac72', 'pfault', 'apf', 'adapters', 'ais', 'ipm', 'list', 'service', 'mchk'] as const;

const ERRNO_NAMES = new Map<number, string>(Object.entries(E).map(([name, rc]) => [rc, name]));

/** The ISCs of an IPM-style mask (0x80 >> isc), lowest ISC first: the order get_all_floating_irqs copies them. */
export const iscsOf = (mask: number): number[] => Array.from({ length: MAX_ISC + 1 }, (_, isc) => isc).filter((isc) => mask & iscBit(isc));

export function observeFlic(s: AbstractState<FlicContext>, event?: EventObject): Observation {
  const c = s.context;
  const fields: Record<string, unknown> = Object.fromEntries(FLIC_FIELDS.map((k) => [k, structuredClone(c[k])]));
  if (!event) return { state: String(s.value), fields };
  // kvm_s390_airq_suppressed fired during the step (trace-s390.h)
  fields.suppressed = c.last.suppressed;
  const o: Observation = { state: String(s.value), rc: c.last.rc };
  // set_adapter_int's -1 is "not injected due to error", not an errno
  const errno = c.last.rc < 0 && event.type !== 'set_adapter_int' ? ERRNO_NAMES.get(c.last.rc) : undefined;
  if (errno) o.errno = errno;
  if (c.last.out) o.returns = { ais: [...c.last.out] };
  if (event.type === 'KVM_DEV_FLIC_GET_ALL_IRQS' && c.last.got && c.last.rc > 0) o.returns = { irqs: [...c.last.got] };
  return { ...o, fields };
}
