import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/schedules.json';
import { gaussianNoise } from '../random/noise';
import { maxAbsDiff } from '../tensor/ops';
import { alphasCumprodFromBetas, betaSchedule, betasFromAlphasCumprod } from './beta-schedule';
import { ldmLinearSchedule, noiseScheduleFromAlphasCumprod } from './ldm-schedule';
import {
  epsilonFromV,
  epsilonFromX0,
  predictionFromX0Epsilon,
  vFromX0Epsilon,
  x0EpsilonFromPrediction,
  x0FromEpsilon,
  x0FromV,
} from './prediction';
import { qSample } from './q-sample';
import { alphaBarFromSigma, nearestTimestepForSigma, scheduleSigmas, sigmaFromAlphaBar } from './sigmas';
import { rescaleZeroTerminalSnr } from './zero-terminal-snr';

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-300));
  return m;
}

describe('beta schedules against NumPy (tools/fixtures/gen_schedules.py)', () => {
  it.each(['linear', 'scaled_linear', 'cosine'] as const)('%s alphas_cumprod to 1e-12', (kind) => {
    const ab = alphasCumprodFromBetas(betaSchedule(kind));
    expect(maxRelDiff(ab, fixture.alphasCumprod[kind])).toBeLessThan(1e-12);
  });

  it('ldmLinearSchedule is the scaled_linear one: alpha_bar[999] = 0.00466, sigma_max 14.61', () => {
    const s = ldmLinearSchedule();
    expect(s.prediction).toBe('epsilon');
    expect(s.alphasCumprod.length).toBe(1000);
    expect(maxRelDiff(s.alphasCumprod, fixture.alphasCumprod.scaled_linear)).toBeLessThan(1e-12);
    expect(s.alphasCumprod[999]).toBeCloseTo(0.00466, 5);
    expect(sigmaFromAlphaBar(s.alphasCumprod[999])).toBeCloseTo(14.61, 2);
  });

  it('zero terminal SNR to 1e-12, alpha_bar[999] = 0 exactly, alpha_bar[0] unchanged', () => {
    const s = ldmLinearSchedule({ prediction: 'v', zeroTerminalSnr: true });
    expect(s.prediction).toBe('v');
    const ref = fixture.alphasCumprodZeroSnr;
    let m = 0;
    for (let i = 0; i < 1000; i++) m = Math.max(m, Math.abs(s.alphasCumprod[i] - ref[i]));
    expect(m).toBeLessThan(1e-12);
    expect(maxRelDiff(s.alphasCumprod.subarray(0, 999), ref.slice(0, 999))).toBeLessThan(1e-10);
    expect(s.alphasCumprod[999]).toBe(0);
    expect(s.alphasCumprod[0]).toBeCloseTo(ldmLinearSchedule().alphasCumprod[0], 15);
    // Rebuilt betas end at exactly 1 and reproduce the table.
    const betas = betasFromAlphasCumprod(s.alphasCumprod);
    expect(betas[999]).toBe(1);
    expect(maxRelDiff(alphasCumprodFromBetas(betas).subarray(0, 999), ref.slice(0, 999))).toBeLessThan(1e-12);
  });

  it('rescaleZeroTerminalSnr rejects tables it cannot rescale', () => {
    expect(() => rescaleZeroTerminalSnr([0.5])).toThrow(RangeError);
    expect(() => rescaleZeroTerminalSnr([0.5, 0.5])).toThrow(RangeError);
  });

  it('noiseScheduleFromAlphasCumprod validates its table', () => {
    expect(() => noiseScheduleFromAlphasCumprod([0.9, 0.95])).toThrow(/increases/);
    expect(() => noiseScheduleFromAlphasCumprod([1.2, 0.5])).toThrow(/outside/);
    expect(noiseScheduleFromAlphasCumprod([0.9, 0.5], 'v').prediction).toBe('v');
  });

  it('betaSchedule honours its options', () => {
    const b = betaSchedule('linear', { steps: 5, betaStart: 0.1, betaEnd: 0.5 });
    [0.1, 0.2, 0.3, 0.4, 0.5].forEach((v, i) => {
      expect(b[i]).toBeCloseTo(v, 15);
    });
    const scaled = betaSchedule('scaled_linear', { steps: 3, betaStart: 0.01, betaEnd: 0.09 });
    [0.01, 0.04, 0.09].forEach((v, i) => {
      expect(scaled[i]).toBeCloseTo(v, 15);
    });
    expect(() => betaSchedule('linear', { steps: 0 })).toThrow(RangeError);
  });
});

describe('prediction conversions', () => {
  const noise = gaussianNoise(3);
  const x0 = noise.randn([2, 3, 4]);
  const eps = noise.randn([2, 3, 4]);
  for (const ab of [0.9991, 0.5, 0.0047, 1e-8]) {
    it(`recover x0 and eps from epsilon, v and x0 outputs at alphaBar ${ab}`, () => {
      const x = {
        data: x0.data.map((v, i) => Math.sqrt(ab) * v + Math.sqrt(1 - ab) * eps.data[i]),
        shape: x0.shape,
      };
      const v = { data: x0.data.map((a, i) => Math.sqrt(ab) * eps.data[i] - Math.sqrt(1 - ab) * a), shape: x0.shape };
      const tol = 1e-5 / Math.sqrt(ab);
      expect(maxAbsDiff(x0FromEpsilon(x, eps, ab), x0)).toBeLessThan(tol);
      expect(maxAbsDiff(x0FromV(x, v, ab), x0)).toBeLessThan(1e-5);
      expect(maxAbsDiff(epsilonFromV(x, v, ab), eps)).toBeLessThan(1e-5);
      expect(maxAbsDiff(epsilonFromX0(x, x0, ab), eps)).toBeLessThan(1e-5 / Math.sqrt(1 - ab));
      expect(maxAbsDiff(vFromX0Epsilon(x0, eps, ab), v)).toBeLessThan(1e-5);
      for (const type of ['epsilon', 'v', 'x0'] as const) {
        const raw = predictionFromX0Epsilon(x0, eps, ab, type);
        const back = x0EpsilonFromPrediction(raw, x, ab, type);
        expect(maxAbsDiff(back.x0, x0)).toBeLessThan(type === 'epsilon' ? tol : 1e-5);
        expect(maxAbsDiff(back.eps, eps)).toBeLessThan(type === 'x0' ? 1e-5 / Math.sqrt(1 - ab) : 1e-5);
      }
    });
  }

  it('at zero SNR v still gives x0 = -v, epsilon cannot', () => {
    const x = noise.randn([4]);
    const v = noise.randn([4]);
    expect(Array.from(x0FromV(x, v, 0).data)).toEqual(Array.from(v.data, (a) => -a || 0));
    expect(Array.from(epsilonFromV(x, v, 0).data)).toEqual(Array.from(x.data));
    expect(() => x0FromEpsilon(x, v, 0)).toThrow(/zero SNR/);
    expect(() => x0FromV(x, v, 1.5)).toThrow(RangeError);
  });
});

describe('sigmas and timesteps', () => {
  it('sigma <-> alphaBar', () => {
    expect(sigmaFromAlphaBar(1e-8)).toBeCloseTo(1e4, 3);
    expect(sigmaFromAlphaBar(0)).toBe(Number.POSITIVE_INFINITY);
    expect(alphaBarFromSigma(sigmaFromAlphaBar(0.3))).toBeCloseTo(0.3, 15);
  });

  it('nearest timestep in log sigma (k-diffusion quantisation)', () => {
    const table = scheduleSigmas(ldmLinearSchedule());
    for (const t of [0, 1, 57, 500, 998, 999]) expect(nearestTimestepForSigma(table, table[t])).toBe(t);
    // Halfway in log space between two entries rounds to one of them; slightly off goes to the nearer.
    const mid = Math.sqrt(table[300] * table[301]);
    expect(nearestTimestepForSigma(table, mid * 1.0001)).toBe(301);
    expect(nearestTimestepForSigma(table, mid / 1.0001)).toBe(300);
    expect(nearestTimestepForSigma(table, 1e4)).toBe(999);
    expect(nearestTimestepForSigma(table, 0)).toBe(0);
  });

  it('zero-SNR table: sigma 1e4 maps to 999 despite sigma[999] = Infinity', () => {
    const table = scheduleSigmas(ldmLinearSchedule({ zeroTerminalSnr: true }));
    expect(table[999]).toBe(Number.POSITIVE_INFINITY);
    expect(nearestTimestepForSigma(table, 1e4)).toBe(999);
    expect(nearestTimestepForSigma(table, table[998])).toBe(998);
    expect(nearestTimestepForSigma(table, 18.13)).toBe(899);
  });

  it('qSample noises to a training step', () => {
    const s = ldmLinearSchedule();
    const x0 = { data: new Float32Array([1, -1]), shape: [2] };
    const n = { data: new Float32Array([0.5, 2]), shape: [2] };
    const out = qSample(s, x0, 999, n);
    const a = Math.sqrt(0.00466009851);
    const b = Math.sqrt(1 - 0.00466009851);
    expect(out.data[0]).toBeCloseTo(a + 0.5 * b, 6);
    expect(out.data[1]).toBeCloseTo(-a + 2 * b, 6);
    expect(() => qSample(s, x0, 1000, n)).toThrow(RangeError);
  });
});
