import { combine } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { type EdmAncestralOptions, edmSampler } from './edm';
import type { Sampler } from './types';

/**
 * DPM-Solver++(2M) SDE with the midpoint correction, as k-diffusion's sample_dpmpp_2m_sde.
 * The reference draws its noise from a Brownian tree; the increments it yields on the
 * disjoint intervals [sigma_{i+1}, sigma_i] are independent standard normals, so one i.i.d.
 * tensor per step has the same distribution (the exact values differ). Draws steps - 1
 * tensors (none on the last step, none at all when eta = 0).
 */
export function dpmpp2mSdeSampler(options: EdmAncestralOptions = {}): Sampler {
  const eta = options.eta ?? 1;
  const sNoise = options.sNoise ?? 1;
  return edmSampler('dpmpp-2m-sde', options, (ctx) => {
    let old: Tensor | null = null;
    let hLast = 0;
    return async (x, i, predict) => {
      const sigma = ctx.sigmas[i];
      const next = ctx.sigmas[i + 1];
      const denoised = await ctx.denoised(x, sigma, i, predict);
      const prev = old;
      old = denoised;
      if (next === 0) return denoised;
      const h = Math.log(sigma) - Math.log(next);
      const etaH = eta * h;
      const phi = -Math.expm1(-h - etaH);
      const coefs = [(next / sigma) * Math.exp(-etaH), phi];
      const terms = [x, denoised];
      if (prev !== null) {
        // Midpoint correction: + (1/2) (1 - e^{-h(1+eta)}) (D - D_prev) / r, r = h_last / h.
        const c = (0.5 * phi * h) / hLast;
        coefs[1] += c;
        coefs.push(-c);
        terms.push(prev);
      }
      hLast = h;
      if (eta) {
        coefs.push(next * Math.sqrt(-Math.expm1(-2 * etaH)) * sNoise);
        terms.push(ctx.noise.randn(x.shape));
      }
      return combine(coefs, terms);
    };
  });
}
