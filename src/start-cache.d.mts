// Types of src/start-cache.mjs (npm start's launcher, plain JavaScript) for the tests.
/** The transpiled tree, .start/ in the package root. */
export declare const CACHE: string;
/** esbuild's output with its relative `.ts` module names as `.js`. */
export declare function renameImports(code: string): string;
/** Brings .start/ up to date with the sources; resolves to the number of files transformed. */
export declare function refresh(): Promise<number>;
