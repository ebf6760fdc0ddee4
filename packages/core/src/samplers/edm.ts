import type { NoiseSource } from '../random/noise';
import { nearestTimestepForSigma, scheduleSigmas } from '../schedules/sigmas';
import { combine, scale } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import type { Predictor, Sampler, SamplerRun, SamplerSetup } from './types';

/** Knobs every EDM (k-diffusion style) sampler accepts. */
export interface EdmCommonOptions {
  /**
   * How a sigma becomes the training timestep fed to the network.
   * - 'run' (default, the reference): the timestep of the nearest sigma of this run's own
   *   list (absolute distance), so a midpoint sigma gets a neighbouring step's index.
   * - 'training': the nearest sigma of the whole training table in log space (k-diffusion's
   *   DiscreteSchedule); sigmas above the table's largest finite value map to T - 1.
   */
  readonly timestepLookup?: 'run' | 'training';
}

/** Karras et al. 2022 "churn" knobs (euler, heun, dpm2). */
export interface EdmChurnOptions extends EdmCommonOptions {
  /** Default 0 (no churn). */
  readonly sChurn?: number;
  /** Default 0. */
  readonly sTmin?: number;
  /** Default 300 (DiffBIR's CLI default; k-diffusion's own is Infinity). */
  readonly sTmax?: number;
  /** Default 1. */
  readonly sNoise?: number;
}

/** Ancestral / SDE knobs (euler-ancestral, dpm++ 2m/3m sde). */
export interface EdmAncestralOptions extends EdmCommonOptions {
  /** Default 1. */
  readonly eta?: number;
  /** Default 1. */
  readonly sNoise?: number;
}

/**
 * The reference's EDM discretisation: timesteps floor(linspace(T-1, 0, k, endpoint=False)),
 * sigma = sqrt((1-ab)/ab) at them with ab at the first step forced to 1e-8 (sigma ~ 1e4),
 * then a final sigma 0. `timesteps` has k entries, `sigmas` k + 1.
 */
export function edmSigmaSchedule(
  alphasCumprod: ArrayLike<number>,
  steps: number,
): { timesteps: number[]; sigmas: Float64Array } {
  const n = alphasCumprod.length;
  if (!Number.isInteger(steps) || steps < 1 || steps > n) {
    throw new RangeError(`edm samplers: steps must be an integer in [1, ${n}], got ${steps}`);
  }
  const delta = -(n - 1) / steps;
  const timesteps: number[] = [];
  for (let i = 0; i < steps; i++) timesteps.push(Math.trunc(i * delta + (n - 1)));
  const sigmas = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) {
    const ab = i === 0 ? 1e-8 : alphasCumprod[timesteps[i]];
    sigmas[i] = Math.sqrt((1 - ab) / ab);
  }
  sigmas[steps] = 0;
  return { timesteps, sigmas };
}

/** k-diffusion's get_ancestral_step: where to step down to and how much noise to add back. */
export function ancestralStep(sigmaFrom: number, sigmaTo: number, eta = 1): { sigmaDown: number; sigmaUp: number } {
  if (!eta) return { sigmaDown: sigmaTo, sigmaUp: 0 };
  const up = Math.min(
    sigmaTo,
    eta * Math.sqrt((sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo)) / (sigmaFrom * sigmaFrom)),
  );
  return { sigmaDown: Math.sqrt(sigmaTo * sigmaTo - up * up), sigmaUp: up };
}

/** What an EDM sampler's step function sees. State x is on the EDM scale: x = x0 + sigma eps. */
export interface EdmStepContext {
  /** k + 1 noise levels, the last 0. */
  readonly sigmas: Float64Array;
  readonly steps: number;
  readonly noise: NoiseSource;
  /**
   * k-diffusion's model(x, sigma) -> denoised: evaluates the predictor on the VP-scaled input
   * x / sqrt(1 + sigma^2) with alphaBar = 1 / (1 + sigma^2) and returns its x0.
   */
  denoised(x: Tensor, sigma: number, i: number, predict: Predictor): Promise<Tensor>;
}

export type EdmStep = (x: Tensor, i: number, predict: Predictor) => Promise<Tensor>;

/** Builds an EDM-family sampler from a factory of per-run step functions. */
export function edmSampler(
  name: string,
  options: EdmCommonOptions,
  makeStep: (ctx: EdmStepContext) => EdmStep,
): Sampler {
  const lookup = options.timestepLookup ?? 'run';
  if (lookup !== 'run' && lookup !== 'training')
    throw new RangeError(`${name}: unknown timestepLookup '${lookup as string}'`);
  return {
    name,
    start(setup: SamplerSetup): SamplerRun {
      const { timesteps, sigmas } = edmSigmaSchedule(setup.schedule.alphasCumprod, setup.steps);
      const steps = timesteps.length;
      const runTimesteps = [...timesteps, 0];
      const table = lookup === 'training' ? scheduleSigmas(setup.schedule) : null;
      const timestepFor = (sigma: number): number => {
        if (table) return nearestTimestepForSigma(table, sigma);
        let best = 0;
        for (let j = 1; j < sigmas.length; j++)
          if (Math.abs(sigma - sigmas[j]) < Math.abs(sigma - sigmas[best])) best = j;
        return runTimesteps[best];
      };
      const ctx: EdmStepContext = {
        sigmas,
        steps,
        noise: setup.noise,
        async denoised(x, sigma, i, predict) {
          const alphaBar = 1 / (1 + sigma * sigma);
          const next = sigmas[i + 1];
          const at = { step: i, steps, timestep: timestepFor(sigma), alphaBar, alphaBarNext: 1 / (1 + next * next) };
          return (await predict(scale(x, Math.sqrt(alphaBar)), at)).x0;
        },
      };
      return {
        timesteps,
        init: (noise) => scale(noise, Math.sqrt(1 + sigmas[0] * sigmas[0])),
        step: makeStep(ctx),
      };
    },
  };
}

/**
 * Karras et al. 2022 Algorithm 2, lines 4-6: raise sigma_i to sigma_hat = sigma_i (1 + gamma)
 * by adding noise. As the reference, a noise tensor is drawn on every step, also when
 * gamma = 0 and it is not used.
 */
export function edmChurn(
  ctx: EdmStepContext,
  x: Tensor,
  i: number,
  options: EdmChurnOptions,
): { x: Tensor; sigmaHat: number } {
  const sChurn = options.sChurn ?? 0;
  const sTmin = options.sTmin ?? 0;
  const sTmax = options.sTmax ?? 300;
  const sNoise = options.sNoise ?? 1;
  const sigma = ctx.sigmas[i];
  const gamma = sTmin <= sigma && sigma <= sTmax ? Math.min(sChurn / ctx.steps, Math.SQRT2 - 1) : 0;
  const eps = ctx.noise.randn(x.shape);
  const sigmaHat = sigma * (gamma + 1);
  if (gamma > 0) x = combine([1, sNoise * Math.sqrt(sigmaHat * sigmaHat - sigma * sigma)], [x, eps]);
  return { x, sigmaHat };
}

/** One Euler step of dx/dsigma = (x - denoised) / sigma from `sigma` to `sigmaTo`. */
export function edmEulerStep(x: Tensor, denoised: Tensor, sigma: number, sigmaTo: number): Tensor {
  const r = (sigmaTo - sigma) / sigma;
  return combine([1 + r, -r], [x, denoised]);
}
