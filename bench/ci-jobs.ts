// CPU seconds of single checks of `check --configuration all` (the figures behind
// test/support/variants.ts MERGE_ONLY): npx tsx bench/ci-jobs.ts system/aqic-v4/two-queues ...
import { checkModel } from '../src/check/check.ts';
import { plan } from '../src/commands/check.ts';

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const jobs = await plan({ configuration: 'all' });
for (const key of process.argv.slice(2)) {
  const job = jobs.find((j) => `${j.spec.id}/${j.model.variantId}/${j.model.configurationId}` === key);
  if (!job) {
    console.error(`${key}: no such check in --configuration all`);
    process.exit(2);
  }
  const t = cpu();
  const r = checkModel(job.model);
  const differ = r.results.filter((x) => x.holds !== x.expected).length;
  console.log(`${key}: ${r.states.toLocaleString('en')} states, ${(cpu() - t).toFixed(1)} s CPU, ${differ ? `${differ} results differ` : 'every result as expected'}`);
}
