// The package's own harness for path files: each machine's transcription of the kernel code
// (src/sut/) driven by a path's events and observed in the vocabulary of the machine's
// `observe`, computed from the transcription's state, never from the machine. It is how the
// tests know a path file's predictions are right, and an example for a harness of one's own.
import type { EventObject } from 'xstate';
import type { Model, Observation } from '../spec.ts';
import { coreConformance } from '../sut/core.conformance.ts';
import type { CoreSut } from '../sut/core.ts';
import { ADDR, FlicSut } from '../sut/flic-driver.ts';
import { KVM_S390_INT_IO, type KvmS390Irq } from '../sut/flic.ts';
import { DirtyLogSut, observeSut, sutOptionsFor } from '../sut/dirty_log.conformance.ts';
import { VfioCcwSut, type CcwKernel } from '../sut/vfio_ccw.ts';
import { CONFIGURATIONS as FLIC_CONFIGURATIONS, SCHID } from '../../machines/flic-ais/kvm_s390_float_interrupt.bounds.ts';
import { FLIC_FIELDS } from '../../machines/flic-ais/kvm_s390_float_interrupt.observe.ts';
import { PAGES } from '../../machines/dirty-log/kvm_memory_slot.bounds.ts';
import { RETURNING } from '../../machines/dirty-log/kvm_memory_slot.observe.ts';
import { configurations as CCW_CONFIGURATIONS } from '../../machines/vfio-ccw/vfio_ccw_private.bounds.ts';
import { CCW_FIELDS } from '../../machines/vfio-ccw/vfio_ccw_private.observe.ts';

export interface Harness {
  /** A fresh system under test in the initial state. */
  create(): { apply(event: EventObject): void };
  /** What it shows after `event` (or initially), as the machine's `observe` says it. */
  observe(sut: unknown, event?: EventObject): Observation;
}

/** Linux errno names (include/uapi/asm-generic/errno-base.h, errno.h), for negative return values. */
const ERRNO: Readonly<Record<number, string>> = { 2: 'ENOENT', 6: 'ENXIO', 12: 'ENOMEM', 14: 'EFAULT', 16: 'EBUSY', 19: 'ENODEV', 22: 'EINVAL', 25: 'ENOTTY', 95: 'EOPNOTSUPP', 105: 'ENOBUFS' };
const withErrno = (rc: number): { rc: number; errno?: string } => (rc < 0 && ERRNO[-rc] ? { rc, errno: ERRNO[-rc]! } : { rc });
const pick = (o: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));

const CORE = new Set(['kvm_s390_gib', 'kvm_s390_gisa_interrupt', 'kvm_vcpu', 'vfio_ap_queue', 'ap_matrix_mdev', 'kvm', 'system']);

/** The harness for a model's machine, or undefined when the package has no transcription of it. */
export function harnessFor(model: Model): Harness | undefined {
  if (CORE.has(model.machineId)) {
    const c = coreConformance(model);
    return { create: () => c.create(model), observe: (sut) => ({ fields: c.observe(sut as CoreSut) as Record<string, unknown> }) };
  }
  if (model.machineId === 'kvm_s390_float_interrupt') {
    const params = FLIC_CONFIGURATIONS.find((c) => c.id === model.configurationId)?.params;
    if (!params) return undefined;
    return { create: () => new FlicSut(params), observe: (sut, event) => observeFlicSut(sut as FlicSut, event) };
  }
  if (model.machineId === 'kvm_memory_slot') {
    return { create: () => new DirtyLogSut(sutOptionsFor(model.variantId)), observe: (sut, event) => observeSlotSut(sut as DirtyLogSut, event) };
  }
  if (model.machineId === 'vfio_ccw_private') {
    const bounds = CCW_CONFIGURATIONS.find((c) => c.id === model.configurationId)?.bounds;
    if (!bounds) return undefined;
    return {
      create: () => new VfioCcwSut(model.variantId as CcwKernel, bounds.writers),
      observe: (sut) => {
        const o = (sut as VfioCcwSut).observe() as Record<string, unknown>;
        return { state: String(o.state), fields: pick(o, CCW_FIELDS) };
      },
    };
  }
  return undefined;
}

/** The FLIC transcription after an ioctl: its return value, what it copied to the user buffer, the kernel state. */
function observeFlicSut(sut: FlicSut, event?: EventObject): Observation {
  const o = sut.observe();
  const fields: Record<string, unknown> = pick(o as unknown as Record<string, unknown>, FLIC_FIELDS);
  if (!event) return { state: o.value, fields };
  fields.suppressed = o.suppressed;
  const rc = event.type === 'set_adapter_int' ? { rc: o.rc } : withErrno(o.rc);
  let returns: unknown;
  if (o.out) returns = { ais: o.out };
  if (event.type === 'KVM_DEV_FLIC_GET_ALL_IRQS' && o.rc > 0) {
    const buf = sut.user.read<KvmS390Irq[]>(ADDR) ?? [];
    const adapter = buf.filter((i) => i.type === KVM_S390_INT_IO(1, 0, 0, 0)).map((i) => (i.io!.io_int_word & 0x38000000) >>> 27);
    const io = buf.filter((i) => i.io && ((i.io.subchannel_id << 16) | i.io.subchannel_nr) >>> 0 === SCHID).length;
    const other = buf.length - adapter.length - io;
    returns = { adapter, io, ...(other ? { other } : {}) };
  }
  return { state: o.value, ...rc, ...(returns === undefined ? {} : { returns }), fields };
}

/** The dirty-log transcription: the return value once an ioctl has returned, and per tracked page what the kernel and userspace hold. */
function observeSlotSut(sut: DirtyLogSut, event?: EventObject): Observation {
  const o = observeSut(sut);
  const fields = { mode: o.mode, pages: o.pages.map((p, i) => ({ gfn: PAGES[i]!, ...p })) };
  if (!event || !RETURNING.includes(event.type) || sut.tool.inflight) return { state: o.state, fields };
  return { state: o.state, ...withErrno(o.rc), fields };
}
