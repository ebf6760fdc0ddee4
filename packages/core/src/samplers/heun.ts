import { combine } from '../tensor/ops';
import { type EdmChurnOptions, edmChurn, edmEulerStep, edmSampler } from './edm';
import type { Sampler } from './types';

/**
 * Heun's second-order method (Karras et al. 2022, Algorithm 2): 2 evaluations per step, 1
 * on the last (Euler to sigma 0). Draws one noise tensor per step (see edmChurn).
 */
export function heunSampler(options: EdmChurnOptions = {}): Sampler {
  return edmSampler('heun', options, (ctx) => async (x, i, predict) => {
    const { x: xHat, sigmaHat } = edmChurn(ctx, x, i, options);
    const next = ctx.sigmas[i + 1];
    const denoised = await ctx.denoised(xHat, sigmaHat, i, predict);
    const euler = edmEulerStep(xHat, denoised, sigmaHat, next);
    if (next === 0) return euler;
    const denoised2 = await ctx.denoised(euler, next, i, predict);
    // Karras et al. 2022 Algorithm 2 line 11: x_next = x + (sigma_next - sigma) (d + d') / 2.
    const dt = next - sigmaHat;
    const a = dt / (2 * sigmaHat);
    const b = dt / (2 * next);
    return combine([1 + a, -a, b, -b], [xHat, denoised, euler, denoised2]);
  });
}
