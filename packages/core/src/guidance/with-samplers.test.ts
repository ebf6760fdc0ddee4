import { describe, expect, it } from 'vitest';
import type { Denoiser } from '../denoiser/types';
import { gaussianNoise } from '../random/noise';
import { sample } from '../samplers/loop';
import { createSampler, type SamplerKind } from '../samplers/registry';
import { ldmLinearSchedule } from '../schedules/ldm-schedule';
import type { Tensor } from '../tensor/tensor';
import { tiledDenoiser } from '../tiling/tiled-denoiser';
import { latentMseGuidance } from './latent-mse';
import { likelihoodGuidance } from './likelihood';
import { identityOperator } from './operators/identity';

// Guidance and tiling are wrappers around the sampling loop's pieces; check they compose
// with the real samplers. Model: the exact epsilon denoiser of N(0, 1) data.
const schedule = ldmLinearSchedule();
function alphaBarAt(t: number): number {
  const ab = schedule.alphasCumprod;
  const i = Math.min(ab.length - 2, Math.max(0, Math.floor(t)));
  const f = Math.min(1, Math.max(0, t - i));
  return ab[i] * (1 - f) + ab[i + 1] * f;
}
const gaussianEpsilon: Denoiser = async (x, t) => {
  const ab = alphaBarAt(t);
  // x0 ~ N(0, 1): E[x0 | x] = sqrt(ab) x, eps = (x - sqrt(ab) E[x0|x]) / sqrt(1 - ab) = sqrt(1 - ab) x
  return { data: x.data.map((v) => Math.sqrt(1 - ab) * v), shape: [...x.shape] };
};

const mse = (a: Tensor, b: Tensor) => a.data.reduce((s, v, i) => s + (v - b.data[i]) ** 2, 0) / a.data.length;

describe('guidance composes with the samplers', () => {
  const truth = gaussianNoise(1).randn([1, 1, 8, 8]);
  // (EDM samplers feed this timestep-only toy model an alpha_bar of 1e-8 at their first step,
  // the reference's quirk, so they are left to the samplers' own tests.)
  it.each(['spaced', 'ddim', 'dpm-solver++'] as SamplerKind[])(
    '%s: likelihood guidance pulls toward y',
    async (kind) => {
      const run = (scale: number) =>
        sample({
          sampler: createSampler({ kind }),
          schedule,
          steps: 20,
          noise: gaussianNoise(42),
          shape: [1, 1, 8, 8],
          denoiser: gaussianEpsilon,
          guidance: likelihoodGuidance({ operator: identityOperator(), measurement: truth, scale }),
        });
      const free = mse(await run(0), truth);
      const guided = mse(await run(1), truth);
      expect(free).toBeGreaterThan(0.5);
      expect(guided).toBeLessThan(0.65 * free);
    },
  );

  it('spaced: latent MSE guidance (v1 rule) pulls toward the target', async () => {
    const run = (scale: number) =>
      sample({
        sampler: createSampler({ kind: 'spaced' }),
        schedule,
        steps: 20,
        noise: gaussianNoise(42),
        shape: [1, 1, 8, 8],
        denoiser: gaussianEpsilon,
        guidance: latentMseGuidance({ target: truth, scale, tStart: 1001, repeat: 1, rescale: 'posterior' }),
      });
    // 2 s / N = 0.5 per step of the posterior mean's gap (N = 64)
    expect(mse(await run(16), truth)).toBeLessThan(0.5 * mse(await run(0), truth));
  });

  it('a tiled per-pixel denoiser samples exactly like the untiled one', async () => {
    const run = (denoiser: Denoiser) =>
      sample({
        sampler: createSampler({ kind: 'ddim' }),
        schedule,
        steps: 5,
        noise: gaussianNoise(3),
        shape: [1, 4, 40, 52],
        denoiser,
      });
    const full = await run(gaussianEpsilon);
    const tiled = await run(tiledDenoiser(gaussianEpsilon, { tile: 16, stride: 8 }));
    let m = 0;
    for (let i = 0; i < full.data.length; i++) m = Math.max(m, Math.abs(full.data[i] - tiled.data[i]));
    expect(m).toBeLessThan(1e-4);
  });
});
