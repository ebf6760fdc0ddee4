import type { Rng } from '../random/rng';
import { chooseUniform, chooseWeighted, uniformIn } from './choice';
import {
  type BlurKernel,
  gaussianKernel,
  generalizedGaussianKernel,
  padKernel,
  plateauKernel,
  pulseKernel,
  sincKernel,
} from './kernels';

/** The mixed-kernel families of Real-ESRGAN (basicsr `random_mixed_kernels`). */
export type BlurKernelType =
  | 'iso'
  | 'aniso'
  | 'generalized_iso'
  | 'generalized_aniso'
  | 'plateau_iso'
  | 'plateau_aniso';

/**
 * A drawn kernel, plain JSON: enough to rebuild it with {@link buildBlurKernel}.
 * Fields a type does not use are absent.
 */
export interface BlurKernelParams {
  type: BlurKernelType | 'sinc';
  /** Odd support size before zero-padding. */
  size: number;
  sigmaX?: number;
  sigmaY?: number;
  /** Rotation in radians (anisotropic types). */
  theta?: number;
  /** Shape exponent (generalized and plateau types). */
  beta?: number;
  /** Cut-off in radians per pixel (sinc). */
  omega?: number;
}

/** Distribution of one blur kernel (one order of the Real-ESRGAN model). */
export interface BlurKernelDistribution {
  /** Odd sizes drawn uniformly. Real-ESRGAN: 7, 9, ..., 21. */
  sizes: readonly number[];
  /** Families and their probabilities (normalised if they do not sum to 1). */
  types: readonly BlurKernelType[];
  typeProbs: readonly number[];
  /**
   * Probability of a sinc kernel instead of a mixed one. Its cut-off is U[pi/3, pi] for
   * size < 13 and U[pi/5, pi] otherwise (the reference's rule for sizes 7..21).
   */
  sincProb: number;
  /** Range of sigma_x and sigma_y, pixels. */
  sigmaRange: readonly [number, number];
  /** Rotation range, radians. Real-ESRGAN: [-pi, pi]. */
  rotationRange: readonly [number, number];
  /** beta range of the generalized Gaussian; drawn as p .5 U[lo, 1] else U[1, hi]. */
  betaGeneralized: readonly [number, number];
  /** beta range of the plateau kernel; same rule. */
  betaPlateau: readonly [number, number];
}

/** The size from which the blur sinc kernel's cut-off may go down to pi/5. */
export const SINC_WIDE_CUTOFF_FROM_SIZE = 13;

/** basicsr's beta rule (assumes lo < 1 < hi): with p .5 U[lo, 1], else U[1, hi]. */
export function drawKernelBeta(rng: Rng, range: readonly [number, number]): number {
  return rng.uniform() < 0.5 ? uniformIn(rng, [range[0], 1]) : uniformIn(rng, [1, range[1]]);
}

/**
 * Draws one blur kernel's parameters. Draw order: size; sinc-or-mixed; then either omega,
 * or the family, sigma_x, (sigma_y, theta for anisotropic families), (beta).
 */
export function drawBlurKernelParams(rng: Rng, dist: BlurKernelDistribution): BlurKernelParams {
  const size = chooseUniform(rng, dist.sizes);
  if (rng.uniform() < dist.sincProb) {
    const lo = size < SINC_WIDE_CUTOFF_FROM_SIZE ? Math.PI / 3 : Math.PI / 5;
    return { type: 'sinc', size, omega: uniformIn(rng, [lo, Math.PI]) };
  }
  const type = dist.types[chooseWeighted(rng, dist.typeProbs)];
  const sigmaX = uniformIn(rng, dist.sigmaRange);
  const anisotropic = type === 'aniso' || type === 'generalized_aniso' || type === 'plateau_aniso';
  const sigmaY = anisotropic ? uniformIn(rng, dist.sigmaRange) : sigmaX;
  const theta = anisotropic ? uniformIn(rng, dist.rotationRange) : 0;
  const params: BlurKernelParams = { type, size, sigmaX, sigmaY, theta };
  if (type === 'generalized_iso' || type === 'generalized_aniso')
    params.beta = drawKernelBeta(rng, dist.betaGeneralized);
  if (type === 'plateau_iso' || type === 'plateau_aniso') params.beta = drawKernelBeta(rng, dist.betaPlateau);
  return params;
}

/**
 * Draws the final sinc filter of the second-order model: with probability `prob` a sinc
 * kernel of a size from `sizes` with cut-off U[omegaRange], else null (the identity pulse).
 */
export function drawFinalSincParams(
  rng: Rng,
  prob: number,
  sizes: readonly number[],
  omegaRange: readonly [number, number],
): BlurKernelParams | null {
  if (!(rng.uniform() < prob)) return null;
  const size = chooseUniform(rng, sizes);
  return { type: 'sinc', size, omega: uniformIn(rng, omegaRange) };
}

function need(value: number | undefined, what: string): number {
  if (value === undefined) throw new RangeError(`kernel params lack ${what}`);
  return value;
}

/**
 * Rebuilds the kernel described by `params`, zero-padded to `padTo` (default: no padding).
 * `null` is the identity pulse of size `padTo` (or 1).
 */
export function buildBlurKernel(params: BlurKernelParams | null, padTo = 0): BlurKernel {
  if (params === null) return pulseKernel(Math.max(1, padTo));
  const { size } = params;
  let kernel: BlurKernel;
  if (params.type === 'sinc') {
    kernel = sincKernel(size, need(params.omega, 'omega'));
  } else {
    const shape = { sigmaX: need(params.sigmaX, 'sigmaX'), sigmaY: params.sigmaY, theta: params.theta };
    switch (params.type) {
      case 'iso':
      case 'aniso':
        kernel = gaussianKernel(size, shape);
        break;
      case 'generalized_iso':
      case 'generalized_aniso':
        kernel = generalizedGaussianKernel(size, shape, need(params.beta, 'beta'));
        break;
      case 'plateau_iso':
      case 'plateau_aniso':
        kernel = plateauKernel(size, shape, need(params.beta, 'beta'));
        break;
      default:
        throw new RangeError(`unknown kernel type ${String(params.type)}`);
    }
  }
  return padTo > size ? padKernel(kernel, padTo) : kernel;
}
