import type { Tensor } from '../tensor/tensor';

/** The conditioning a denoiser call carries besides x and t. */
export interface DenoiserCondition {
  /** Text embedding, (B, L, D). */
  readonly context?: Tensor;
  /**
   * Spatial condition latent, (B, C, h, w) on the same grid as x: the VAE latent of the
   * stage-1 output for IRControlNet. Tiling slices it together with x.
   */
  readonly control?: Tensor;
  /** Strength per control output (13 for IRControlNet); absent = all 1. */
  readonly controlScales?: Float32Array;
}

/**
 * The network as the samplers see it: input x_t on the VP scale
 * (x_t = sqrt(ab) x0 + sqrt(1-ab) eps), the **training** timestep index (possibly
 * fractional), the condition; returns the raw prediction (epsilon, v or x0, as the
 * schedule says). An ONNX session, a CFG wrapper, a tiled wrapper and a test's analytic
 * function all have this type, so wrappers compose.
 */
export type Denoiser = (x: Tensor, timestep: number, cond: DenoiserCondition) => Promise<Tensor>;
