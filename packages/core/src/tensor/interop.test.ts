import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import { float32ToFloat16Bits } from './float16';
import { fromNdarray, fromOrtLike, toNdarray, toOrtLike } from './interop';
import type { Tensor } from './tensor';

// 2 x 3 x 4 with value 100 i + 10 j + k at (i, j, k)
const base = ndarray(
  Float64Array.from({ length: 24 }, (_, n) => 100 * Math.floor(n / 12) + 10 * Math.floor((n % 12) / 4) + (n % 4)),
  [2, 3, 4],
);

function expectMatches(nd: ndarray.NdArray, t: Tensor): void {
  expect(t.shape).toEqual(nd.shape);
  const [a, b, c] = nd.shape;
  let n = 0;
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) expect(t.data[n++]).toBe(nd.get(i, j, k));
}

describe('fromNdarray', () => {
  it('copies a contiguous view', () => {
    const t = fromNdarray(base);
    expect(Array.from(t.data)).toEqual(Array.from(base.data as Float64Array));
  });

  it('handles a transposed view', () => {
    const tr = base.transpose(2, 0, 1); // shape 4 x 2 x 3
    const t = fromNdarray(tr);
    expect(t.shape).toEqual([4, 2, 3]);
    expectMatches(tr, t);
    expect(t.data[1 * 6 + 1 * 3 + 2]).toBe(100 + 20 + 1); // (k=1, i=1, j=2)
  });

  it('handles sliced, stepped and flipped views with an offset', () => {
    const v = base.hi(2, 3, 3).lo(0, 1, 1).step(1, 1, -1); // shape 2 x 2 x 2, negative stride
    expect(v.offset).not.toBe(0);
    expectMatches(v, fromNdarray(v));
    const picked = base.pick(1, null, null).step(1, 2); // 3 x 2
    const t = fromNdarray(picked);
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.data)).toEqual([100, 102, 110, 112, 120, 122]);
  });

  it('accepts integer typed arrays and plain arrays', () => {
    const u8 = ndarray(Uint8Array.from([1, 2, 3, 4, 5, 6]), [2, 3]).transpose(1, 0);
    expect(Array.from(fromNdarray(u8).data)).toEqual([1, 4, 2, 5, 3, 6]);
    const plain = fromNdarray({ data: [9, 8, 7], shape: [3], stride: [-1], offset: 2 });
    expect(Array.from(plain.data)).toEqual([7, 8, 9]);
  });

  it('handles empty and zero-dimensional views', () => {
    expect(fromNdarray(ndarray(new Float32Array(0), [0, 3])).shape).toEqual([0, 3]);
    expect(Array.from(fromNdarray({ data: [4, 5], shape: [], stride: [], offset: 1 }).data)).toEqual([5]);
  });
});

describe('toNdarray', () => {
  it('builds a real ndarray that indexes like the tensor, sharing data', () => {
    const t: Tensor = { data: Float32Array.from({ length: 24 }, (_, i) => i), shape: [1, 2, 3, 4] };
    const v = toNdarray(t);
    expect(v.stride).toEqual([24, 12, 4, 1]);
    const nd = ndarray(v.data, v.shape, v.stride, v.offset);
    expect(nd.get(0, 1, 2, 3)).toBe(12 + 8 + 3);
    expect(v.data).toBe(t.data);
    expect(Array.from(fromNdarray(nd).data)).toEqual(Array.from(t.data));
  });
});

describe('ORT-like converters', () => {
  const t: Tensor = { data: Float32Array.from([0.5, -1, 3, 65504]), shape: [1, 1, 2, 2] };

  it('float32 shares the buffer on the way out and copies on the way in', () => {
    const o = toOrtLike(t);
    expect(o).toEqual({ type: 'float32', data: t.data, dims: [1, 1, 2, 2] });
    const back = fromOrtLike(o);
    expect(Array.from(back.data)).toEqual(Array.from(t.data));
    expect(back.data).not.toBe(t.data);
  });

  it('float16 travels as raw bits in a Uint16Array', () => {
    const o = toOrtLike(t, 'float16');
    expect(o.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(o.data)).toEqual([0x3800, 0xbc00, 0x4200, 0x7bff]);
    expect(Array.from(fromOrtLike(o).data)).toEqual([0.5, -1, 3, 65504]);
  });

  it('converts int64, int32, uint8 and bool tensors', () => {
    expect(Array.from(fromOrtLike({ type: 'int64', data: BigInt64Array.from([1n, -2n]), dims: [2] }).data)).toEqual([
      1, -2,
    ]);
    expect(Array.from(fromOrtLike({ type: 'int32', data: Int32Array.from([7]), dims: [1] }).data)).toEqual([7]);
    expect(Array.from(fromOrtLike({ type: 'bool', data: Uint8Array.from([1, 0]), dims: [2] }).data)).toEqual([1, 0]);
  });

  it('refuses strings and mismatched sizes', () => {
    expect(() => fromOrtLike({ type: 'string', data: ['a'], dims: [1] })).toThrow(TypeError);
    expect(() => fromOrtLike({ type: 'float32', data: new Float32Array(3), dims: [2, 2] })).toThrow(RangeError);
  });

  it('float16 bits and float32ToFloat16Bits agree', () => {
    expect(Array.from(toOrtLike(t, 'float16').data)).toEqual(Array.from(float32ToFloat16Bits(t.data)));
  });
});
