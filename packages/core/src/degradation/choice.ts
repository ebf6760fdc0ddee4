import type { Rng } from '../random/rng';

/** Index drawn with probability proportional to `weights` (like Python's random.choices). */
export function chooseWeighted(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) {
    if (!(w >= 0)) throw new RangeError(`weights must be non-negative, got ${w}`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError('weights must not all be zero');
  const u = rng.uniform() * total;
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    if (u < acc) return i;
  }
  // Rounding can leave u == total; fall back to the last non-zero weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return weights.length - 1;
}

/** One element drawn uniformly. */
export function chooseUniform<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('cannot choose from an empty list');
  return items[rng.int(0, items.length - 1)];
}

/** Uniform in [lo, hi) given as a pair (always one draw, so draw counts never depend on values). */
export function uniformIn(rng: Rng, range: readonly [number, number]): number {
  return rng.range(range[0], range[1]);
}
