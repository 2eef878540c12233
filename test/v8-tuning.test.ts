import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tunedFor, tuneV8, V8_TUNING } from '../src/v8-tuning.ts';

describe('V8 tuning (src/v8-tuning.ts)', () => {
  it('applies on V8 11.3 only, the V8 it was measured on', () => {
    expect(tunedFor('11.3.244.8-node.38')).toBe(true);
    expect(tunedFor('12.4.254.21-node.33')).toBe(false);
    expect(tunedFor('11.8.172.17')).toBe(false);
    // another V8: nothing set, nothing returned
    expect(tuneV8('13.6.233.10-node.18')).toEqual([]);
    // asked for V8's defaults (bench/start-ab.ts --v8-defaults-a): nothing set either
    expect(tuneV8('11.3.244.8-node.38', { S390_KVM_SPEC_V8_DEFAULTS: '1' })).toEqual([]);
    expect(tuneV8('11.3.244.8-node.38', { S390_KVM_SPEC_V8_DEFAULTS: 'yes' })).toEqual([]);
  });

  it("names flags this node's V8 has (an unknown one would only print an error and be ignored)", () => {
    if (!tunedFor(process.versions.v8)) return expect(tuneV8()).toEqual([]);
    const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    for (const flag of V8_TUNING) expect(options).toContain(`  ${flag.split('=')[0]} (`);
    // the escape hatch set empty or to 0: tuned (the flags this worker already has: the setup file)
    expect(tuneV8(process.versions.v8, { S390_KVM_SPEC_V8_DEFAULTS: '0' })).toEqual(V8_TUNING);
    expect(tuneV8(process.versions.v8, { S390_KVM_SPEC_V8_DEFAULTS: '' })).toEqual(V8_TUNING);
  });
});
