// One worker thread against two on the same exploration (issue 19), alternating in one process:
// `system` upstream-fixed, 2 VMs x 0 vcpus x 2 queues, no reduction (the bench's worker rows).
// Prints per run the wall time, the process CPU (every thread) and the load average, then the
// median ratio of wall times and of CPU. `--root DIR` runs another checkout's explorer (main).
// `--runs N` (default 3), `--set k=v` overrides the configuration, `--symmetry` reduces by it,
// `--slots N` sets the workers' cache of sent vectors (shard.ts), `--two-only` runs only 2 workers.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const root = resolve(arg('--root', new URL('..', import.meta.url).pathname));
const runs = Number(arg('--runs', '3'));
const params: Record<string, number> = { vms: 2, vcpus: 0, queues: 2 };
process.argv.forEach((a, i) => {
  if (a === '--set') {
    const [k, v] = process.argv[i + 1]!.split('=');
    params[k!] = Number(v);
  }
});
const symmetry = process.argv.includes('--symmetry');
const slots = process.argv.includes('--slots') ? { sentSlots: Number(arg('--slots', '0')) } : {};
const { specs } = await import(pathToFileURL(`${root}/machines/index.ts`).href);
const { exploreParallel } = await import(pathToFileURL(`${root}/src/check/parallel.ts`).href);
const m = specs.find((s: { id: string }) => s.id === 'system').model('upstream-fixed', undefined, { params });
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const secs: Record<number, number[]> = { 1: [], 2: [] };
const cpus: Record<number, number[]> = { 1: [], 2: [] };
const wcpus: Record<number, number[]> = { 1: [], 2: [] };
console.log(`root ${root}; ${JSON.stringify(params)}${symmetry ? ', symmetry' : ''}`);
for (let r = 0; r < runs; r++) {
  for (const workers of process.argv.includes('--two-only') ? [2] : [1, 2]) {
    const l = loadavg()[0]!.toFixed(2);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const x = await exploreParallel(m, { workers, symmetry, keepEdges: false, ...slots });
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    secs[workers]!.push(s);
    cpus[workers]!.push(cpu);
    const wcpu: number[] = x.stats?.cpu ?? [];
    wcpus[workers]!.push(wcpu.reduce((a, b) => a + b, 0));
    const sent = x.stats ? `; sent ${x.stats.sentRows}, not sent again ${x.stats.sentHits}` : '';
    console.log(`${workers} worker(s): ${x.states.length} states, ${x.transitions} transitions, depth ${x.maxDepth}; ${s.toFixed(2)} s wall, ${cpu.toFixed(2)} s cpu (workers ${wcpu.map((c) => c.toFixed(2)).join(' + ') || '?'}, of which start-up ${(x.stats?.startCpu ?? []).map((c: number) => c.toFixed(2)).join(' + ') || '?'}), ${(cpu * 1e6 / x.states.length).toFixed(1)} us cpu/state, load ${l}${sent}`);
  }
}
const [w1, w2, c1, c2] = [median(secs[1]!), median(secs[2]!), median(cpus[1]!), median(cpus[2]!)];
console.log(`median: 1 worker ${w1.toFixed(2)} s wall / ${c1.toFixed(2)} s cpu; 2 workers ${w2.toFixed(2)} s / ${c2.toFixed(2)} s; speed-up ${(w1 / w2).toFixed(2)}x, cpu ratio (2 vs 1) ${(c2 / c1).toFixed(2)}, worker cpu ratio ${(median(wcpus[2]!) / median(wcpus[1]!)).toFixed(2)}; load now ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
