// npm test leaves out the tests tagged slow; npm run test:slow runs exactly those; CI runs both
// in one vitest run (npm run test:all) but for the slow tests also tagged merge (three checks that
// `check --configuration all` makes too: test/support/variants.ts MERGE_ONLY), which test:slow runs at a merge.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestSpecification } from 'vitest/node';
import fast from '../../vitest.config.ts';
import slow from '../../vitest.slow.config.ts';
import all from '../../vitest.all.config.ts';
import { SECONDS, sequencer } from '../../vitest.sequencer.ts';

type Test = { include?: string[]; tagsFilter?: string[]; tags?: { name: string }[] };

describe('the two test suites', () => {
  it('cover the same files, split by the slow tag, and CI runs both', () => {
    const [f, s] = [fast.test as Test, slow.test as Test];
    expect(s.include).toEqual(f.include);
    expect(f.tagsFilter).toEqual(['!slow']);
    expect(s.tagsFilter).toEqual(['slow']);
    expect(f.tags!.map((t) => t.name)).toEqual(['slow', 'merge']);
    expect([(fast.test as { isolate?: boolean }).isolate, (slow.test as { isolate?: boolean }).isolate]).toEqual([false, false]);
    const scripts = JSON.parse(readFileSync('package.json', 'utf8')).scripts as Record<string, string>;
    expect(scripts['test']).toBe('tsc --noEmit && vitest run');
    expect(scripts['test:slow']).toBe('vitest run --config vitest.slow.config.ts');
    // CI: the type check and both suites in one run, every file, only the tag merge left out (its tests are tagged slow too: test:slow runs them)
    const a = all.test as Test;
    expect(a.include).toEqual(f.include);
    expect(a.tagsFilter).toEqual(['!merge']);
    expect(readFileSync('test/support/variants.ts', 'utf8')).toContain("tags: s.id === 'system' ? ['slow', ...(merge ? ['merge'] : [])] : []");
    expect(a.tags).toEqual(f.tags);
    expect((all.test as { isolate?: boolean }).isolate).toBe(false);
    expect(scripts['test:all']).toBe('tsc --noEmit && vitest run --config vitest.all.config.ts');
    // .ci/run runs test:all's two commands, the type check beside the tests, and fails if either fails
    const ci = readFileSync('.ci/run', 'utf8').split('\n');
    expect(ci).toContain('nice -n 10 npx tsc --noEmit & typecheck=$!');
    expect(ci).toContain('npx vitest run --config vitest.all.config.ts || status=$?');
    expect(ci).toContain('wait "$typecheck" || status=$?');
    expect(ci).toContain('exit "$status"');
  });
});

describe('the order of the files (vitest.sequencer.ts)', () => {
  it('both suites take the longest files first, by a table that names existing files', async () => {
    expect((fast.test as { sequence?: { sequencer?: unknown } }).sequence?.sequencer).toBeDefined();
    expect((slow.test as { sequence?: { sequencer?: unknown } }).sequence?.sequencer).toBeDefined();
    expect((all.test as { sequence?: { sequencer?: unknown } }).sequence?.sequencer).toBeDefined();
    // a renamed file would silently lose its place
    for (const suite of ['fast', 'slow'] as const) for (const f of Object.keys(SECONDS[suite])) expect(existsSync(f), `${suite}: ${f}`).toBe(true);
    // by hand, from the fast table: seed-areas.test (80 s) before por.test (29 s) before an unlisted file
    const root = process.cwd();
    const spec = (f: string) => ({ moduleId: resolve(root, f), project: { name: '', config: { root, isolate: false, sequence: { groupOrder: 0 } } } }) as unknown as TestSpecification;
    const ctx = { config: { root }, cache: { getFileTestResults: () => undefined, getFileStats: () => undefined } };
    const Fast = sequencer('fast');
    const files = ['test/commands/suites.test.ts', 'test/check/por.test.ts', 'test/machines/seed-areas.test.ts'];
    const sorted = await new Fast(ctx as never).sort(files.map(spec));
    expect(sorted.map((f) => f.moduleId)).toEqual([files[2]!, files[1]!, files[0]!].map((f) => resolve(root, f)));
    // both suites in one run: a file's seconds added, less its tests tagged merge; by hand, seed-areas.test (80 + 0)
    // before por.test (29 + 40) before system.test (19 + 100 - 66)
    const All = sequencer('all');
    const three = ['test/check/por.test.ts', 'test/machines/seed-areas.test.ts', 'test/system/system.test.ts'];
    const byBoth = await new All(ctx as never).sort(three.map(spec));
    expect(byBoth.map((f) => f.moduleId)).toEqual([three[1]!, three[0]!, three[2]!].map((f) => resolve(root, f)));
  });
});
