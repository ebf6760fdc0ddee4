import { combine } from '../tensor/ops';
import type { Sampler, SamplerRun, SamplerSetup, StepPoint } from './types';

export interface DdimOptions {
  /** Stochasticity: 0 = deterministic DDIM (DiffBIR's pipeline), 1 = DDPM-like variance. Default 0. */
  readonly eta?: number;
}

/**
 * LDM's "uniform" DDIM discretisation: range(0, T, T // k) + 1, ascending. When k does not
 * divide T this yields more than k steps (the reference does the same; 7 steps give 8).
 */
export function ddimTimesteps(trainingSteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainingSteps) {
    throw new RangeError(`ddim sampler: steps must be an integer in [1, ${trainingSteps}], got ${steps}`);
  }
  const stride = Math.floor(trainingSteps / steps);
  const out: number[] = [];
  for (let t = 0; t < trainingSteps; t += stride) out.push(t + 1);
  if (out[out.length - 1] >= trainingSteps) {
    throw new RangeError(
      `ddim sampler: ${steps} steps reach timestep ${out[out.length - 1]}, past the schedule (the reference fails here too)`,
    );
  }
  return out;
}

/**
 * DDIM (Song et al. 2021). As the reference, the last step lands on alpha_bar[0] (not 1),
 * so the output keeps a trace of the t = 0 noise level.
 *
 * Noise draws: one tensor per step, also when eta = 0 (then multiplied by zero).
 */
export function ddimSampler(options: DdimOptions = {}): Sampler {
  const eta = options.eta ?? 0;
  if (!(eta >= 0)) throw new RangeError(`ddim sampler: eta must be >= 0, got ${eta}`);
  return {
    name: eta === 0 ? 'ddim' : `ddim(eta=${eta})`,
    start(setup: SamplerSetup): SamplerRun {
      const ab = setup.schedule.alphasCumprod;
      const timesteps = ddimTimesteps(ab.length, setup.steps).reverse();
      const n = timesteps.length;
      return {
        timesteps,
        init: (noise) => noise,
        async step(x, i, predict) {
          const abT = ab[timesteps[i]];
          const abPrev = i < n - 1 ? ab[timesteps[i + 1]] : ab[0];
          const at: StepPoint = { step: i, steps: n, timestep: timesteps[i], alphaBar: abT, alphaBarNext: abPrev };
          const { x0, eps } = await predict(x, at);
          // Song et al. 2021 eq. 12 and 16: x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - s^2) eps + s z, s = eta sqrt((1-ab_prev)/(1-ab) (1 - ab/ab_prev)).
          const s = eta * Math.sqrt(((1 - abPrev) / (1 - abT)) * (1 - abT / abPrev));
          const dir = Math.sqrt(Math.max(0, 1 - abPrev - s * s));
          const z = setup.noise.randn(x.shape);
          if (s === 0) return combine([Math.sqrt(abPrev), dir], [x0, eps]);
          return combine([Math.sqrt(abPrev), dir, s], [x0, eps, z]);
        },
      };
    },
  };
}
