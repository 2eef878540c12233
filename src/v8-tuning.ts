// V8's tier-up for the checker's workload: many short explorations, each of a machine whose
// actions, guards and invariants the optimiser has not seen, and a few shared hot functions (the
// explorer, the context interning) that every machine's shapes pass through. With V8's defaults
// TurboFan optimises early and inlines widely, every new shape deoptimises the shared functions,
// and they are optimised again: in `check --jobs 1` TurboFan's jobs took 13 s (node --trace-opt)
// and V8's helper threads 8.4 s of CPU beside a 15 s check thread; in `npm start` the helper
// threads took 18 s of CPU against 24 s of its two workers, on two cores that the workers need.
// A larger interrupt budget (a function runs 1,200,000 bytecode-size units, not 67,584, before it
// is optimised) and a smaller inlining budget leave the optimiser the functions that stay hot:
// helper threads 18 s -> 4.6 s of CPU, `npm start` medians 17.0 and 17.4 s -> 13.5 and 12.9 s wall
// (bench/start-ab.ts, two rounds of five alternating runs, 2026-12-06).
// Measured on V8 11.3 (Node 20, the build machine's); another V8 tiers differently (Maglev), so
// there the defaults stay, as they do with S390_KVM_SPEC_V8_DEFAULTS=1 (bench/start-ab.ts
// --v8-defaults-a compares the two).
import { setFlagsFromString } from 'node:v8';

/** The flags, in node's command-line spelling (`node --v8-options` lists both). */
export const V8_TUNING: readonly string[] = ['--interrupt-budget=1200000', '--max-inlined-bytecode-size-cumulative=150'];

/** Whether `version` (process.versions.v8) is the V8 the flags were measured on. */
export const tunedFor = (version: string): boolean => /^11\.3\./.test(version);

/**
 * Sets the flags for this process (its worker threads too: V8's flags are per process) when it runs
 * the V8 they were measured on; returns the flags set. Call it before the checks run: a function's
 * budget is read when it is next counted, and an isolate started later starts with the flags.
 */
export function tuneV8(version: string = process.versions.v8, env: NodeJS.ProcessEnv = process.env): readonly string[] {
  // S390_KVM_SPEC_V8_DEFAULTS set to anything but '' or '0': V8's own tier-up
  const defaults = env.S390_KVM_SPEC_V8_DEFAULTS;
  if (!tunedFor(version) || (defaults !== undefined && defaults !== '' && defaults !== '0')) return [];
  setFlagsFromString(V8_TUNING.join(' '));
  return V8_TUNING;
}
