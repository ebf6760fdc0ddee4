import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import { addGaussianNoise, addPoissonNoise, GRAY_NOISE_LUMA } from './noise';
import { POISSON_INVERSION_LIMIT, poissonSampler, samplePoisson } from './poisson';

const constant = (value: number, h: number, w: number, c = 3): Tensor => ({
  data: new Float32Array(c * h * w).fill(value),
  shape: [1, c, h, w],
});
function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  const mean = s / values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return { mean, variance: v / (values.length - 1) };
}

describe('Poisson sampler', () => {
  // Mean and variance both equal lambda; tolerances are 5 standard errors
  // (SE(mean) = sqrt(lambda / n), SE(var) ~ sqrt((2 lambda^2 + lambda) / n)).
  it.each([0.3, 4.2, 9.99, 10, 57.5, 255, 499, 500, 1500])('lambda = %f has mean and variance lambda', (lambda) => {
    const n = 40000;
    const rng = createRng(Math.round(lambda * 100));
    const sample = poissonSampler(lambda);
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = sample(rng);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    const { mean, variance } = moments(xs);
    expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
    expect(Math.abs(variance - lambda)).toBeLessThan(5 * Math.sqrt((2 * lambda * lambda + lambda) / n));
  });

  it('follows the pmf (chi-square) for small and PTRS-range means', () => {
    for (const lambda of [2.5, 700]) {
      const n = 30000;
      const rng = createRng(77);
      const counts = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const k = samplePoisson(rng, lambda);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      // Bins with expected count >= 20, pooled tails; chi-square vs its df with a generous 5-sigma bound.
      const logPmf = (k: number) => {
        let lf = 0;
        for (let j = 2; j <= k; j++) lf += Math.log(j);
        return -lambda + k * Math.log(lambda) - lf;
      };
      let chi = 0;
      let df = -1;
      const lo = Math.max(0, Math.floor(lambda - 4 * Math.sqrt(lambda)));
      const hi = Math.ceil(lambda + 4 * Math.sqrt(lambda));
      for (let k = lo; k <= hi; k++) {
        const expected = n * Math.exp(logPmf(k));
        if (expected < 20) continue;
        chi += ((counts.get(k) ?? 0) - expected) ** 2 / expected;
        df++;
      }
      expect(chi).toBeLessThan(df + 5 * Math.sqrt(2 * df));
    }
    expect(POISSON_INVERSION_LIMIT).toBeLessThan(700);
  });

  it('lambda = 0 gives 0 and invalid means throw', () => {
    expect(samplePoisson(createRng(1), 0)).toBe(0);
    expect(() => samplePoisson(createRng(1), -1)).toThrow(RangeError);
    expect(() => samplePoisson(createRng(1), Number.NaN)).toThrow(RangeError);
  });
});

describe('addGaussianNoise', () => {
  const H = 200;
  const W = 200;
  const sigma = 12 / 255;

  it('colour noise has mean ~0 and std ~sigma, independent across channels', () => {
    const img = constant(0.5, H, W);
    const out = addGaussianNoise(img, sigma, createRng(1));
    const noise = out.data.map((v) => v - 0.5);
    const { mean, variance } = moments(noise);
    const n = noise.length;
    expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(n));
    // SE of the sample std ~ sigma / sqrt(2n)
    expect(Math.abs(Math.sqrt(variance) - sigma)).toBeLessThan((5 * sigma) / Math.sqrt(2 * n));
    const plane = H * W;
    let same = 0;
    for (let i = 0; i < plane; i++) if (noise[i] === noise[i + plane]) same++;
    expect(same).toBeLessThan(10);
  });

  it('gray noise adds one map to every channel', () => {
    const out = addGaussianNoise(constant(0.5, 50, 60), sigma, createRng(2), { gray: true });
    const plane = 50 * 60;
    let differing = 0;
    for (let i = 0; i < plane; i++) {
      if (out.data[i + plane] !== out.data[i] || out.data[i + 2 * plane] !== out.data[i]) differing++;
    }
    expect(differing).toBe(0);
    const { variance } = moments(out.data.subarray(0, plane).map((v) => v - 0.5));
    expect(Math.abs(Math.sqrt(variance) - sigma)).toBeLessThan((5 * sigma) / Math.sqrt(2 * plane));
  });

  it('clips to [0, 1] by default and not when asked', () => {
    const out = addGaussianNoise(constant(0.99, 40, 40), 0.2, createRng(3));
    expect(Math.max(...out.data)).toBe(1);
    const raw = addGaussianNoise(constant(0.99, 40, 40), 0.2, createRng(3), { clip: false });
    expect(Math.max(...raw.data)).toBeGreaterThan(1);
  });
});

describe('addPoissonNoise', () => {
  it('has variance x / vals * scale^2 with vals = 2^ceil(log2(#levels))', () => {
    // Two levels (x1, x2 on the 8-bit grid) -> 2 unique values -> vals = 2.
    // Many levels (a ramp with 200 distinct values) -> vals = 256.
    const H = 150;
    const W = 200;
    const scale = 1.7;
    const x1 = 100 / 255;
    const x2 = 180 / 255;
    const img = constant(x1, H, W);
    for (let i = 0; i < img.data.length; i += 2) img.data[i] = x2;
    const noisy = addPoissonNoise(img, scale, createRng(9), { clip: false });
    for (const [x, parity] of [
      [x2, 0],
      [x1, 1],
    ]) {
      const noise: number[] = [];
      for (let i = parity; i < img.data.length; i += 2) noise.push(noisy.data[i] - x);
      const { mean, variance } = moments(noise);
      const expectedVar = (x / 2) * scale * scale;
      expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(expectedVar / noise.length));
      expect(Math.abs(variance / expectedVar - 1)).toBeLessThan(5 * Math.sqrt(2 / noise.length) + 0.01);
    }

    const ramp: Tensor = { data: new Float32Array(3 * H * W), shape: [1, 3, H, W] };
    for (let i = 0; i < ramp.data.length; i++) ramp.data[i] = (20 + (i % 200)) / 255;
    const out = addPoissonNoise(ramp, scale, createRng(10), { clip: false });
    // The noise of value x has variance x / 256 * scale^2; pooled over the ramp, E[x] / 256 scale^2.
    let sumSq = 0;
    let sumX = 0;
    for (let i = 0; i < ramp.data.length; i++) {
      sumSq += (out.data[i] - ramp.data[i]) ** 2;
      sumX += ramp.data[i];
    }
    const n = ramp.data.length;
    const expected = (sumX / n / 256) * scale * scale;
    expect(Math.abs(sumSq / n / expected - 1)).toBeLessThan(5 * Math.sqrt(2 / n) + 0.01);
  });

  it('gray variant: one map from the 8-bit luma, shared by the channels', () => {
    const H = 120;
    const W = 120;
    const img: Tensor = { data: new Float32Array(3 * H * W), shape: [1, 3, H, W] };
    const [r, g, b] = [0.8, 0.3, 0.5];
    const plane = H * W;
    img.data.fill(r, 0, plane);
    img.data.fill(g, plane, 2 * plane);
    img.data.fill(b, 2 * plane);
    const out = addPoissonNoise(img, 1, createRng(4), { gray: true, clip: false });
    const noise: number[] = [];
    let spread = 0;
    for (let i = 0; i < plane; i++) {
      const n0 = out.data[i] - r;
      spread = Math.max(spread, Math.abs(out.data[i + plane] - g - n0), Math.abs(out.data[i + 2 * plane] - b - n0));
      noise.push(n0);
    }
    expect(spread).toBeLessThan(1e-6);
    // One luma level -> vals = 1: noise = Poisson(y8) - y8 with variance y8.
    const y8 = Math.round(255 * (GRAY_NOISE_LUMA[0] * r + GRAY_NOISE_LUMA[1] * g + GRAY_NOISE_LUMA[2] * b)) / 255;
    const { variance } = moments(noise);
    expect(Math.abs(variance / y8 - 1)).toBeLessThan(5 * Math.sqrt(2 / plane) + 0.02);
  });

  it('zero scale leaves the image unchanged; clipping keeps [0, 1]', () => {
    const img = constant(0.2, 20, 20);
    expect(Array.from(addPoissonNoise(img, 0, createRng(1)).data)).toEqual(Array.from(img.data));
    const out = addPoissonNoise(constant(0.02, 40, 40), 3, createRng(2));
    expect(Math.min(...out.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out.data)).toBeLessThanOrEqual(1);
  });
});
