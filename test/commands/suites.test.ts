// npm test leaves out the tests tagged slow; npm run test:slow runs exactly those; CI runs both,
// so every test that was asserted in CI still is.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fast from '../../vitest.config.ts';
import slow from '../../vitest.slow.config.ts';

type Test = { include?: string[]; tagsFilter?: string[]; tags?: { name: string }[] };

describe('the two test suites', () => {
  it('cover the same files, split by the slow tag, and CI runs both', () => {
    const [f, s] = [fast.test as Test, slow.test as Test];
    expect(s.include).toEqual(f.include);
    expect(f.tagsFilter).toEqual(['!slow']);
    expect(s.tagsFilter).toEqual(['slow']);
    expect(f.tags!.map((t) => t.name)).toEqual(['slow']);
    expect([(fast.test as { isolate?: boolean }).isolate, (slow.test as { isolate?: boolean }).isolate]).toEqual([false, false]);
    const scripts = JSON.parse(readFileSync('package.json', 'utf8')).scripts as Record<string, string>;
    expect(scripts['test']).toBe('tsc --noEmit && vitest run');
    expect(scripts['test:slow']).toBe('vitest run --config vitest.slow.config.ts');
    const ci = readFileSync('.ci/run', 'utf8').split('\n');
    expect(ci).toContain('npm test');
    expect(ci).toContain('npm run test:slow');
  });
});
