import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32Array, float32ToFloat16BitsArray } from '../src/float16';

describe('float16 bit conversion', () => {
  it('encodes IEEE 754 binary16 reference patterns', () => {
    // Patterns from the binary16 definition: sign | 5-bit exponent (bias 15) | 10-bit fraction.
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite
      [65520, 0x7c00], // halfway to 2^16 rounds (to even) to infinity
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie with zero rounds to even (zero)
      [1.5 * 2 ** -25, 0x0001],
      [1 + 2 ** -11, 0x3c00], // tie between 1 and next: even mantissa stays
      [1 + 3 * 2 ** -11, 0x3c02], // tie rounds up to even
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
    ];
    const bits = float32ToFloat16BitsArray(Float32Array.from(cases.map((c) => c[0])));
    expect([...bits]).toEqual(cases.map((c) => c[1]));
    expect(float32ToFloat16BitsArray(Float32Array.of(Number.NaN))[0] & 0x7c00).toBe(0x7c00);
  });

  it('decodes every non-NaN pattern to a value that re-encodes to itself', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const values = float16BitsToFloat32Array(all);
    const back = float32ToFloat16BitsArray(values);
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (nan) expect(Number.isNaN(values[h])).toBe(true);
      else if (back[h] !== h) throw new Error(`pattern ${h.toString(16)} -> ${values[h]} -> ${back[h].toString(16)}`);
    }
    // Closed forms for a normal and a subnormal pattern.
    expect(values[0x3555]).toBeCloseTo((1 + 0x155 / 1024) * 2 ** (0xd - 15), 12);
    expect(values[0x0155]).toBe(0x155 * 2 ** -24);
  });
});
