import { describe, expect, it } from 'vitest';
import { fixtureTensor, imageOps } from '../../test/fixtures/image-ops-fixture';
import type { Tensor } from '../tensor/tensor';
import { psnr, psnrY } from './psnr';
import { ssim, ssimY } from './ssim';

interface MetricCase {
  crop: number;
  quantize: boolean;
  psnrY: number[];
  ssimY: number[];
  psnr: number[];
  ssim: number[];
}

const a = fixtureTensor(imageOps.metrics.a);
const b = fixtureTensor(imageOps.metrics.b);
const meanOf = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const first = (t: Tensor): Tensor => ({ data: t.data.subarray(0, t.data.length / 2), shape: [1, ...t.shape.slice(1)] });

describe('PSNR / SSIM against the BasicSR formulas (NumPy + SciPy correlate2d valid)', () => {
  it.each((imageOps.metrics.cases as MetricCase[]).map((c) => [c.crop, c.quantize, c] as const))(
    'crop %i, quantize %s',
    (crop, quantize, c) => {
      const opts = { crop, quantize };
      // batch of two: the mean of the per-image values
      expect(psnrY(a, b, opts)).toBeCloseTo(meanOf(c.psnrY), 9);
      expect(ssimY(a, b, opts)).toBeCloseTo(meanOf(c.ssimY), 9);
      expect(psnrY(first(a), first(b), opts)).toBeCloseTo(c.psnrY[0], 9);
      expect(ssimY(first(a), first(b), opts)).toBeCloseTo(c.ssimY[0], 9);
      if (!quantize) {
        expect(psnr(a, b, { crop })).toBeCloseTo(meanOf(c.psnr), 9);
        expect(ssim(a, b, { crop })).toBeCloseTo(meanOf(c.ssim), 9);
        // scaling data and peak together changes nothing
        const a255 = { data: a.data.map((v) => v * 255), shape: a.shape };
        const b255 = { data: b.data.map((v) => v * 255), shape: b.shape };
        expect(ssim(a255, b255, { crop, max: 255 })).toBeCloseTo(meanOf(c.ssim), 6);
      }
    },
  );
});

describe('metric closed forms', () => {
  const img = (v: (i: number) => number, shape = [1, 3, 16, 16]): Tensor => ({
    data: Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => v(i)),
    shape,
  });

  it('identical images: PSNR infinite, SSIM 1', () => {
    const x = img((i) => ((i * 37) % 101) / 101);
    expect(psnrY(x, x)).toBe(Number.POSITIVE_INFINITY);
    expect(psnr(x, x)).toBe(Number.POSITIVE_INFINITY);
    expect(ssimY(x, x)).toBeCloseTo(1, 12);
    expect(ssim(x, x)).toBeCloseTo(1, 12);
  });

  it('a constant offset gives the textbook values', () => {
    // (values exact in float32) gray offset d in [0,1] moves Y by 219 d: PSNR = 20 log10(255 / (219 d))
    const x = img(() => 0.375);
    const y = img(() => 0.5);
    expect(psnrY(x, y)).toBeCloseTo(20 * Math.log10(255 / (219 * 0.125)), 9);
    expect(psnr(x, y)).toBeCloseTo(20 * Math.log10(8), 9);
    // flat images: SSIM = (2 m1 m2 + C1) / (m1^2 + m2^2 + C1)
    const m1 = 16 + 219 * 0.375;
    const m2 = 16 + 219 * 0.5;
    const c1 = (0.01 * 255) ** 2;
    expect(ssimY(x, y)).toBeCloseTo((2 * m1 * m2 + c1) / (m1 * m1 + m2 * m2 + c1), 9);
  });

  it('crop removes the border before measuring', () => {
    const x = img(() => 0.5);
    const y = img((i) => {
      const r = Math.floor((i % 256) / 16);
      const c = i % 16;
      return r < 2 || r > 13 || c < 2 || c > 13 ? 0 : 0.5;
    });
    expect(psnrY(x, y, { crop: 2 })).toBe(Number.POSITIVE_INFINITY);
    expect(psnrY(x, y)).toBeLessThan(20);
  });

  it('rejects mismatched shapes, too small windows and over-large crops', () => {
    const x = img(() => 0.5);
    expect(() =>
      psnrY(
        x,
        img(() => 0.5, [1, 3, 16, 15]),
      ),
    ).toThrow(RangeError);
    expect(() => ssimY(x, x, { crop: 3 })).toThrow(/11x11/);
    expect(() => psnrY(x, x, { crop: 8 })).toThrow(RangeError);
    expect(() =>
      psnrY(
        img(() => 0, [1, 1, 16, 16]),
        img(() => 0, [1, 1, 16, 16]),
      ),
    ).toThrow(/3 channels/);
  });
});
