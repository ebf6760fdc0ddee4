import { type EdmChurnOptions, edmChurn, edmEulerStep, edmSampler } from './edm';
import type { Sampler } from './types';

/**
 * Euler on the probability-flow ODE in sigma (Karras et al. 2022, Algorithm 2 without the
 * Heun correction), with optional churn. Draws one noise tensor per step (see edmChurn).
 */
export function eulerSampler(options: EdmChurnOptions = {}): Sampler {
  return edmSampler('euler', options, (ctx) => async (x, i, predict) => {
    const { x: xHat, sigmaHat } = edmChurn(ctx, x, i, options);
    const denoised = await ctx.denoised(xHat, sigmaHat, i, predict);
    // Karras et al. 2022 eq. 3 / Algorithm 2 line 8: x_next = x + (sigma_next - sigma) (x - D(x)) / sigma.
    return edmEulerStep(xHat, denoised, sigmaHat, ctx.sigmas[i + 1]);
  });
}
