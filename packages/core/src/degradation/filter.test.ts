import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/degradation.json';
import { createRng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import { filter2dReflect, filterSeparableReflect, reflectIndex } from './filter';
import { type BlurKernel, gaussianKernel, padKernel, pulseKernel, sincKernel } from './kernels';

const image = (name: keyof typeof fixture.images): Tensor => {
  const im = fixture.images[name];
  return { data: Float32Array.from(im.data), shape: im.shape };
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Plain O(k^2) reference with explicit reflect indexing, for cross-checking the blocked loops. */
function naiveFilter(img: Tensor, k: BlurKernel): Float64Array {
  const [n, c, h, w] = img.shape;
  const r = (k.size - 1) / 2;
  const out = new Float64Array(img.data.length);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let i = 0; i < k.size; i++) {
          for (let j = 0; j < k.size; j++) {
            s +=
              k.data[i * k.size + j] *
              img.data[p * h * w + reflectIndex(y + i - r, h) * w + reflectIndex(x + j - r, w)];
          }
        }
        out[p * h * w + y * w + x] = s;
      }
    }
  }
  return out;
}

describe('reflectIndex', () => {
  it('reflects without repeating the edge and folds periodically', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 4))).toEqual([3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect(reflectIndex(-7, 4)).toBe(1);
    expect(reflectIndex(5, 1)).toBe(0);
  });
});

describe('filter2dReflect', () => {
  it('matches scipy.ndimage.correlate(mode="mirror") for direct, separable and oversized kernels', () => {
    for (const c of fixture.filter) {
      const kernel = { size: c.size, data: Float64Array.from(c.kernel) };
      const out = filter2dReflect(image(c.input as 'filter' | 'small'), kernel);
      expect(maxDiff(out.data, c.output), c.name).toBeLessThan(2e-7);
    }
  });

  it('blocked loops equal a naive loop on odd sizes (row-pair and 4-column tails)', () => {
    const rng = createRng(3);
    for (const [h, w] of [
      [7, 9],
      [12, 13],
      [1, 5],
      [3, 2],
    ]) {
      const img: Tensor = { data: Float32Array.from({ length: 2 * h * w }, () => rng.uniform()), shape: [1, 2, h, w] };
      for (const k of [gaussianKernel(5, { sigmaX: 1.4, sigmaY: 0.6, theta: 0.7 }), sincKernel(7, 1.1)]) {
        expect(maxDiff(filter2dReflect(img, k).data, naiveFilter(img, k))).toBeLessThan(1e-6);
      }
    }
  });

  it('keeps a constant image constant and the pulse is the identity', () => {
    const flat: Tensor = { data: new Float32Array(3 * 11 * 14).fill(0.37), shape: [1, 3, 11, 14] };
    for (const k of [gaussianKernel(21, { sigmaX: 3, sigmaY: 1, theta: 0.3 }), sincKernel(13, 1.5)]) {
      expect(maxDiff(filter2dReflect(flat, k).data, flat.data)).toBeLessThan(1e-6);
    }
    const img = image('filter');
    expect(Array.from(filter2dReflect(img, pulseKernel(21)).data)).toEqual(Array.from(img.data));
  });

  it('zero-padding the kernel to 21 does not change the result', () => {
    const img = image('filter');
    const k = gaussianKernel(7, { sigmaX: 1.6, sigmaY: 0.7, theta: 0.4 });
    expect(maxDiff(filter2dReflect(img, padKernel(k, 21)).data, filter2dReflect(img, k).data)).toBe(0);
  });

  it('the separable path equals the direct sum with the outer-product kernel', () => {
    const img = image('filter');
    const v = Float64Array.from([0.1, 0.2, 0.4, 0.2, 0.1]);
    const hz = Float64Array.from([0.05, 0.25, 0.4, 0.25, 0.05]);
    const outer = { size: 5, data: Float64Array.from({ length: 25 }, (_, i) => v[Math.floor(i / 5)] * hz[i % 5]) };
    expect(maxDiff(filterSeparableReflect(img, v, hz).data, naiveFilter(img, outer))).toBeLessThan(1e-6);
  });
});
