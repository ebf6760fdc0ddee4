import { combine } from '../tensor/ops';
import type { Sampler, SamplerRun, SamplerSetup, StepPoint } from './types';

/** Python's round(): halves go to the even neighbour (so 166.5 -> 166). */
function roundHalfToEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * IDDPM respacing with one section (guided-diffusion's space_timesteps(T, "k")): the used
 * training timesteps, ascending. The fractional index is accumulated (cur += (T-1)/(k-1))
 * and rounded half-to-even exactly as the reference, so 25 steps give 166 and 832.
 */
export function spacedTimesteps(trainingSteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainingSteps) {
    throw new RangeError(`spaced sampler: steps must be an integer in [1, ${trainingSteps}], got ${steps}`);
  }
  const stride = steps <= 1 ? 1 : (trainingSteps - 1) / (steps - 1);
  const out: number[] = [];
  let cur = 0;
  for (let i = 0; i < steps; i++) {
    out.push(roundHalfToEven(cur));
    cur += stride;
  }
  return out;
}

/**
 * Ancestral DDPM on a respaced schedule (IDDPM, Nichol & Dhariwal 2021), DiffBIR's "spaced"
 * sampler: betas recomputed from alpha_bar at the used steps, posterior mean, "fixed small"
 * variance (the posterior variance), no noise on the last step. The network is fed the
 * original training index.
 *
 * Noise draws: one tensor per step, including the last one where it is multiplied by zero
 * (as the reference), so a seeded run draws `steps` tensors.
 */
export function spacedDdpmSampler(): Sampler {
  return {
    name: 'spaced',
    start(setup: SamplerSetup): SamplerRun {
      const ab = setup.schedule.alphasCumprod;
      const used = spacedTimesteps(ab.length, setup.steps);
      const k = used.length;
      const betas = new Float64Array(k);
      const abUsed = new Float64Array(k);
      let last = 1;
      let prod = 1;
      for (let j = 0; j < k; j++) {
        betas[j] = 1 - ab[used[j]] / last;
        last = ab[used[j]];
        prod *= 1 - betas[j];
        abUsed[j] = prod;
      }
      const timesteps = [...used].reverse();
      return {
        timesteps,
        init: (noise) => noise,
        async step(x, i, predict) {
          const j = k - 1 - i;
          const abT = abUsed[j];
          const abPrev = j > 0 ? abUsed[j - 1] : 1;
          const at: StepPoint = { step: i, steps: k, timestep: used[j], alphaBar: abT, alphaBarNext: abPrev };
          const { x0 } = await predict(x, at);
          // Ho et al. 2020 eq. 7: mu = beta sqrt(ab_prev)/(1-ab) x0 + (1-ab_prev) sqrt(alpha)/(1-ab) x_t, var = beta (1-ab_prev)/(1-ab).
          const coef1 = (betas[j] * Math.sqrt(abPrev)) / (1 - abT);
          const coef2 = ((1 - abPrev) * Math.sqrt(1 - betas[j])) / (1 - abT);
          const variance = (betas[j] * (1 - abPrev)) / (1 - abT);
          const noise = setup.noise.randn(x.shape);
          // IDDPM clips log-variance at t = 0 to the t = 1 value; that step adds no noise, so it cannot matter.
          if (j === 0) return combine([coef1, coef2], [x0, x]);
          return combine([coef1, coef2, Math.sqrt(variance)], [x0, x, noise]);
        },
      };
    },
  };
}
