// src/mutate/scope.ts: which parts of the thread files (machines/*/*.threads.ts) are kernel code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instrument } from '../../src/mutate/instrument.ts';
import { THREADS_AREAS, scopedFiles } from '../../src/mutate/scope.ts';

const ins = instrument(scopedFiles('.').map((f) => ({ ...f, text: readFileSync(f.path, 'utf8') })));
const fns = (file: string) => [...new Set(ins.mutants.filter((m) => m.file === file).map((m) => m.fn))];
const GISA = 'machines/gisa/kvm_s390_gisa_interrupt.threads.ts';

describe('thread files in the mutation scope', () => {
  it('every thread file is scoped: gisa, vcpu, dirty-log and vfio-ap', () => {
    expect(THREADS_AREAS).toEqual(['gisa', 'vcpu', 'dirty-log', 'vfio-ap']);
    const threads = scopedFiles('.').filter((f) => f.path.endsWith('.threads.ts')).map((f) => `${f.area} ${f.path}`);
    expect(threads).toEqual(['dirty-log machines/dirty-log/kvm_memory_slot.threads.ts', 'gisa machines/gisa/kvm_s390_gisa_interrupt.threads.ts', 'gisa machines/gisa/kvm_s390_pv.threads.ts', 'vcpu machines/vcpu/kvm_s390_get_io_int.threads.ts', 'vcpu machines/vcpu/kvm_vcpu.threads.ts', 'vfio-ap machines/vfio-ap/vfio_ap_hotplug.threads.ts', 'vfio-ap machines/vfio-ap/vfio_ap_hotunplug.threads.ts', 'vfio-ap machines/vfio-ap/vfio_ap_mdev.threads.ts', 'vfio-ap machines/vfio-ap/vfio_ap_notifier.threads.ts', 'vfio-ap machines/vfio-ap/vfio_ap_ops.threads.ts']);
  });

  it('step bodies and branch conditions are mutated, named after their step; the helpers they call too', () => {
    const f = fns(GISA);
    expect(f).toContain('gisaVcpuKicker.@gisa_get_ipm_or_restore_iam@try_cmpxchg(word).run');
    expect(f).toContain('gisaVcpuKicker.@gisa_get_ipm_or_restore_iam@READ_ONCE(alert_mask).if');
    expect(f).toContain('kickSingleVcpu.@KICK_TEST_AND_SET.run');
    expect(f).toContain('derefOrigin');
    expect(f).toContain('dead');
    expect(fns('machines/vcpu/kvm_vcpu.threads.ts')).toContain('vcpuRun.@VCPU_PC.checkBlock.run');
  });

  it('builders, footprint paths and the steps that run a variant\'s replacement are not', () => {
    const f = fns(GISA);
    // builders: any function with a step body inside
    for (const b of ['gisaVcpuKicker', 'kickSingleVcpu', 'gisc_register', 'gisa_destroy', 'galHandler', 'setIam', 'checkOrigin', 'aqicDriver']) expect(f).not.toContain(b);
    // footprint paths and the thread view's index
    for (const p of ['gi', 'vmIx', 'wordReads', 'gisaTimer', 'replaced']) expect(f).not.toContain(p);
    // replacedAsOneStep(...): the variant's replacement of a whole function, run as one step
    expect(f.filter((x) => x === 'gisaVcpuKicker.run' || x === 'gisa_destroy.run')).toEqual([]);
    // no mutant of a thread file is in a function whose name ends a builder chain without a step segment or helper name
    expect(ins.mutants.filter((m) => m.file === GISA && /\.(reads|writes|at|cite)\b/.test(m.fn))).toEqual([]);
  });
});
