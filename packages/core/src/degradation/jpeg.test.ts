import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/degradation.json';
import { createRng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import { JPEG_CHROMA_TABLE, JPEG_LUMA_TABLE, jpegCompress, jpegQualityFactor, scaledJpegTable } from './jpeg';

function psnr(a: Tensor, b: Tensor): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) se += (a.data[i] - b.data[i]) ** 2;
  return 10 * Math.log10(1 / (se / a.data.length));
}

/** Smooth colour gradients with textured luma and a few edges, values in [0, 1]. */
function naturalish(h: number, w: number, seed = 1): Tensor {
  const rng = createRng(seed);
  const data = new Float32Array(3 * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const luma =
        0.45 +
        0.2 * Math.sin(x / 9) * Math.cos(y / 13) +
        0.08 * Math.sin(x * 0.7 + y * 0.3) +
        (x > w / 2 && y < h / 3 ? 0.15 : 0) +
        0.03 * (rng.uniform() - 0.5);
      const tint = [0.06 * Math.cos(y / 20), 0.02 * Math.sin(x / 25), -0.05 * Math.cos((x + y) / 30)];
      for (let c = 0; c < 3; c++) data[(c * h + y) * w + x] = Math.min(1, Math.max(0, luma + tint[c]));
    }
  }
  return { data, shape: [1, 3, h, w] };
}

const gray = (h: number, w: number, f: (y: number, x: number) => number): Tensor => {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(c * h + y) * w + x] = f(y, x);
  return { data, shape: [1, 3, h, w] };
};

describe('quality factor and tables', () => {
  it('follows (q < 50 ? 5000/q : 200 - 2q) / 100', () => {
    expect(jpegQualityFactor(50)).toBe(1);
    expect(jpegQualityFactor(25)).toBe(2);
    expect(jpegQualityFactor(75)).toBe(0.5);
    expect(jpegQualityFactor(37.5)).toBeCloseTo(5000 / 37.5 / 100, 14);
    expect(jpegQualityFactor(100)).toBe(0);
    expect(() => jpegQualityFactor(0)).toThrow(RangeError);
  });
  it('uses the transposed standard luma table and the standard chroma table, floored at 1', () => {
    // Standard luma table row 0 is 16 11 10 16 ...; column 0 is 16 12 14 14 ...
    expect(JPEG_LUMA_TABLE.slice(0, 4)).toEqual([16, 12, 14, 14]);
    expect(JPEG_LUMA_TABLE[8]).toBe(11);
    expect(JPEG_CHROMA_TABLE.slice(0, 5)).toEqual([17, 18, 24, 47, 99]);
    expect(Array.from(scaledJpegTable(JPEG_LUMA_TABLE, 75).slice(0, 2))).toEqual([8, 6]);
    expect(Array.from(scaledJpegTable(JPEG_LUMA_TABLE, 100)).every((v) => v === 1)).toBe(true);
  });
});

describe('jpegCompress', () => {
  it('matches the NumPy DiffJPEG re-implementation (cross-checked with torch) at float qualities', () => {
    const im = fixture.images.jpeg;
    const input: Tensor = { data: Float32Array.from(im.data), shape: im.shape };
    for (const c of fixture.jpeg) {
      const out = jpegCompress(input, c.quality);
      let m = 0;
      for (let i = 0; i < out.data.length; i++) m = Math.max(m, Math.abs(out.data[i] - c.output[i]));
      expect(m, `q=${c.quality}`).toBeLessThan(1e-6);
    }
  });

  it('codes a constant gray block as DC only: 128 + round(8 (g - 128) / Q00) Q00 / 8', () => {
    for (const [g, q] of [
      [165.3, 50],
      [40.2, 30],
      [201.7, 87.5],
    ]) {
      const Q = Math.max(1, 16 * jpegQualityFactor(q));
      const expected = (128 + (Math.round((8 * (g - 128)) / Q) * Q) / 8) / 255;
      const out = jpegCompress(
        gray(16, 16, () => g / 255),
        q,
      );
      for (const v of out.data) expect(v).toBeCloseTo(expected, 5);
    }
  });

  it('codes a single horizontal cosine into one coefficient quantised by the transposed table entry', () => {
    // f(x) = 128 + A cos((2x + 1) v pi / 16): DCT coefficient F[0][v] = 4 sqrt(2) A, all others 0.
    const A = 30;
    for (const v of [1, 2, 5]) {
      for (const q of [50, 70]) {
        const Q = JPEG_LUMA_TABLE[v] * jpegQualityFactor(q); // row u = 0, column v
        const F = 4 * Math.SQRT2 * A;
        const amplitude = (Math.round(F / Q) * Q) / (4 * Math.SQRT2);
        const basis = (x: number) => Math.cos(((2 * (x % 8) + 1) * v * Math.PI) / 16);
        const out = jpegCompress(
          gray(16, 16, (_y, x) => (128 + A * basis(x)) / 255),
          q,
        );
        for (let y = 0; y < 16; y++) {
          for (let x = 0; x < 16; x++) {
            expect(out.data[y * 16 + x]).toBeCloseTo((128 + amplitude * basis(x)) / 255, 5);
          }
        }
      }
    }
  });

  it('error grows as quality falls (PSNR strictly decreasing over 95, 80, 60, 40, 20, 10)', () => {
    const img = naturalish(72, 88);
    const values = [95, 80, 60, 40, 20, 10].map((q) => psnr(img, jpegCompress(img, q)));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThan(values[i - 1]);
    expect(values[values.length - 1]).toBeGreaterThan(20);
  });

  it('quality 100 is nearly lossless (PSNR > 45 dB) and outputs stay in [0, 1]', () => {
    const img = naturalish(64, 64, 2);
    const out = jpegCompress(img, 100);
    expect(psnr(img, out)).toBeGreaterThan(45);
    const harsh = jpegCompress(img, 5);
    expect(Math.min(...harsh.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...harsh.data)).toBeLessThanOrEqual(1);
  });

  it('pads sizes that are not multiples of 16 (zero by default, or replicate) and crops back', () => {
    const img = naturalish(21, 30, 3);
    const zero = jpegCompress(img, 60);
    const rep = jpegCompress(img, 60, { pad: 'replicate' });
    expect(zero.shape).toEqual([1, 3, 21, 30]);
    expect(rep.shape).toEqual([1, 3, 21, 30]);
    // Zero padding darkens the last block row (dark bleed); replication does not.
    const lastRowMean = (t: Tensor) => {
      let s = 0;
      for (let x = 0; x < 30; x++) s += t.data[20 * 30 + x];
      return s / 30;
    };
    expect(lastRowMean(rep) - lastRowMean(zero)).toBeGreaterThan(0.005);
    expect(psnr(img, rep)).toBeGreaterThan(psnr(img, zero));
  });
});
