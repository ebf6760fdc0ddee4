/** What the network predicts at a noise level. */
export type PredictionType = 'epsilon' | 'v' | 'x0';

/**
 * A discrete variance-preserving noise schedule: x_t = sqrt(ab[t]) x0 + sqrt(1 - ab[t]) eps.
 * Scalars are float64: samplers' coefficients at sigma ~ 1e4 need it.
 */
export interface NoiseSchedule {
  /** alpha_bar per training timestep, length = number of training steps (1000 for SD). */
  readonly alphasCumprod: Float64Array;
  readonly prediction: PredictionType;
}
