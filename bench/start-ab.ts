// npm start in two checkouts, alternating (issue 11): `tsx bench/start-ab.ts <checkout A> <checkout B> [--runs N]
// [--v8-defaults-a]`. Each run is `node .start/src/start.js` in the checkout (its .start/ brought up to date first, as
// npm start does, outside the timing), under /usr/bin/time: wall and CPU seconds (every thread)
// and the load average before it; then each checkout's median, and whether the two printed the
// same lines on stdout once each check's seconds are taken out. A noisy machine: compare medians
// of several alternating runs, never one pair. `--v8-defaults-a` runs A with V8's own tier-up
// (S390_KVM_SPEC_V8_DEFAULTS=1, src/v8-tuning.ts): `start-ab.ts . . --v8-defaults-a` measures the tuning.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const usage = 'usage: tsx bench/start-ab.ts <checkout A> <checkout B> [--runs N] [--v8-defaults-a]';
let parsed;
try {
  parsed = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'v8-defaults-a': { type: 'boolean', default: false } }, allowPositionals: true });
} catch (e) {
  process.stderr.write(`start-ab: ${(e as Error).message.split('. ')[0]}; ${usage}\n`);
  process.exit(2);
}
const runs = Number(parsed.values.runs);
const dirs = parsed.positionals.map((d) => resolve(d));
if (dirs.length !== 2 || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
/** each checkout's environment: A with V8's defaults where asked */
const envs = [parsed.values['v8-defaults-a'] ? { ...process.env, S390_KVM_SPEC_V8_DEFAULTS: '1' } : process.env, process.env];

// a check's line ends in its seconds; the rest of stdout is the same in every run
const stable = (out: string) => out.replace(/, [\d.]+ s$/gm, '');

interface Run {
  wall: number;
  cpu: number;
  load: number;
  code: number | null;
  out: string;
}

function once(dir: string, env: NodeJS.ProcessEnv): Run {
  const load = loadavg()[0]!;
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', process.execPath, join(dir, '.start/src/start.js')], { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${dir}: ${r.stderr.slice(-500)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), load, code: r.status, out: stable(r.stdout) };
}

for (const d of dirs) {
  const r = spawnSync(process.execPath, ['-e', `import(${JSON.stringify(join(d, 'src/start-cache.mjs'))}).then((m) => m.refresh())`], { cwd: d, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`refresh of ${d}: ${r.stderr}`);
}
const got: Run[][] = [[], []];
for (let k = 0; k < runs; k++) {
  // alternating, each pair started by the other checkout in turn
  for (const i of k % 2 ? [1, 0] : [0, 1]) {
    const r = once(dirs[i]!, envs[i]!);
    got[i]!.push(r);
    console.log(`run ${k + 1} ${'AB'[i]}: ${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU, load ${r.load.toFixed(1)}, exit ${r.code}`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const [i, d] of dirs.entries()) {
  const rs = got[i]!;
  console.log(`${'AB'[i]} ${d}${i === 0 && parsed.values['v8-defaults-a'] ? ' (V8 defaults)' : ''}: median ${median(rs.map((r) => r.wall)).toFixed(2)} s wall, ${median(rs.map((r) => r.cpu)).toFixed(2)} s CPU (wall ${rs.map((r) => r.wall.toFixed(1)).join(', ')}; CPU ${rs.map((r) => r.cpu.toFixed(1)).join(', ')})`);
}
const medians = got.map((rs) => ({ wall: median(rs.map((r) => r.wall)), cpu: median(rs.map((r) => r.cpu)) }));
console.log(`B against A: wall x${(medians[1]!.wall / medians[0]!.wall).toFixed(2)}, CPU x${(medians[1]!.cpu / medians[0]!.cpu).toFixed(2)} (medians)`);
const outs = new Set(got.flat().map((r) => r.out));
console.log(outs.size === 1 ? 'stdout: the same lines in every run (each check\'s seconds aside)' : `stdout: ${outs.size} different outputs`);
