import { describe, expect, it } from 'vitest';
import { gaussianNoise } from '../random/noise';
import type { StepPoint } from '../samplers/types';
import type { Tensor } from '../tensor/tensor';
import { likelihoodGuidance } from './likelihood';
import { identityOperator } from './operators/identity';
import { maskOperator } from './operators/mask';
import { guidanceStepCoefficients } from './posterior';

const shape = [1, 2, 4, 6];
const noise = gaussianNoise(21);

// Exact denoiser of a Gaussian prior x0 ~ N(m, s^2 I): E[x0 | x_t].
function gaussianPosteriorMean(x: Tensor, ab: number, m: number, s2: number): Tensor {
  const k = (Math.sqrt(ab) * s2) / (ab * s2 + 1 - ab);
  return { data: x.data.map((v) => m + k * (v - Math.sqrt(ab) * m)), shape: [...x.shape] };
}

describe('guidanceStepCoefficients', () => {
  it('satisfies the DDPM posterior identities', () => {
    for (const [ab, abNext] of [
      [0.004, 0.006],
      [0.3, 0.45],
      [0.9, 0.999],
      [0.999, 1],
    ]) {
      const { coef1, coef2, variance } = guidanceStepCoefficients(ab, abNext);
      // x_t = sqrt(ab) x0 exactly (no noise) must give mean sqrt(abNext) x0.
      expect(coef1 + coef2 * Math.sqrt(ab)).toBeCloseTo(Math.sqrt(abNext), 12);
      // Var(x_next | x0) = coef2^2 (1 - ab) + variance must equal 1 - abNext.
      expect(coef2 * coef2 * (1 - ab) + variance).toBeCloseTo(1 - abNext, 12);
      if (abNext < 1) expect(variance / coef1).toBeCloseTo((1 - abNext) / Math.sqrt(abNext), 12);
    }
  });
});

describe('likelihoodGuidance', () => {
  const ab = 0.35;
  const abNext = 0.42;
  const m = 0.2;
  const s2 = 0.5;
  const x = noise.randn(shape);
  const x0 = gaussianPosteriorMean(x, ab, m, s2);
  const y = noise.randn(shape);
  const point: StepPoint & { x: Tensor } = { step: 4, steps: 10, timestep: 400, alphaBar: ab, alphaBarNext: abNext, x };

  it('A = I, Gaussian prior: the mean becomes mu + Sigma g with g = -2 (mu - y_t)', async () => {
    const out = await likelihoodGuidance({ operator: identityOperator(), measurement: y })(x0, point);
    // Independent float64 evaluation of the paper's step from betas.
    const alpha = ab / abNext;
    const beta = 1 - alpha;
    const c1 = (Math.sqrt(abNext) * beta) / (1 - ab);
    const c2 = (Math.sqrt(alpha) * (1 - abNext)) / (1 - ab);
    const sigma = (beta * (1 - abNext)) / (1 - ab);
    for (let i = 0; i < x.data.length; i++) {
      const eps = (x.data[i] - Math.sqrt(ab) * x0.data[i]) / Math.sqrt(1 - ab);
      const mu = c1 * x0.data[i] + c2 * x.data[i];
      const yt = Math.sqrt(abNext) * y.data[i] + Math.sqrt(1 - abNext) * eps;
      const wantMean = mu + sigma * -2 * (mu - yt);
      expect(c1 * out.data[i] + c2 * x.data[i]).toBeCloseTo(wantMean, 5);
      // Closed form of the x0 correction: -2 (1 - abNext) [(x0 - y) + kappa eps / sqrt(abNext)].
      const kappa = c2 * Math.sqrt(1 - ab) - Math.sqrt(1 - abNext);
      const want = x0.data[i] - 2 * (1 - abNext) * (x0.data[i] - y.data[i] + (kappa * eps) / Math.sqrt(abNext));
      expect(out.data[i]).toBeCloseTo(want, 5);
    }
  });

  it("'current' measurement level uses y_t = sqrt(ab) y + sqrt(1 - ab) eps", async () => {
    const out = await likelihoodGuidance({ operator: identityOperator(), measurement: y, measurementLevel: 'current' })(
      x0,
      point,
    );
    const { coef1, coef2, variance } = guidanceStepCoefficients(ab, abNext);
    for (let i = 0; i < x.data.length; i++) {
      const mu = coef1 * x0.data[i] + coef2 * x.data[i];
      // eps-consistent: sqrt(ab) y + sqrt(1 - ab) eps = x + sqrt(ab) (y - x0)
      const yt = x.data[i] + Math.sqrt(ab) * (y.data[i] - x0.data[i]);
      expect(coef1 * out.data[i] + coef2 * x.data[i]).toBeCloseTo(mu - 2 * variance * (mu - yt), 5);
    }
  });

  it('inpainting: known pixels move toward y, masked-out pixels stay', async () => {
    const mask: Tensor = {
      data: Float32Array.from({ length: 24 }, (_, i) => (i % 6 < 3 ? 1 : 0)),
      shape: [1, 1, 4, 6],
    };
    const truth: Tensor = { data: x0.data.map((v, i) => v + (i % 2 ? 1.5 : -1.5)), shape };
    const A = maskOperator(mask);
    const out = await likelihoodGuidance({ operator: A, measurement: A.apply(truth) })(x0, point);
    for (let i = 0; i < x0.data.length; i++) {
      if (i % 6 < 3) expect(Math.abs(out.data[i] - truth.data[i])).toBeLessThan(Math.abs(x0.data[i] - truth.data[i]));
      else expect(out.data[i]).toBe(x0.data[i]);
    }
  });

  it('over a full DDPM run, pulls samples of a Gaussian prior toward the measurement', async () => {
    // 50 spaced steps of the linear LDM schedule, exact Gaussian-prior denoiser.
    const betas = Array.from(
      { length: 1000 },
      (_, i) => (Math.sqrt(0.00085) + (i / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) ** 2,
    );
    const abTable: number[] = [];
    let prod = 1;
    for (const b of betas) {
      prod *= 1 - b;
      abTable.push(prod);
    }
    const ts = Array.from({ length: 50 }, (_, i) => Math.round((i * 999) / 49)).reverse();
    const truth = noise.randn([1, 1, 8, 8]);
    const run = async (scale: number, measurementLevel: 'next' | 'current' = 'next') => {
      const rng = gaussianNoise(99);
      const guide = likelihoodGuidance({ operator: identityOperator(), measurement: truth, scale, measurementLevel });
      let xt = rng.randn([1, 1, 8, 8]);
      for (let k = 0; k < ts.length; k++) {
        const a = abTable[ts[k]];
        const aNext = k + 1 < ts.length ? abTable[ts[k + 1]] : 1;
        let est = gaussianPosteriorMean(xt, a, 0, 1);
        est = await guide(est, { step: k, steps: 50, timestep: ts[k], alphaBar: a, alphaBarNext: aNext, x: xt });
        const { coef1, coef2, variance } = guidanceStepCoefficients(a, aNext);
        const z = rng.randn([1, 1, 8, 8]);
        xt = {
          data: est.data.map((v, i) => coef1 * v + coef2 * xt.data[i] + Math.sqrt(variance) * z.data[i]),
          shape: xt.shape,
        };
      }
      let err = 0;
      for (let i = 0; i < 64; i++) err += (xt.data[i] - truth.data[i]) ** 2;
      return err / 64;
    };
    const free = await run(0);
    const guided = await run(1);
    const strong = await run(4);
    expect(free).toBeGreaterThan(0.5); // an unguided prior sample is unrelated to truth
    expect(guided).toBeLessThan(0.25 * free);
    expect(strong).toBeLessThan(0.5 * guided);
  });

  it('checks the measurement shape and skips the final step', async () => {
    const g = likelihoodGuidance({ operator: identityOperator(), measurement: noise.randn([1, 2, 4, 5]) });
    await expect(g(x0, point)).rejects.toThrow(/measurement/);
    const last = likelihoodGuidance({ operator: identityOperator(), measurement: y });
    expect(await last(x0, { ...point, alphaBar: 0.999, alphaBarNext: 1 })).toBe(x0);
  });
});
