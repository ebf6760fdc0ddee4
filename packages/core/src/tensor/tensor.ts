/**
 * The one array type of core: a contiguous, row-major (NCHW for images) float32 buffer
 * with its shape. Plain data, no methods, so it crosses worker boundaries and ONNX edges
 * without conversion.
 */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** Wraps data as a tensor after checking that its length matches the shape. */
export function tensor(data: Float32Array, shape: readonly number[]): Tensor {
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new RangeError(`data has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`);
  }
  return { data, shape: [...shape] };
}

export function zeros(shape: readonly number[]): Tensor {
  return { data: new Float32Array(sizeOf(shape)), shape: [...shape] };
}

export function full(shape: readonly number[], value: number): Tensor {
  return { data: new Float32Array(sizeOf(shape)).fill(value), shape: [...shape] };
}

export function clone(t: Tensor): Tensor {
  return { data: t.data.slice(), shape: [...t.shape] };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertShape(t: Tensor, expected: readonly (number | null)[], what = 'tensor'): void {
  const ok = t.shape.length === expected.length && expected.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const want = expected.map((d) => (d === null ? '?' : String(d))).join(', ');
    throw new RangeError(`${what} has shape [${t.shape.join(', ')}], expected [${want}]`);
  }
}

/** Same shape, new data. */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (sizeOf(shape) !== t.data.length) {
    throw new RangeError(`cannot reshape [${t.shape.join(', ')}] to [${shape.join(', ')}]`);
  }
  return { data: t.data, shape: [...shape] };
}
