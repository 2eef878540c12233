// The kernel audits of the FLIC, vfio-ccw and dirty-log machines (issue 13): no problems (every
// name the machine uses is listed, every `by` names something it uses, nothing ignored writes a
// modelled field) and no gaps. The generic test/audit.test.ts will subsume this file.
import { describe, expect, it } from 'vitest';
import { auditGaps, auditProblems, machineNames } from '../../src/audit.ts';
import { kvmMemorySlotSpec } from '../../machines/dirty-log/kvm_memory_slot.variants.ts';
import { flicSpec } from '../../machines/flic-ais/index.ts';
import { vfioCcwPrivate } from '../../machines/vfio-ccw/index.ts';
import type { MachineSpec } from '../../src/spec.ts';

/** The names of every configuration's machine (a configuration may enumerate different events). */
function names(spec: MachineSpec): Set<string> {
  const out = new Set<string>();
  for (const c of spec.configurations) {
    for (const v of spec.variants) {
      if (v.configurations && !v.configurations.includes(c.id)) continue; // a variant that exists only in some configurations
      for (const n of machineNames(spec.model(v.id, c.id).machine)) out.add(n);
    }
  }
  return out;
}

describe('kernel audits of the FLIC, vfio-ccw and dirty-log machines', () => {
  for (const spec of [flicSpec, vfioCcwPrivate, kvmMemorySlotSpec]) {
    it(`${spec.id}: an audit with no problems and no gaps`, () => {
      const audit = spec.audit!;
      expect(audit).toBeDefined();
      expect(audit.machine).toBe(spec.id);
      expect(audit.pinned).toBe(spec.pinned);
      expect(auditProblems(audit, names(spec))).toEqual([]);
      expect(auditGaps(audit)).toEqual([]);
    });
  }
});
