import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor/tensor';
import { checkGraphFeeds, fromGraphOutput, toGraphFeed } from './feeds';
import type { ValueInfo } from './types';

const t = (values: number[], shape = [values.length]) => tensor(Float32Array.from(values), shape);

describe('toGraphFeed', () => {
  it('passes float32 through without a copy', () => {
    const x = t([1, 2, 3]);
    const f = toGraphFeed(x, 'float32');
    expect(f.type).toBe('float32');
    expect(f.data).toBe(x.data);
    expect(f.dims).toEqual([3]);
  });

  it('encodes float16 as IEEE half bits (values from the binary16 definition)', () => {
    // 1 = 0x3c00, -2 = 0xc000, 65504 (largest half) = 0x7bff, 2^-24 (smallest subnormal) = 0x0001,
    // 1 + 2^-11 is a tie between 1 and 1 + 2^-10 and rounds to even (1)
    const f = toGraphFeed(t([1, -2, 65504, 2 ** -24, 1 + 2 ** -11, 0.5]), 'float16');
    expect(f.type).toBe('float16');
    expect(Array.from(f.data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3c00, 0x3800]);
  });

  it('makes int64 BigInts and refuses non-integers and values float32 cannot hold exactly', () => {
    const f = toGraphFeed(t([3, 0, -7, 49407], [2, 2]), 'int64', 'ids');
    expect(f.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(f.data as BigInt64Array)).toEqual([3n, 0n, -7n, 49407n]);
    expect(f.dims).toEqual([2, 2]);
    expect(() => toGraphFeed(t([1, 2.5]), 'int64', 'ids')).toThrow(/'ids' is int64.*element 1 is 2.5/);
    expect(() => toGraphFeed(t([2 ** 25]), 'int64', 'ids')).toThrow(/out of range/);
  });

  it('converts int32, uint8 (range-checked) and bool', () => {
    expect(Array.from(toGraphFeed(t([-5, 6]), 'int32').data as Int32Array)).toEqual([-5, 6]);
    expect(Array.from(toGraphFeed(t([0, 255]), 'uint8').data as Uint8Array)).toEqual([0, 255]);
    expect(() => toGraphFeed(t([256]), 'uint8')).toThrow(/out of range/);
    expect(() => toGraphFeed(t([-1]), 'uint8')).toThrow(/out of range/);
    expect(Array.from(toGraphFeed(t([0, -0.5, 2, 0]), 'bool').data as Uint8Array)).toEqual([0, 1, 1, 0]);
  });
});

describe('fromGraphOutput', () => {
  it('decodes float16 bits, int64 and uint8/bool to float32', () => {
    const half = fromGraphOutput('float16', Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001]), [2, 2]);
    expect(Array.from(half.data)).toEqual([1, -2, 65504, 2 ** -24]);
    expect(half.shape).toEqual([2, 2]);
    expect(Array.from(fromGraphOutput('int64', BigInt64Array.from([5n, -3n]), [2]).data)).toEqual([5, -3]);
    expect(Array.from(fromGraphOutput('bool', Uint8Array.from([1, 0]), [2]).data)).toEqual([1, 0]);
  });

  it('copies float32 (the runtime may reuse its buffer)', () => {
    const data = Float32Array.from([1, 2]);
    const out = fromGraphOutput('float32', data, [2]);
    expect(out.data).not.toBe(data);
    expect(Array.from(out.data)).toEqual([1, 2]);
  });

  it('names the output when it cannot convert', () => {
    expect(() => fromGraphOutput('string', ['a'], [1], 'text')).toThrow(/output 'text'/);
    expect(() => fromGraphOutput('float32', new Float32Array(3), [2], 'y')).toThrow(/output 'y'/);
  });
});

describe('checkGraphFeeds', () => {
  const inputs: ValueInfo[] = [
    { name: 'x', type: 'float32', shape: ['batch', 3, null, null] },
    { name: 't', type: 'int64', shape: [1] },
  ];
  it('accepts feeds that fit, dynamic dimensions free', () => {
    expect(() => checkGraphFeeds(inputs, { x: t(new Array(24).fill(0), [2, 3, 2, 2]), t: t([5]) })).not.toThrow();
  });
  it('lists missing, unknown and misshaped inputs together', () => {
    const bad = { x: t(new Array(8).fill(0), [1, 2, 2, 2]), z: t([1]) };
    expect(() => checkGraphFeeds(inputs, bad, 'unet.onnx')).toThrow(
      /unet\.onnx: missing input\(s\) t; unknown input\(s\) z; input 'x' has shape \[1, 2, 2, 2\], the graph wants \[batch, 3, \?, \?\]/,
    );
  });
});
