// The kernel audits of the FLIC, vfio-ccw and dirty-log machines (issue 13): no problems (every
// name the machine uses is listed, every `by` names something it uses, nothing ignored writes a
// modelled field) and no gaps. The generic test/audit.test.ts will subsume this file.
// Also issue 13's "each new property has a planted bug that breaks it": every property of these
// machines is expected violated by some variant, but the reviewed list below.
import { describe, expect, it } from 'vitest';
import { auditGaps, auditProblems, machineNames } from '../../src/audit.ts';
import { kvmMemorySlotSpec } from '../../machines/dirty-log/kvm_memory_slot.variants.ts';
import { flicSpec } from '../../machines/flic-ais/index.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import { variantConfigurations, type MachineSpec } from '../../src/spec.ts';

/** Over every variant in every configuration it belongs to: the names its machine uses, its properties, and the ones some variant expects violated. */
function survey(spec: MachineSpec): { names: Set<string>; properties: Set<string>; broken: Set<string> } {
  const out = { names: new Set<string>(), properties: new Set<string>(), broken: new Set<string>() };
  for (const v of spec.variants) {
    for (const c of variantConfigurations(spec, v)) {
      const m = spec.model(v.id, c);
      for (const n of machineNames(m.machine)) out.names.add(n);
      for (const p of [...m.invariants, ...m.liveness]) out.properties.add(p.name);
      for (const p of m.expectedViolations) out.broken.add(p);
    }
  }
  return out;
}

// The properties no variant breaks, each with the reason (machines/<area>/README.md says the same).
const UNBROKEN: Readonly<Record<string, readonly string[]>> = {
  kvm_s390_float_interrupt: [],
  // TypeOK: kept by construction (cp_free clears the ownership bookkeeping; the types refuse the rest);
  // NoSleepUnderSpinlock: no spinlock among the thread steps (sch->lock is inside the atomic FSM handlers)
  vfio_ccw_private: ['TypeOK', 'NoSleepUnderSpinlock'],
  // TypeOK: as above
  kvm_memory_slot: ['TypeOK'],
};

describe('kernel audits of the FLIC, vfio-ccw and dirty-log machines', () => {
  for (const spec of [flicSpec, vfioCcwPrivate, kvmMemorySlotSpec]) {
    const s = survey(spec);
    it(`${spec.id}: an audit with no problems and no gaps`, () => {
      const audit = spec.audit!;
      expect(audit).toBeDefined();
      expect(audit.machine).toBe(spec.id);
      expect(audit.pinned).toBe(spec.pinned);
      expect(auditProblems(audit, s.names)).toEqual([]);
      expect(auditGaps(audit)).toEqual([]);
    });
    it(`${spec.id}: every property is broken by some variant, but the reviewed list`, () => {
      expect([...s.broken].filter((p) => !s.properties.has(p))).toEqual([]);
      expect([...s.properties].filter((p) => !s.broken.has(p)).sort()).toEqual([...UNBROKEN[spec.id]!].sort());
    });
  }
});
