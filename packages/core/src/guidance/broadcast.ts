import type { Tensor } from '../tensor/tensor';

/**
 * Reads a (B', C', H, W) tensor broadcast over an NCHW shape (B' in {1, B}, C' in {1, C}).
 * Returns a function from the flat index of the full shape to the broadcast value.
 */
export function broadcastReader(t: Tensor, shape: readonly number[], what: string): (i: number) => number {
  if (shape.length !== 4 || t.shape.length !== 4) {
    throw new RangeError(`${what}: expected NCHW tensors, got [${t.shape.join(', ')}] for [${shape.join(', ')}]`);
  }
  const [b, c, h, w] = shape;
  const [tb, tc, th, tw] = t.shape;
  if ((tb !== 1 && tb !== b) || (tc !== 1 && tc !== c) || th !== h || tw !== w) {
    throw new RangeError(`${what}: shape [${t.shape.join(', ')}] does not broadcast to [${shape.join(', ')}]`);
  }
  if (tb === b && tc === c) return (i) => t.data[i];
  const hw = h * w;
  const d = t.data;
  return (i) => {
    const p = i % hw;
    const plane = (i - p) / hw;
    const ci = plane % c;
    const bi = (plane - ci) / c;
    return d[((tb === 1 ? 0 : bi) * tc + (tc === 1 ? 0 : ci)) * hw + p];
  };
}
