import { combine } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { type EdmCommonOptions, edmSampler } from './edm';
import type { Sampler } from './types';

/** DPM-Solver++(2M) in sigma, as k-diffusion's sample_dpmpp_2m. Deterministic: no noise draws. */
export function dpmpp2mSampler(options: EdmCommonOptions = {}): Sampler {
  return edmSampler('dpmpp-2m', options, (ctx) => {
    let old: Tensor | null = null;
    return async (x, i, predict) => {
      const sigma = ctx.sigmas[i];
      const next = ctx.sigmas[i + 1];
      const denoised = await ctx.denoised(x, sigma, i, predict);
      const prev = old;
      old = denoised;
      if (next === 0) return denoised;
      // With t = -log sigma, h = t_next - t: x_next = (sigma_next/sigma) x - (e^-h - 1) D, D = (1 + 1/(2r)) d - 1/(2r) d_prev.
      const h = Math.log(sigma) - Math.log(next);
      const phi = -Math.expm1(-h);
      if (prev === null) return combine([next / sigma, phi], [x, denoised]);
      const r = (Math.log(ctx.sigmas[i - 1]) - Math.log(sigma)) / h;
      const c = 1 / (2 * r);
      return combine([next / sigma, phi * (1 + c), -phi * c], [x, denoised, prev]);
    };
  });
}
