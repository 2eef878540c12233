// The predicted total of an exploration from its states per BFS depth, on a profile measured
// with this checker: system upstream-fixed with 2 VMs x 2 vcpus x 1 queue, explored in full
// (9,841,376 states, 51 levels). Before the levels' growth settles no prediction is given;
// once it is, the prediction is within 10 % of the true total.
import { describe, expect, it } from 'vitest';
import { extrapolate, Growth, predictTotal } from '../../src/check/progress.ts';

const MEASURED = [
  1, 11, 56, 178, 407, 729, 1075, 1353, 1523, 1661, 2012, 3040, 5415, 9919, 17136, 27248, 40260, 56604, 78041, 108839, 155939, 227336, 327643, 453617,
  593945, 730433, 839264, 898767, 902519, 857610, 777841, 677639, 567001, 452007, 341056, 243441, 165139, 107804, 68952, 43231, 25864, 14441, 7438, 3651,
  1798, 873, 402, 158, 48, 10, 1,
];
const TOTAL = 9_841_376;

describe('predicted total', () => {
  it('adds up the measured profile', () => {
    expect(MEASURED.reduce((a, b) => a + b, 0)).toBe(TOTAL);
  });

  it('gives no prediction while the growth is still irregular (before the widest level)', () => {
    for (let d = 1; d <= 28; d++) expect(predictTotal(MEASURED.slice(0, d + 1)), `depth ${d}`).toBeUndefined();
  });

  it('once it predicts, predicts within 10 % of the true total', () => {
    let first = -1;
    for (let d = 29; d < MEASURED.length; d++) {
      const p = predictTotal(MEASURED.slice(0, d + 1));
      if (p === undefined) continue;
      if (first < 0) first = d;
      expect(Math.abs(p - TOTAL) / TOTAL, `depth ${d}: ${p}`).toBeLessThan(0.1);
    }
    expect(first).toBe(29);
  });

  it('does not extrapolate growth that does not slow down', () => {
    expect(extrapolate([1, 2, 4, 8, 16, 32, 64, 128, 256])).toBeUndefined();
    expect(predictTotal([1, 3, 9, 27, 81, 243, 729, 2187, 6561, 19683])).toBeUndefined();
  });

  it('words a line per level: growth factor, states/s, the prediction or its absence', () => {
    const g = new Growth();
    expect(g.line(MEASURED.slice(0, 11), 12_000)).toMatch(/^depth 10: \+2,012 \(x1\.21\), 12,000 states, [\d,]+ states\/s; growth not yet regular, no prediction$/);
    expect(g.line(MEASURED.slice(0, 31), 7_120_422)).toMatch(/predicted total about 9,\d{3},\d{3} states, about .* to go at this rate$/);
  });
});
