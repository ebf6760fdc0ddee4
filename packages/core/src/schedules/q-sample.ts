import { combine } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import type { NoiseSchedule } from './types';

/**
 * Forward noising to a training timestep: x_t = sqrt(ab[t]) x0 + sqrt(1 - ab[t]) noise.
 * DiffBIR uses it for `noise_aug` on the condition latent and for the 'cond' start point.
 */
export function qSample(schedule: NoiseSchedule, x0: Tensor, timestep: number, noise: Tensor): Tensor {
  const ab = schedule.alphasCumprod[timestep];
  if (ab === undefined || !Number.isInteger(timestep)) {
    throw new RangeError(
      `qSample: timestep ${timestep} is not an index of the ${schedule.alphasCumprod.length}-step schedule`,
    );
  }
  return combine([Math.sqrt(ab), Math.sqrt(1 - ab)], [x0, noise]);
}
