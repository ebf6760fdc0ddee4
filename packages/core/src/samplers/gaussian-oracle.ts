import type { Denoiser } from '../denoiser/types';
import { predictionFromX0Epsilon } from '../schedules/prediction';
import type { NoiseSchedule } from '../schedules/types';
import { map } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import type { Predictor } from './types';

/**
 * Data whose every element is i.i.d. N(mean, std^2). Its exact denoiser and probability-flow
 * endpoints are closed form, which makes it the test bench for samplers (a custom sampler's
 * too, see docs/samplers.md).
 */
export interface GaussianData {
  readonly mean: number;
  readonly std: number;
}

// Gaussian conjugacy: for x = a x0 + b eps, E[x0 | x] = mu + a s^2 (x - a mu) / (a^2 s^2 + b^2).
function posteriorMean(v: number, alphaBar: number, d: GaussianData): number {
  const a = Math.sqrt(alphaBar);
  const s2 = d.std * d.std;
  return d.mean + (a * s2 * (v - a * d.mean)) / (alphaBar * s2 + 1 - alphaBar);
}

/** E[x0 | x_t] elementwise, x_t on the VP scale at alphaBar. */
export function gaussianDataPosteriorMean(x: Tensor, alphaBar: number, data: GaussianData): Tensor {
  return map(x, (v) => posteriorMean(v, alphaBar, data));
}

/** The exact Predictor for Gaussian data: uses the sampler's own alphaBar of each evaluation. */
export function gaussianDataPredictor(data: GaussianData): Predictor {
  return async (x, at) => {
    const x0 = gaussianDataPosteriorMean(x, at.alphaBar, data);
    const a = Math.sqrt(at.alphaBar);
    const b = Math.sqrt(1 - at.alphaBar);
    const eps = b === 0 ? map(x, () => 0) : map(x, (v, i) => (v - a * x0.data[i]) / b);
    return { x0, eps };
  };
}

/**
 * The exact network for Gaussian data under a schedule, returning the schedule's prediction
 * type (epsilon, v or x0). It knows only the integer training timestep, like a real network,
 * so it is exact for samplers that evaluate on table entries (spaced, DDIM).
 */
export function gaussianDataDenoiser(data: GaussianData, schedule: NoiseSchedule): Denoiser {
  const predict = gaussianDataPredictor(data);
  return async (x, timestep) => {
    const alphaBar = schedule.alphasCumprod[timestep];
    if (!Number.isInteger(timestep) || alphaBar === undefined) {
      throw new RangeError(`gaussianDataDenoiser: timestep ${timestep} is not a table index`);
    }
    const { x0, eps } = await predict(x, { step: 0, steps: 1, timestep, alphaBar, alphaBarNext: 1 });
    return predictionFromX0Epsilon(x0, eps, alphaBar, schedule.prediction);
  };
}

/**
 * Where the probability-flow ODE takes x from alphaBarStart to alphaBarEnd (VP scale): along
 * it (x - sqrt(ab) mu) / sqrt(ab s^2 + 1 - ab) is invariant, so the map is affine.
 */
export function gaussianDataOdeEndpoint(
  x: Tensor,
  alphaBarStart: number,
  alphaBarEnd: number,
  data: GaussianData,
): Tensor {
  const s2 = data.std * data.std;
  const sdStart = Math.sqrt(alphaBarStart * s2 + 1 - alphaBarStart);
  const sdEnd = Math.sqrt(alphaBarEnd * s2 + 1 - alphaBarEnd);
  const mStart = Math.sqrt(alphaBarStart) * data.mean;
  const mEnd = Math.sqrt(alphaBarEnd) * data.mean;
  return map(x, (v) => mEnd + (sdEnd * (v - mStart)) / sdStart);
}
