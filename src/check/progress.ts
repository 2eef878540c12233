// Early word on a long exploration: states per second, the growth of the BFS frontier per
// depth, and a prediction of the total once the growth is regular. A breadth-first search of
// these machines grows level by level and then shrinks (the levels form a bell); while the
// log of the growth ratio falls along a line, the levels left are extrapolated along it
// (log n(d) is then a parabola in d) until a level would hold less than one state. The
// prediction is given only when the last three levels' extrapolations agree within 15 %:
// before the peak the curve can still bend, and then the report says "not yet regular".
// (Measured on system 2 VMs x 2 vcpus x 1 queue, 9,841,376 states in 51 levels: no
// prediction before depth 26, within 7 % of the total from depth 27 on; test/check/progress.test.ts.)

/** Levels fitted for one extrapolation. */
const FIT = 6;
/** Agreement asked of the last three extrapolations. */
const AGREE = 0.15;

/** The total an exploration with these level sizes (index = depth) reaches, if its growth ratio keeps falling as it did over the last levels; undefined when it does not fall. */
export function extrapolate(perDepth: readonly number[]): number | undefined {
  const d = perDepth.length - 1;
  if (d < FIT + 1) return undefined;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = d - FIT + 1; i <= d; i++) {
    const a = perDepth[i - 1]!;
    const b = perDepth[i]!;
    if (a <= 0 || b <= 0) return undefined;
    xs.push(i);
    ys.push(Math.log(b / a));
  }
  const mx = xs.reduce((s, x) => s + x, 0) / FIT;
  const my = ys.reduce((s, y) => s + y, 0) / FIT;
  const b = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  if (!(b < 0)) return undefined;
  const a = my - b * mx;
  let total = perDepth.reduce((s, n) => s + n, 0);
  let n = perDepth[d]!;
  for (let j = d + 1; j <= d + 1000; j++) {
    n *= Math.exp(a + b * j);
    if (n < 1) return Math.round(total);
    total += n;
    if (!Number.isFinite(total) || total > 1e15) return undefined;
  }
  return undefined;
}

/** The predicted total, when the extrapolations from the last three levels agree; else undefined. */
export function predictTotal(perDepth: readonly number[]): number | undefined {
  const last = [0, 1, 2].map((k) => extrapolate(perDepth.slice(0, perDepth.length - k)));
  if (last.some((p) => p === undefined)) return undefined;
  const ps = last as number[];
  const lo = Math.min(...ps);
  const hi = Math.max(...ps);
  return hi <= lo * (1 + AGREE) ? ps[0] : undefined;
}

/** Words a progress line per BFS level, from the states per depth so far. */
export class Growth {
  private readonly started = performance.now();

  /** The line for the level just finished (the last entry of `perDepth`), with `states` in all. */
  line(perDepth: readonly number[], states: number): string {
    const depth = perDepth.length - 1;
    const added = perDepth[depth] ?? 0;
    const secs = (performance.now() - this.started) / 1000;
    const rate = secs > 0 ? states / secs : 0;
    const prev = perDepth[depth - 1];
    const growth = prev ? ` (x${(added / prev).toFixed(2)})` : '';
    const total = predictTotal(perDepth);
    const eta = total !== undefined && rate > 0 ? `, about ${fmtSecs(Math.max(0, total - states) / rate)} to go at this rate` : '';
    const guess = total !== undefined ? `; predicted total about ${fmt(Math.max(total, states))} states${eta}` : '; growth not yet regular, no prediction';
    return `depth ${depth}: +${fmt(added)}${growth}, ${fmt(states)} states, ${fmt(Math.round(rate))} states/s${guess}`;
  }
}

const fmt = (n: number) => n.toLocaleString('en');

function fmtSecs(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
