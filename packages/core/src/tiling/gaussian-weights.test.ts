import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/guidance_tiling.json';
import { featherTileWeights, gaussianTileWeights, type TileMidpoint } from './gaussian-weights';

describe('gaussianTileWeights', () => {
  it.each(fixture.gaussianWeights.map((f) => [`${f.height}x${f.width} ${f.midpoint}`, f] as const))(
    'equals the NumPy weights (%s)',
    (_name, f) => {
      const w = gaussianTileWeights(f.height, f.width, f.midpoint as TileMidpoint);
      expect(w.length).toBe(f.data.length);
      for (let i = 0; i < w.length; i++)
        expect(Math.abs(w[i] - f.data[i])).toBeLessThanOrEqual(1e-6 * f.data[i] + 1e-12);
    },
  );
  it('symmetric weights are flip-symmetric on both axes; the reference ones are not in y', () => {
    const [h, w] = [8, 6];
    const s = gaussianTileWeights(h, w);
    const r = gaussianTileWeights(h, w, 'reference');
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        expect(s[y * w + x]).toBeCloseTo(s[(h - 1 - y) * w + (w - 1 - x)], 12);
        expect(r[y * w + x]).toBeCloseTo(r[y * w + (w - 1 - x)], 12);
      }
    }
    expect(r[0]).toBeLessThan(r[(h - 1) * w]);
  });
});

describe('featherTileWeights', () => {
  it('ramps linearly over the overlap and is flat inside', () => {
    const w = featherTileWeights(7, 10, 3);
    expect(Array.from(w.subarray(30, 40))).toEqual([0.25, 0.5, 0.75, 1, 1, 1, 1, 0.75, 0.5, 0.25].map(Math.fround));
    expect(w[0]).toBeCloseTo(0.0625, 7);
    expect(Array.from(featherTileWeights(2, 2, 0))).toEqual([1, 1, 1, 1]);
  });
});
