#!/usr/bin/env node
// The s390-kvm-spec command. In a checkout (src/cli.ts beside bin/) it runs the TypeScript
// sources through tsx, as `npm start` does; the published package runs its compiled
// JavaScript (dist/, built by `npm pack`).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import('../dist/src/cli.js');
}
cli.run(process.argv.slice(2));
