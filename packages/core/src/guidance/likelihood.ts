import { sameShape, type Tensor } from '../tensor/tensor';
import type { LinearOperator } from './operators/types';
import { guidanceStepCoefficients } from './posterior';
import type { Guidance } from './types';
import { inGuidanceWindow } from './window';

export interface LikelihoodGuidanceOptions {
  /** The known degradation A, acting on the guided tensor (the latent, or pixels for a pixel-space model). */
  readonly operator: LinearOperator;
  /** The measurement y, shaped operator.outputShape(x0.shape). */
  readonly measurement: Tensor;
  /** Multiplier of the ADIR step Sigma g. Default 1 (the paper's step). */
  readonly scale?: number;
  /** Guidance runs while tStop < t + 1 < tStart. Default 1001 (every step). */
  readonly tStart?: number;
  /** Default -1. */
  readonly tStop?: number;
  /**
   * Noise level of y_t: 'next' (default) uses the step's target alpha_bar, the level of
   * mu where the gradient is taken; 'current' uses the input's, as the paper writes y_t.
   */
  readonly measurementLevel?: 'next' | 'current';
}

/**
 * ADIR likelihood guidance for y = A x + e. At a step from alpha_bar ab to abNext:
 * eps = (x - sqrt(ab) x0) / sqrt(1 - ab), mu = coef1 x0 + coef2 x,
 * y_t = sqrt(ab_y) y + sqrt(1 - ab_y) A eps, g = -2 A^T (A mu - y_t), and the step's mean
 * becomes mu + Sigma g. Written as an x0 correction: x0 += scale * Sigma / coef1 * g with
 * Sigma / coef1 = (1 - abNext) / sqrt(abNext), which is exact for the DDPM posterior and
 * carries over to every sampler through x0 (docs/guidance.md).
 */
export function likelihoodGuidance(options: LikelihoodGuidanceOptions): Guidance {
  const { operator: A, measurement: y } = options;
  const scale = options.scale ?? 1;
  const tStart = options.tStart ?? 1001;
  const tStop = options.tStop ?? -1;
  const level = options.measurementLevel ?? 'next';
  return async (x0, at) => {
    if (scale === 0 || !inGuidanceWindow(at.timestep, tStart, tStop)) return x0;
    const ab = at.alphaBar;
    const abNext = at.alphaBarNext;
    if (!(abNext < 1) || !(ab < abNext)) return x0; // no posterior variance: nothing to add
    const expected = A.outputShape(x0.shape);
    if (!sameShape(expected, y.shape)) {
      throw new RangeError(
        `likelihoodGuidance: measurement [${y.shape.join(', ')}] but A x0 has [${expected.join(', ')}]`,
      );
    }
    const { coef1, coef2 } = guidanceStepCoefficients(ab, abNext);
    const x = at.x;
    const n = x0.data.length;
    const sa = Math.sqrt(ab);
    const sb = Math.sqrt(1 - ab);
    const eps = new Float32Array(n);
    const mu = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      eps[i] = (x.data[i] - sa * x0.data[i]) / sb;
      mu[i] = coef1 * x0.data[i] + coef2 * x.data[i];
    }
    const abY = level === 'next' ? abNext : ab;
    const Amu = A.apply({ data: mu, shape: [...x0.shape] });
    const Aeps = A.apply({ data: eps, shape: [...x0.shape] });
    const ya = Math.sqrt(abY);
    const yb = Math.sqrt(1 - abY);
    const r = new Float32Array(Amu.data.length);
    for (let i = 0; i < r.length; i++) r[i] = Amu.data[i] - (ya * y.data[i] + yb * Aeps.data[i]);
    const back = A.adjoint({ data: r, shape: [...Amu.shape] });
    // x0 step = scale * Sigma/coef1 * g, g = -2 A^T r, Sigma/coef1 = (1 - abNext)/sqrt(abNext)
    const k = (-2 * scale * (1 - abNext)) / Math.sqrt(abNext);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = x0.data[i] + k * back.data[i];
    return { data: out, shape: [...x0.shape] };
  };
}
