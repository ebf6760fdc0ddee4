import { combine } from '../tensor/ops';
import { ancestralStep, type EdmAncestralOptions, edmEulerStep, edmSampler } from './edm';
import type { Sampler } from './types';

/**
 * Euler ancestral (k-diffusion): an Euler step down to sigma_down, then fresh noise of
 * standard deviation sigma_up. Draws one noise tensor per step except the last (steps - 1).
 */
export function eulerAncestralSampler(options: EdmAncestralOptions = {}): Sampler {
  const eta = options.eta ?? 1;
  const sNoise = options.sNoise ?? 1;
  return edmSampler('euler-ancestral', options, (ctx) => async (x, i, predict) => {
    const sigma = ctx.sigmas[i];
    const next = ctx.sigmas[i + 1];
    const denoised = await ctx.denoised(x, sigma, i, predict);
    const { sigmaDown, sigmaUp } = ancestralStep(sigma, next, eta);
    const out = edmEulerStep(x, denoised, sigma, sigmaDown);
    if (!(next > 0)) return out;
    return combine([1, sNoise * sigmaUp], [out, ctx.noise.randn(x.shape)]);
  });
}
