import { combine } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { type EdmAncestralOptions, edmSampler } from './edm';
import type { Sampler } from './types';

/**
 * DPM-Solver++(3M) SDE, as k-diffusion's sample_dpmpp_3m_sde (DiffBIR v2.1's default with 10
 * steps). Noise: one i.i.d. tensor per step instead of the reference's Brownian tree (same
 * distribution, see dpmpp-2m-sde.ts); steps - 1 draws, none when eta = 0.
 */
export function dpmpp3mSdeSampler(options: EdmAncestralOptions = {}): Sampler {
  const eta = options.eta ?? 1;
  const sNoise = options.sNoise ?? 1;
  return edmSampler('dpmpp-3m-sde', options, (ctx) => {
    let d1: Tensor | null = null;
    let d2: Tensor | null = null;
    let h1 = 0;
    let h2 = 0;
    return async (x, i, predict) => {
      const sigma = ctx.sigmas[i];
      const next = ctx.sigmas[i + 1];
      const denoised = await ctx.denoised(x, sigma, i, predict);
      const [p1, p2] = [d1, d2];
      d2 = d1;
      d1 = denoised;
      if (next === 0) return denoised;
      const h = Math.log(sigma) - Math.log(next);
      const hEta = h * (eta + 1);
      const coefs = [Math.exp(-hEta), -Math.expm1(-hEta)];
      const terms: Tensor[] = [x, denoised];
      const phi2 = Math.expm1(-hEta) / hEta + 1;
      if (p1 !== null && p2 !== null) {
        // Third order: d1_0 = (D - D_1)/r0, d1_1 = (D_1 - D_2)/r1, d1 = d1_0 + (d1_0 - d1_1) r0/(r0+r1), d2 = (d1_0 - d1_1)/(r0+r1).
        const r0 = h1 / h;
        const r1 = h2 / h;
        const phi3 = phi2 / hEta - 0.5;
        // x += phi2 d1 - phi3 d2, expanded over D, D_1, D_2.
        const a = 1 / r0; // d1_0 = a (D - D_1)
        const b = 1 / r1; // d1_1 = b (D_1 - D_2)
        const w = r0 / (r0 + r1);
        const s = 1 / (r0 + r1);
        // d1 = (1 + w) d1_0 - w d1_1; d2 = s (d1_0 - d1_1)
        const k0 = phi2 * (1 + w) - phi3 * s; // weight of d1_0
        const k1 = -phi2 * w + phi3 * s; // weight of d1_1
        coefs[1] += k0 * a;
        coefs.push(-k0 * a + k1 * b, -k1 * b);
        terms.push(p1, p2);
      } else if (p1 !== null) {
        const c = (phi2 * h) / h1;
        coefs[1] += c;
        coefs.push(-c);
        terms.push(p1);
      }
      h2 = h1;
      h1 = h;
      if (eta) {
        coefs.push(next * Math.sqrt(-Math.expm1(-2 * h * eta)) * sNoise);
        terms.push(ctx.noise.randn(x.shape));
      }
      return combine(coefs, terms);
    };
  });
}
