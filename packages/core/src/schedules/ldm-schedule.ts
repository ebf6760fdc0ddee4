import { alphasCumprodFromBetas, betaSchedule } from './beta-schedule';
import type { NoiseSchedule, PredictionType } from './types';
import { rescaleZeroTerminalSnr } from './zero-terminal-snr';

export interface LdmScheduleOptions {
  /** Training steps T. Default 1000. */
  readonly steps?: number;
  /** Default 0.00085. */
  readonly betaStart?: number;
  /** Default 0.012. */
  readonly betaEnd?: number;
  /** What the network predicts. Default 'epsilon' (SD 2.1-base; DiffBIR v2.1 uses 'v'). */
  readonly prediction?: PredictionType;
  /** Rescale to zero terminal SNR (DiffBIR v2.1). Default false. */
  readonly zeroTerminalSnr?: boolean;
}

/** Builds a schedule from alpha_bar after checking it is a decreasing sequence in [0, 1]. */
export function noiseScheduleFromAlphasCumprod(
  alphasCumprod: ArrayLike<number>,
  prediction: PredictionType = 'epsilon',
): NoiseSchedule {
  const ab = Float64Array.from(alphasCumprod);
  if (ab.length < 2) throw new RangeError('noise schedule: need at least two training steps');
  for (let i = 0; i < ab.length; i++) {
    if (!(ab[i] >= 0 && ab[i] <= 1))
      throw new RangeError(`noise schedule: alpha_bar[${i}] = ${ab[i]} is outside [0, 1]`);
    if (i > 0 && ab[i] > ab[i - 1]) throw new RangeError(`noise schedule: alpha_bar increases at ${i}`);
  }
  return { alphasCumprod: ab, prediction };
}

/**
 * Stable Diffusion's training schedule (the LDM "linear" one: betas =
 * linspace(sqrt(b0), sqrt(b1), T)^2), optionally rescaled to zero terminal SNR.
 * DiffBIR v1/v2: defaults; v2.1: `{ prediction: 'v', zeroTerminalSnr: true }`.
 */
export function ldmLinearSchedule(options: LdmScheduleOptions = {}): NoiseSchedule {
  const betas = betaSchedule('scaled_linear', options);
  let ab = alphasCumprodFromBetas(betas);
  if (options.zeroTerminalSnr) ab = rescaleZeroTerminalSnr(ab);
  return noiseScheduleFromAlphasCumprod(ab, options.prediction ?? 'epsilon');
}
