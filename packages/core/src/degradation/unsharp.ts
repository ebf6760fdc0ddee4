import type { Tensor } from '../tensor/tensor';
import { filterSeparableReflect } from './filter';

/** Options of {@link unsharpMask}; defaults are basicsr's USMSharp (Real-ESRGAN `gt_usm`). */
export interface UnsharpOptions {
  /** Gaussian window size; an even value is bumped to the next odd one like the reference. Default 51 (radius 50). */
  size?: number;
  /**
   * Gaussian sigma in pixels. Default 0, which means OpenCV's rule for getGaussianKernel:
   * 0.3 ((size - 1) / 2 - 1) + 0.8, i.e. exactly 8 for size 51.
   */
  sigma?: number;
  /** Weight of the residual added back. Default 0.5. */
  weight?: number;
  /** Residuals above this (in [0, 1] units) enter the mask. Default 10/255. */
  threshold?: number;
}

/** OpenCV getGaussianKernel: exp(-(i - (n-1)/2)^2 / (2 sigma^2)) normalised, sigma from size when <= 0. */
export function opencvGaussianWindow(size: number, sigma = 0): Float64Array {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0)
    throw new RangeError(`window size must be odd, got ${size}`);
  const s = sigma > 0 ? sigma : 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
  const centre = (size - 1) / 2;
  const out = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    out[i] = Math.exp(-((i - centre) ** 2) / (2 * s * s));
    sum += out[i];
  }
  for (let i = 0; i < size; i++) out[i] /= sum;
  return out;
}

/**
 * Unsharp masking with a soft threshold mask (basicsr USMSharp):
 * blur = G * x; r = x - blur; m = G * [|r| > threshold]; sharp = clip(x + weight r, 0, 1);
 * out = m sharp + (1 - m) x. G is separable, so both blurs run as two 1-D passes.
 */
export function unsharpMask(image: Tensor, options: UnsharpOptions = {}): Tensor {
  let size = options.size ?? 51;
  if (size % 2 === 0) size += 1;
  const weight = options.weight ?? 0.5;
  const threshold = options.threshold ?? 10 / 255;
  const g = opencvGaussianWindow(size, options.sigma ?? 0);
  const x = image.data;
  const blur = filterSeparableReflect(image, g, g).data;
  const residual = new Float32Array(x.length);
  const mask = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    residual[i] = x[i] - blur[i];
    mask[i] = Math.abs(residual[i]) > threshold ? 1 : 0;
  }
  const soft = filterSeparableReflect({ data: mask, shape: image.shape }, g, g).data;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let sharp = x[i] + weight * residual[i];
    sharp = sharp < 0 ? 0 : Math.min(sharp, 1);
    out[i] = soft[i] * sharp + (1 - soft[i]) * x[i];
  }
  return { data: out, shape: [...image.shape] };
}
