import type { StepPoint } from '../samplers/types';
import type { Tensor } from '../tensor/tensor';
import { clampStepAtTarget } from './clamp-at-target';
import { weightedMseLoss } from './mse-loss';
import { guidanceStepCoefficients } from './posterior';
import type { Guidance } from './types';
import { inGuidanceWindow } from './window';

/** How a guidance step's delta is applied to x0-hat. */
export type GuidanceRescale = 'none' | 'posterior';

export interface LatentMseGuidanceOptions {
  /** The condition latent c (VAE latent of the stage-1 output), (1 | B, C, h, w). */
  readonly target: Tensor;
  /** Gradient scale s (the reference's `--g_scale`). Default 400 (the v1 README example). */
  readonly scale?: number;
  /** Guidance runs while tStop < t + 1 < tStart, t the training timestep. Default 200 (v1 README). */
  readonly tStart?: number;
  /** Default -1 (down to the last step). */
  readonly tStop?: number;
  /** Gradient steps per model evaluation. Default 5 (v1). */
  readonly repeat?: number;
  /**
   * 'none' (default, v1): x0 += delta. 'posterior': x0 += delta / coef1, so the posterior
   * mean moves by delta (the v2 rule, see guidanceStepCoefficients).
   */
  readonly rescale?: GuidanceRescale;
  /**
   * Never step an element past the target (clampStepAtTarget). Default true; false is the
   * reference's unbounded step, which overshoots once 2 s / (C h w) (over coef1) exceeds 1.
   */
  readonly clampAtTarget?: boolean;
  /** Called with the loss before each gradient step (the reference's loss history). */
  readonly onLoss?: (loss: number, at: StepPoint) => void;
}

/**
 * Divisor of a guidance delta: coef1 of the step for 'posterior', 1 for 'none'. Returns 0
 * when the step has no x0 weight (alphaBar == alphaBarNext), meaning "skip".
 */
export function guidanceRescaleDivisor(rescale: GuidanceRescale, at: StepPoint): number {
  if (rescale === 'none') return 1;
  const { coef1 } = guidanceStepCoefficients(at.alphaBar, at.alphaBarNext);
  return coef1 > 1e-12 ? coef1 : 0;
}

/**
 * DiffBIR v1 latent image guidance: gradient steps on loss = mean((x0 - c)^2) in latent
 * space, delta = -scale * dloss/dx0 = -2 scale (x0 - c) / (C h w) per step. The reference
 * also shifts the posterior mean by 0.5 delta; here the sampler recomputes its update from
 * the corrected x0 (mean shift coef1 * delta), which composes with every sampler.
 */
export function latentMseGuidance(options: LatentMseGuidanceOptions): Guidance {
  const scale = options.scale ?? 400;
  const tStart = options.tStart ?? 200;
  const tStop = options.tStop ?? -1;
  const repeat = options.repeat ?? 5;
  const rescale = options.rescale ?? 'none';
  const target = options.target;
  const clamp = options.clampAtTarget ?? true;
  return async (x0, at) => {
    if (scale === 0 || !inGuidanceWindow(at.timestep, tStart, tStop)) return x0;
    const divisor = guidanceRescaleDivisor(rescale, at);
    if (divisor === 0) return x0;
    const step = scale / divisor;
    let current = x0;
    for (let r = 0; r < repeat; r++) {
      const { loss, gradient } = weightedMseLoss(current, target);
      options.onLoss?.(loss, at);
      const next = new Float32Array(current.data.length);
      for (let i = 0; i < next.length; i++) next[i] = current.data[i] - step * gradient.data[i];
      if (clamp) clampStepAtTarget(current, next, target);
      current = { data: next, shape: [...current.shape] };
    }
    return current;
  };
}
