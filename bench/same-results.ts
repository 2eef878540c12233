// Whether two `check --json` outputs (e.g. `check --configuration all --json` of main and of a
// branch) find the same: per check (machine/variant/configuration), its states, transitions,
// depth, limit, and every property's result with its trace (events), cycle and trigger. Timings
// are left out. Prints each difference, exits 1 if any.
//   npx tsx bench/same-results.ts BASE.json THIS.json
import { readFileSync } from 'node:fs';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: npx tsx bench/same-results.ts BASE.json THIS.json');
  process.exit(2);
}
interface Result {
  machine: string;
  variant: string;
  configuration: string;
  results: { property: string; trace: { event: unknown }[]; cycle?: { event: unknown }[] }[];
  [k: string]: unknown;
}
const read = (f: string): Map<string, string> => {
  let checks: Result[];
  try {
    const j = JSON.parse(readFileSync(f, 'utf8'));
    checks = Array.isArray(j) ? j : j.checks;
  } catch (e) {
    console.error(`same-results: cannot read ${f}: ${(e as Error).message.split('\n')[0]}`);
    process.exit(2);
  }
  return new Map(
    checks.map((c) => [
      `${c.machine}/${c.variant}/${c.configuration}`,
      JSON.stringify({
        states: c.states, transitions: c.transitions, depth: c.depth, limitReached: c.limitReached, matches: c.matches, por: c.por, stopped: c.stopped,
        results: c.results.map((p) => ({ ...p, trace: p.trace.map((s) => s.event), ...(p.cycle ? { cycle: p.cycle.map((s) => s.event) } : {}) })),
      }),
    ]),
  );
};
const [x, y] = [read(a), read(b)];
let differ = 0;
for (const k of new Set([...x.keys(), ...y.keys()])) {
  if (x.get(k) === y.get(k)) continue;
  differ++;
  console.log(`${k}:\n  base ${x.get(k)?.slice(0, 400) ?? 'missing'}\n  this ${y.get(k)?.slice(0, 400) ?? 'missing'}`);
}
console.log(`${x.size} checks in ${a}, ${y.size} in ${b}: ${differ ? `${differ} differ` : 'the same figures and results'}`);
process.exit(differ ? 1 : 0);
