import { describe, expect, it } from 'vitest';
import { fixtureTensor, fixtureUint16, imageOps } from '../../test/fixtures/image-ops-fixture';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16';

const toBits = (...v: number[]) => Array.from(float32ToFloat16Bits(Float32Array.from(v)));
const fromBits = (...b: number[]) => Array.from(float16BitsToFloat32(Uint16Array.from(b)));

describe('float16 bit patterns', () => {
  it('encodes the IEEE 754 landmarks', () => {
    expect(toBits(1, -2, 65504, 2 ** -24, 2 ** -14, 0.5, 0.333251953125)).toEqual([
      0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x3800, 0x3555,
    ]);
    expect(toBits(0, -0)).toEqual([0x0000, 0x8000]);
    expect(toBits(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e6, -70000)).toEqual([
      0x7c00, 0xfc00, 0x7c00, 0xfc00,
    ]);
    const nan = toBits(Number.NaN)[0];
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
  });

  it('decodes the landmarks', () => {
    expect(fromBits(0x3c00, 0x7bff, 0x0001, 0x03ff, 0x0400, 0xc000)).toEqual([
      1,
      65504,
      2 ** -24,
      1023 * 2 ** -24,
      2 ** -14,
      -2,
    ]);
    const [pz, nz, inf, ninf, nan] = fromBits(0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00);
    expect(Object.is(pz, 0)).toBe(true);
    expect(Object.is(nz, -0)).toBe(true);
    expect(inf).toBe(Number.POSITIVE_INFINITY);
    expect(ninf).toBe(Number.NEGATIVE_INFINITY);
    expect(nan).toBeNaN();
  });

  it('round-trips all 65536 patterns (NaNs stay NaN)', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const values = float16BitsToFloat32(all);
    const back = float32ToFloat16Bits(values);
    for (let h = 0; h < 65536; h++) {
      const nanPattern = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (nanPattern) {
        expect(Number.isNaN(values[h])).toBe(true);
        expect(back[h] & 0x7c00).toBe(0x7c00);
        expect(back[h] & 0x3ff).not.toBe(0);
      } else if (back[h] !== h) {
        throw new Error(`pattern ${h.toString(16)} came back as ${back[h].toString(16)}`);
      }
    }
  });

  it('decodes every finite pattern to its closed-form value', () => {
    for (let h = 0; h < 0x7c00; h += 7) {
      const e = h >> 10;
      const m = h & 0x3ff;
      const want = e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
      expect(fromBits(h)[0]).toBe(want);
      expect(fromBits(h | 0x8000)[0]).toBe(-want);
    }
  });

  it('rounds halfway cases to even', () => {
    // 1 + 2^-11 lies halfway between 0x3c00 (even) and 0x3c01; 1 + 3*2^-11 between 0x3c01 and 0x3c02 (even)
    expect(toBits(1 + 2 ** -11, 1 + 3 * 2 ** -11)).toEqual([0x3c00, 0x3c02]);
    // just above the tie goes up
    expect(toBits(1 + 2 ** -11 + 2 ** -20)).toEqual([0x3c01]);
    // subnormal ties: 0.5 and 1.5 units of 2^-24, and 2^-25 exactly -> 0
    expect(toBits(2 ** -25, 3 * 2 ** -25, 5 * 2 ** -25)).toEqual([0x0000, 0x0002, 0x0002]);
    // 65520 is the tie between 65504 and 2^16: even side is Inf
    expect(toBits(65519.99609375, 65520)).toEqual([0x7bff, 0x7c00]);
    // the largest subnormal rounds up into the smallest normal
    expect(toBits(2 ** -14 - 2 ** -26)).toEqual([0x0400]);
  });

  it('agrees with numpy astype(float16) on random magnitudes and ties', () => {
    const input = fixtureTensor(imageOps.float16.input).data;
    const want = fixtureUint16(imageOps.float16.bits);
    const got = float32ToFloat16Bits(input);
    expect(input.length).toBeGreaterThan(3000);
    let mismatches = 0;
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('reads a subarray view correctly', () => {
    const f = Float32Array.from([7, 1, -2]);
    expect(Array.from(float32ToFloat16Bits(f.subarray(1)))).toEqual([0x3c00, 0xc000]);
  });
});
