// What a harness outside the package sees of the FLIC after each step (paths --format json and
// kselftest), read from the machine's state: the return value of the ioctl (context.last.rc),
// what a GET copied out (context.last.out; for GET_ALL_IRQS the ISCs it took from the GISA IPM,
// context.last.taken, and the classic I/O interruptions of the list, context.io), and the object.
import type { EventObject } from 'xstate';
import type { AbstractState, Observation } from '../../src/spec.ts';
import { E, MAX_ISC } from './kvm_s390_float_interrupt.bounds.ts';
import { iscBit, type FlicContext } from './kvm_s390_float_interrupt.machine.ts';

/** The context fields a harness compares after each step, in this order. */
export const FLIC_FIELDS = ['vcpus', 'fac72', 'pfault', 'adapters', 'ais', 'ipm', 'io'] as const;

const ERRNO_NAMES = new Map<number, string>(Object.entries(E).map(([name, rc]) => [rc, name]));

/** The ISCs of an IPM-style mask (0x80 >> isc), lowest ISC first: the order get_all_floating_irqs copies them. */
export const iscsOf = (mask: number): number[] => Array.from({ length: MAX_ISC + 1 }, (_, isc) => isc).filter((isc) => mask & iscBit(isc));

export function observeFlic(s: AbstractState<FlicContext>, event?: EventObject): Observation {
  const c = s.context;
  const fields: Record<string, unknown> = Object.fromEntries(FLIC_FIELDS.map((k) => [k, structuredClone(c[k])]));
  if (!event) return { state: String(s.value), fields };
  // kvm_s390_airq_suppressed fired during the step (trace-s390.h)
  fields.suppressed = c.last.suppressed;
  const o: Observation & { returns?: unknown } = { state: String(s.value), rc: c.last.rc };
  const errno = c.last.rc < 0 ? ERRNO_NAMES.get(c.last.rc) : undefined;
  if (errno) o.errno = errno;
  if (c.last.out) o.returns = { ais: [...c.last.out] };
  if (event.type === 'KVM_DEV_FLIC_GET_ALL_IRQS' && c.last.rc > 0) o.returns = { adapter: iscsOf(c.last.taken), io: c.io };
  return { ...o, fields };
}
