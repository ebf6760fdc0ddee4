import { combine } from '../tensor/ops';
import { type EdmChurnOptions, edmChurn, edmEulerStep, edmSampler } from './edm';
import type { Sampler } from './types';

/**
 * k-diffusion's sample_dpm_2: a midpoint method with the midpoint at the geometric mean of
 * the two sigmas (DPM-Solver-2 in sigma). 2 evaluations per step, 1 on the last. Draws one
 * noise tensor per step (see edmChurn).
 */
export function dpm2Sampler(options: EdmChurnOptions = {}): Sampler {
  return edmSampler('dpm2', options, (ctx) => async (x, i, predict) => {
    const { x: xHat, sigmaHat } = edmChurn(ctx, x, i, options);
    const next = ctx.sigmas[i + 1];
    const denoised = await ctx.denoised(xHat, sigmaHat, i, predict);
    if (next === 0) return edmEulerStep(xHat, denoised, sigmaHat, next);
    const mid = Math.exp(0.5 * (Math.log(sigmaHat) + Math.log(next)));
    const xMid = edmEulerStep(xHat, denoised, sigmaHat, mid);
    const denoisedMid = await ctx.denoised(xMid, mid, i, predict);
    // x_next = x + (sigma_next - sigma_hat) (x_mid - D(x_mid)) / sigma_mid.
    const r = (next - sigmaHat) / mid;
    return combine([1, r, -r], [xHat, xMid, denoisedMid]);
  });
}
