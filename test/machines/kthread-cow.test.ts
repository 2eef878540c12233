// The copy a kthread step runs on (machines/kthread.ts cowTrie / cowCopy): fresh objects along
// the declared write paths only, everything else shared with the stored context, so a step's
// writes never reach a stored context and what it left alone stays the same object.
import { describe, expect, it } from 'vitest';
import { cowCopy, cowTrie, shareDeep } from '../../machines/kthread.ts';

const context = () => ({
  params: { vms: 2 },
  vms: [
    { faults: 0, gisa: { ipm: 1, ref: [0, 1] }, vcpus: [{ idle: true }] },
    { faults: 0, gisa: { ipm: 2, ref: [1, 0] }, vcpus: [{ idle: false }] },
  ],
  threads: { locks: { ref_lock: null as string | null }, locals: { kicker: { mask: 1 }, destroy: {} }, found: { kicker: 0, destroy: 0 } },
});

describe('cowCopy', () => {
  const orig = context();
  // a step of VM 0 that writes its GISA, its locals and the ghost bit of every VM ('*')
  const copy = cowCopy(orig, cowTrie([['vms', 0, 'gisa'], ['threads', 'locals', 'kicker'], ['vms', '*', 'faults']]));

  it('gives a copy equal to the context, with its keys in the same order', () => {
    expect(JSON.stringify(copy)).toBe(JSON.stringify(orig));
  });

  it('makes every object on a declared path fresh, down to a deep copy at its end', () => {
    expect(copy).not.toBe(orig);
    expect(copy.vms).not.toBe(orig.vms);
    expect(copy.vms[0]).not.toBe(orig.vms[0]);
    expect(copy.vms[0]!.gisa).not.toBe(orig.vms[0]!.gisa);
    expect(copy.vms[0]!.gisa.ref).not.toBe(orig.vms[0]!.gisa.ref);
    // '*' reaches VM 1 too (its faults field lives in the VM object, so the VM object is fresh)
    expect(copy.vms[1]).not.toBe(orig.vms[1]);
    expect(copy.threads.locals.kicker).not.toBe(orig.threads.locals.kicker);
  });

  it('shares what no path reaches', () => {
    expect(copy.params).toBe(orig.params);
    expect(copy.vms[1]!.gisa).toBe(orig.vms[1]!.gisa);
    expect(copy.vms[0]!.vcpus).toBe(orig.vms[0]!.vcpus);
    expect(copy.threads.locks).toBe(orig.threads.locks);
    expect(copy.threads.found).toBe(orig.threads.found);
    expect(copy.threads.locals.destroy).toBe(orig.threads.locals.destroy);
  });

  it('keeps the stored context as it was when the copy is written where the paths allow', () => {
    const before = JSON.stringify(orig);
    copy.vms[0]!.gisa.ref[1] = 5;
    copy.vms[0]!.gisa.ipm = 0;
    copy.vms[1]!.faults = 4;
    copy.threads.locals.kicker.mask = 0;
    expect(JSON.stringify(orig)).toBe(before);
  });
});

describe('shareDeep after a copy on write', () => {
  it('gives back the stored context itself when the step changed nothing, and the unchanged parts of a changed one', () => {
    const orig = context();
    const trie = cowTrie([['vms', 0, 'gisa'], ['threads', 'locals', 'kicker']]);
    expect(shareDeep(orig, cowCopy(orig, trie))).toBe(orig);
    const changed = cowCopy(orig, trie);
    changed.vms[0]!.gisa.ipm = 3;
    const shared = shareDeep(orig, changed);
    expect(shared).not.toBe(orig);
    expect(shared.vms[0]!.gisa.ipm).toBe(3);
    // the copied but unchanged parts are the stored objects again
    expect(shared.threads).toBe(orig.threads);
    expect(shared.vms[0]!.gisa.ref).toBe(orig.vms[0]!.gisa.ref);
    expect(shared.vms[1]).toBe(orig.vms[1]);
  });
});
