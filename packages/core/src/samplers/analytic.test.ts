import { describe, expect, it } from 'vitest';
import { gaussianNoise, type NoiseSource } from '../random/noise';
import { ldmLinearSchedule } from '../schedules/ldm-schedule';
import type { NoiseSchedule } from '../schedules/types';
import { maxAbsDiff } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { gaussianDataOdeEndpoint, gaussianDataPosteriorMean, gaussianDataPredictor } from './gaussian-oracle';
import { sampleWithPredictor } from './loop';
import { createSampler, type SamplerSpec } from './registry';
import type { Predictor, StepPoint } from './types';

// Data x0 ~ N(0.5, 0.3^2) per element: its exact denoiser and ODE flow are closed form
// (gaussian-oracle.ts), so every deviation below is the sampler's own discretisation.
const DATA = { mean: 0.5, std: 0.3 };
const SCHEDULES: [string, NoiseSchedule][] = [
  ['SD linear, epsilon', ldmLinearSchedule()],
  ['zero-SNR, v', ldmLinearSchedule({ prediction: 'v', zeroTerminalSnr: true })],
];

/** Runs a spec on the exact Gaussian predictor and records every evaluation point. */
async function run(spec: SamplerSpec, schedule: NoiseSchedule, steps: number, initial: Tensor, noise: NoiseSource) {
  const exact = gaussianDataPredictor(DATA);
  const points: StepPoint[] = [];
  const predict: Predictor = (x, at) => {
    points.push(at);
    return exact(x, at);
  };
  const out = await sampleWithPredictor({ sampler: createSampler(spec), schedule, steps, noise, initial, predict });
  return { out, points, start: points[0].alphaBar, end: points[points.length - 1].alphaBarNext };
}

/** x_T values covering +-3 sd. */
function grid(n = 61): Tensor {
  return { data: Float32Array.from({ length: n }, (_, i) => -3 + (6 * i) / (n - 1)), shape: [1, 1, 1, n] };
}

/** The largest step count each sampler's discretisation allows (DDIM needs T/k strides inside T). */
const largest = (spec: SamplerSpec) => (spec.kind === 'ddim' ? 500 : 1000);

describe('deterministic samplers follow the probability-flow ODE of Gaussian data', () => {
  const ODE: [string, SamplerSpec][] = [
    ['ddim eta 0', { kind: 'ddim' }],
    ['euler', { kind: 'euler' }],
    ['heun', { kind: 'heun' }],
    ['dpm2', { kind: 'dpm2' }],
    ['dpm++ 2m', { kind: 'dpmpp-2m' }],
    ['dpm-solver++ 2M (VP time)', { kind: 'dpm-solver++' }],
  ];
  for (const [label, schedule] of SCHEDULES) {
    // Heun's first trapezoid step from sigma 1e4 to 14.6 is never refined on the SD schedule: see the next test.
    const cases = ODE.filter(([, spec]) => spec.kind !== 'heun' || schedule.prediction === 'v');
    it.each(cases)(`%s lands on the exact endpoint, closer with more steps (${label})`, async (_n, spec) => {
      const errors: number[] = [];
      for (const steps of [10, 50, 200, largest(spec)]) {
        const x = grid();
        const { out, start, end } = await run(spec, schedule, steps, x, gaussianNoise(1));
        errors.push(maxAbsDiff(out, gaussianDataOdeEndpoint(x, start, end, DATA)));
      }
      expect(errors[1]).toBeLessThan(errors[0]);
      expect(errors[2]).toBeLessThan(errors[1]);
      expect(errors[3]).toBeLessThan(errors[2]);
      expect(errors[3]).toBeLessThan(0.01);
    });
  }

  it("heun keeps the reference's unresolved first step on the SD schedule (sigma 1e4 -> ~14.6)", async () => {
    // Trapezoid on dx/dsigma = sigma (x - mu) / (s^2 + sigma^2) over [14.6, 1e4] misses by ~ sigma_0 s^2 / (2 sigma_1^3) ~ 15 %.
    const [, sd] = SCHEDULES[0];
    const [, zsnr] = SCHEDULES[1];
    const err = async (schedule: NoiseSchedule, steps: number) => {
      const x = grid();
      const { out, start, end } = await run({ kind: 'heun' }, schedule, steps, x, gaussianNoise(1));
      return maxAbsDiff(out, gaussianDataOdeEndpoint(x, start, end, DATA));
    };
    expect(await err(sd, 1000)).toBeGreaterThan(0.1);
    expect(await err(zsnr, 1000)).toBeLessThan(0.01);
  });

  it('EDM samplers end at alphaBar 1 after starting at 1e-8 (sigma 1e4)', async () => {
    const { start, end } = await run({ kind: 'dpm2' }, SCHEDULES[0][1], 10, grid(), gaussianNoise(1));
    expect(end).toBe(1);
    expect(start / 1e-8).toBeCloseTo(1, 12);
  });

  // Every EDM run ends with the jump x = D(x) from the last nonzero sigma; comparing with the
  // exact ODE up to that sigma followed by the exact D isolates the integrator's own order.
  const integrationError = async (spec: SamplerSpec, schedule: NoiseSchedule, steps: number) => {
    const x = grid();
    const { out, points, start } = await run(spec, schedule, steps, x, gaussianNoise(1));
    const last = points[points.length - 1].alphaBar;
    return maxAbsDiff(out, gaussianDataPosteriorMean(gaussianDataOdeEndpoint(x, start, last, DATA), last, DATA));
  };
  for (const [label, schedule] of SCHEDULES) {
    it(`second-order EDM samplers integrate markedly better than euler (${label})`, async () => {
      const euler = await integrationError({ kind: 'euler' }, schedule, 200);
      const second: SamplerSpec[] = [{ kind: 'dpm2' }, { kind: 'dpmpp-2m' }];
      if (schedule.prediction === 'v') second.push({ kind: 'heun' });
      for (const spec of second) expect(await integrationError(spec, schedule, 200)).toBeLessThan(euler / 4);
    });
  }
});

/** Noise whose k-th draw is a unit impulse at element 2 + k (zeros elsewhere). */
function impulses(): NoiseSource & { count: () => number } {
  let k = 0;
  return {
    count: () => k,
    randn(shape) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      data[2 + k++] = 1;
      return { data, shape: [...shape] };
    },
  };
}

/**
 * Exact output moments of a stochastic sampler on Gaussian data. With the exact (affine)
 * denoiser every sampler is elementwise affine in x_T and its noise draws,
 * out = alpha x_T + beta + sum_k gamma_k z_k, so one run over a tensor whose element 0 sees
 * nothing, element 1 sees x_T = 1 and element 2 + k sees only draw k yields alpha, beta, gamma.
 */
async function exactMoments(spec: SamplerSpec, schedule: NoiseSchedule, steps: number) {
  const n = steps + 2;
  const initial: Tensor = { data: new Float32Array(n), shape: [1, n] };
  initial.data[1] = 1;
  const noise = impulses();
  const { out, start, end } = await run(spec, schedule, steps, initial, noise);
  const beta = out.data[0];
  const alpha = out.data[1] - beta;
  let gamma2 = 0;
  for (let k = 0; k < noise.count(); k++) gamma2 += (out.data[2 + k] - beta) ** 2;
  // x_T starts from the exact marginal at the run's first noise level.
  const mT = Math.sqrt(start) * DATA.mean;
  const vT = start * DATA.std ** 2 + 1 - start;
  return {
    mean: alpha * mT + beta,
    variance: alpha * alpha * vT + gamma2,
    target: { mean: Math.sqrt(end) * DATA.mean, variance: end * DATA.std ** 2 + 1 - end },
    start,
  };
}

const STOCHASTIC: [string, SamplerSpec, number][] = [
  // [name, spec, largest relative variance deficit allowed at the largest step count]
  ['spaced DDPM', { kind: 'spaced' }, 0.05],
  ['ddim eta 1', { kind: 'ddim', eta: 1 }, 0.06],
  ['euler ancestral', { kind: 'euler-ancestral' }, 0.05],
  ['euler with churn', { kind: 'euler', sChurn: 40, sTmax: 1e5 }, 0.05],
  ['dpm++ 2m sde', { kind: 'dpmpp-2m-sde' }, 0.005],
  ['dpm++ 3m sde', { kind: 'dpmpp-3m-sde' }, 0.006],
];

describe('stochastic samplers reproduce the data distribution', () => {
  for (const [label, schedule] of SCHEDULES) {
    it.each(STOCHASTIC)(`%s: exact output moments converge to N(mu, s^2) (${label})`, async (_n, spec, tol) => {
      const deficits: number[] = [];
      for (const steps of [50, 200, largest(spec)]) {
        const m = await exactMoments(spec, schedule, steps);
        // The mean is exact at any step count: the ancestral updates are unbiased for a Gaussian.
        expect(Math.abs(m.mean - m.target.mean)).toBeLessThan(1e-5);
        deficits.push(Math.abs(m.variance - m.target.variance) / m.target.variance);
      }
      // Ancestral sampling with E[x0|x_t] drops coef^2 Var(x0|x_t) per step: a deficit that shrinks with steps.
      expect(deficits[1]).toBeLessThan(deficits[0]);
      expect(deficits[2]).toBeLessThan(deficits[1]);
      expect(deficits[2]).toBeLessThan(tol);
    });

    it.each(STOCHASTIC)(
      `%s: a seeded run matches those moments within 4 standard errors (${label})`,
      async (_n, spec) => {
        const steps = 50;
        const m = await exactMoments(spec, schedule, steps);
        const z = gaussianNoise(99).randn([4, 1, 64, 64]);
        const sdT = Math.sqrt(m.start * DATA.std ** 2 + 1 - m.start);
        const initial = { data: z.data.map((v) => Math.sqrt(m.start) * DATA.mean + sdT * v), shape: z.shape };
        const { out } = await run(spec, schedule, steps, initial, gaussianNoise(7));
        const n = out.data.length;
        let s = 0;
        for (const v of out.data) s += v;
        const mean = s / n;
        let q = 0;
        for (const v of out.data) q += (v - mean) ** 2;
        const variance = q / (n - 1);
        expect(Math.abs(mean - m.mean)).toBeLessThan(4 * Math.sqrt(m.variance / n));
        expect(Math.abs(variance - m.variance)).toBeLessThan(4 * m.variance * Math.sqrt(2 / (n - 1)));
      },
    );
  }
});
