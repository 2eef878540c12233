// Where a variant's own code tells the watchdog that it runs: every guard, action, kernel
// function and property a variant file supplies is wrapped to call `enter` before and
// `leave` after (variant-file.ts). In the calling thread both do nothing; the worker that
// runs a variant file's checks (watchdog.ts) points them at memory the main thread reads, so
// a step stuck in variant code is seen and the worker stopped.
export const watch: { enter(name: string): void; leave(): void } = {
  enter() {},
  leave() {},
};
