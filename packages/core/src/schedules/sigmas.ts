import type { NoiseSchedule } from './types';

/** EDM noise level of a VP alpha_bar: sigma = sqrt((1 - ab) / ab) (Infinity at ab = 0). */
export function sigmaFromAlphaBar(alphaBar: number): number {
  return Math.sqrt((1 - alphaBar) / alphaBar);
}

/** Inverse of sigmaFromAlphaBar: ab = 1 / (1 + sigma^2). */
export function alphaBarFromSigma(sigma: number): number {
  return 1 / (1 + sigma * sigma);
}

/** sigma per training timestep of a schedule. */
export function scheduleSigmas(schedule: NoiseSchedule): Float64Array {
  return schedule.alphasCumprod.map(sigmaFromAlphaBar);
}

/**
 * Training timestep whose sigma is nearest to `sigma` in log space (k-diffusion's quantised
 * sigma_to_t). `sigmas` must increase with the index. A sigma above every finite table
 * entry maps to the top index, so a zero-SNR table (sigma = Infinity at T-1) still sends
 * the sampler's first sigma (1e4) to T-1.
 */
export function nearestTimestepForSigma(sigmas: ArrayLike<number>, sigma: number): number {
  const n = sigmas.length;
  if (n === 0) throw new RangeError('nearestTimestepForSigma: empty table');
  if (!(sigma >= 0)) throw new RangeError(`nearestTimestepForSigma: sigma must be >= 0, got ${sigma}`);
  let maxFinite = -1;
  for (let i = 0; i < n; i++) if (Number.isFinite(sigmas[i])) maxFinite = i;
  if (maxFinite < 0) return n - 1;
  if (sigma > sigmas[maxFinite]) return n - 1;
  if (sigma === 0) return 0;
  const target = Math.log(sigma);
  let best = 0;
  let bestDist = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= maxFinite; i++) {
    const d = Math.abs(Math.log(sigmas[i]) - target);
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  }
  return best;
}
