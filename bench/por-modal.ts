// Issue 19: the partial-order reduction of the coarse composed guest over state-dependent
// footprints (src/check/por-modal.ts). Per configuration: the full exploration, the footprint
// verification on its every state (--verify), the reduced one; states, seconds, and whether
// both find the same invariant violations.
// Usage: nice npx tsx bench/por-modal.ts --vms 1 --vcpus 1 --queues 1 [--variant V] [--configuration C] [--verify] [--no-full]
import { specs } from '../machines/index.ts';
import { compile } from '../src/check/compile.ts';
import { explore } from '../src/check/explore.ts';
import { verifyStateFootprints } from '../src/check/por-modal.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const params = { vms: Number(arg('--vms', '1')), vcpus: Number(arg('--vcpus', '1')), queues: Number(arg('--queues', '1')) };
const variant = arg('--variant', 'upstream-fixed');
const configuration = arg('--configuration', 'default');
const maxStates = Number(arg('--max-states', '5000000'));
const system = specs.find((s) => s.id === 'system')!;
const model = system.model(variant, configuration, { params });
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
let full: ReturnType<typeof explore> | undefined;
if (!process.argv.includes('--no-full')) {
  const c0 = cpu(), t0 = performance.now();
  full = explore(model, { por: false, symmetry: false, keepEdges: false, maxStates });
  console.log(`${variant}/${configuration} ${JSON.stringify(params)} full: ${full.states.length.toLocaleString('en')} states${full.limitReached ? ' (limit)' : ''}, ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(cpu() - c0).toFixed(1)} s cpu; violations ${[...full.violations.keys()].sort().join(', ') || 'none'}`);
  if (process.argv.includes('--verify')) {
    const compiled = compile(model.machine);
    const t1 = performance.now();
    const bad = new Set<string>();
    const n = verifyStateFootprints(model, compiled, full.states.map((_, i) => ({ cfg: full!.encoding!(i), context: full!.states[i]!.context })), bad);
    for (const b of [...bad].sort()) console.log(`  WRONG ${b}`);
    if (bad.size) process.exitCode = 1;
    console.log(`  footprints verified: ${n.toLocaleString('en')} steps, ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  }
}
const c0 = cpu(), t0 = performance.now();
const red = explore(model, { por: true, symmetry: false, keepEdges: false, maxStates });
console.log(`  reduced: ${red.states.length.toLocaleString('en')} states${red.limitReached ? ' (limit)' : ''}, ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(cpu() - c0).toFixed(1)} s cpu; ${JSON.stringify(red.por)}${full ? `; ${(full.states.length / red.states.length).toFixed(2)}x fewer` : ''}; violations ${[...red.violations.keys()].sort().join(', ') || 'none'}`);
if (full) {
  const a = [...full.violations.keys()].sort().join(','), b = [...red.violations.keys()].sort().join(',');
  console.log(a === b ? '  same violations' : `  DIFFERENT violations: full ${a} / reduced ${b}`);
  if (a !== b) process.exitCode = 1;
}
