// npm start in two checkouts, alternating (issue 11): `tsx bench/start-ab.ts <checkout A> <checkout B> [--runs N]`.
// Each run is `node .start/src/start.js` in the checkout (its .start/ brought up to date first, as
// npm start does, outside the timing), under /usr/bin/time: wall and CPU seconds (every thread)
// and the load average before it; then each checkout's median, and whether the two printed the
// same lines on stdout once each check's seconds are taken out. A noisy machine: compare medians
// of several alternating runs, never one pair.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const dirs = args.filter((a, i) => !a.startsWith('--') && i !== runsAt + 1).map((d) => resolve(d));
if (dirs.length !== 2 || !(runs > 0)) {
  process.stderr.write('usage: tsx bench/start-ab.ts <checkout A> <checkout B> [--runs N]\n');
  process.exit(2);
}

// a check's line ends in its seconds; the rest of stdout is the same in every run
const stable = (out: string) => out.replace(/, [\d.]+ s$/gm, '');

interface Run {
  wall: number;
  cpu: number;
  load: number;
  code: number | null;
  out: string;
}

function once(dir: string): Run {
  const load = loadavg()[0]!;
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', process.execPath, join(dir, '.start/src/start.js')], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
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
    const r = once(dirs[i]!);
    got[i]!.push(r);
    console.log(`run ${k + 1} ${'AB'[i]}: ${r.wall.toFixed(2)} s wall, ${r.cpu.toFixed(2)} s CPU, load ${r.load.toFixed(1)}, exit ${r.code}`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const [i, d] of dirs.entries()) {
  const rs = got[i]!;
  console.log(`${'AB'[i]} ${d}: median ${median(rs.map((r) => r.wall)).toFixed(2)} s wall, ${median(rs.map((r) => r.cpu)).toFixed(2)} s CPU (wall ${rs.map((r) => r.wall.toFixed(1)).join(', ')}; CPU ${rs.map((r) => r.cpu.toFixed(1)).join(', ')})`);
}
const outs = new Set(got.flat().map((r) => r.out));
console.log(outs.size === 1 ? 'stdout: the same lines in every run (each check\'s seconds aside)' : `stdout: ${outs.size} different outputs`);
