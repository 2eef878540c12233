// npm start's launcher (src/start-cache.mjs): esbuild's output runs under node alone once its
// relative `.ts` module names are `.js`, and nothing else in the code is renamed.
import { describe, expect, it } from 'vitest';
import { renameImports } from '../../src/start-cache.mjs';

describe('npm start: the transformed sources', () => {
  it("rename the relative .ts modules of imports, re-exports and import() (written in esbuild's double quotes), nothing else", () => {
    const code = [
      'import { a } from "./a.ts";',
      'import "../side.ts";',
      'export { b } from "../../machines/b.ts";',
      'const c = () => import("./commands/check.ts");',
      'import { d } from "xstate";',
      'const e = "./not-a-module.ts";',
      'const f = new URL("./worker.ts", import.meta.url);',
      'const g = "run `npx tsx src/cli.ts export`";',
    ].join('\n');
    // by hand: the first four lines' names end in .js; a package, a plain string, a URL and a message stay
    expect(renameImports(code).split('\n')).toEqual([
      'import { a } from "./a.js";',
      'import "../side.js";',
      'export { b } from "../../machines/b.js";',
      'const c = () => import("./commands/check.js");',
      'import { d } from "xstate";',
      'const e = "./not-a-module.ts";',
      'const f = new URL("./worker.ts", import.meta.url);',
      'const g = "run `npx tsx src/cli.ts export`";',
    ]);
  });
});
