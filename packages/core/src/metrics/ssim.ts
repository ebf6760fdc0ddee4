import type { Tensor } from '../tensor/tensor';
import { checkPair, cropPlanes, lumaPlanes, type MetricInputOptions, type Planes } from './luma-planes';

export interface SsimOptions {
  /** Peak value of the data (sets C1 = (0.01 max)^2, C2 = (0.03 max)^2). Default 1. */
  readonly max?: number;
  /** Border pixels removed on every side. Default 0. */
  readonly crop?: number;
}

const WINDOW = 11;
const SIGMA = 1.5;

/** Normalised 1-D Gaussian taps, as OpenCV's getGaussianKernel(11, 1.5). */
const GAUSS: Float64Array = (() => {
  const g = new Float64Array(WINDOW);
  let s = 0;
  for (let i = 0; i < WINDOW; i++) {
    const x = i - (WINDOW - 1) / 2;
    g[i] = Math.exp((-x * x) / (2 * SIGMA * SIGMA));
    s += g[i];
  }
  for (let i = 0; i < WINDOW; i++) g[i] /= s;
  return g;
})();

/** 'valid' correlation with the separable 11x11 Gaussian: (h, w) -> (h-10, w-10). */
function gaussianValid(src: Float64Array, offset: number, h: number, w: number): Float64Array {
  const ow = w - WINDOW + 1;
  const oh = h - WINDOW + 1;
  const tmp = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    const row = offset + y * w;
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW; k++) s += GAUSS[k] * src[row + x + k];
      tmp[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let k = 0; k < WINDOW; k++) {
      const gk = GAUSS[k];
      const row = (y + k) * ow;
      for (let x = 0; x < ow; x++) out[y * ow + x] += gk * tmp[row + x];
    }
  }
  return out;
}

/** Mean SSIM map of one plane pair (BasicSR `_ssim`). */
function planeSsim(a: Planes, b: Planes, plane: number, c1: number, c2: number): number {
  const { h, w } = a;
  const n = h * w;
  const off = plane * n;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a.data[off + i];
    const y = b.data[off + i];
    aa[i] = x * x;
    bb[i] = y * y;
    ab[i] = x * y;
  }
  const mu1 = gaussianValid(a.data, off, h, w);
  const mu2 = gaussianValid(b.data, off, h, w);
  const s11 = gaussianValid(aa, 0, h, w);
  const s22 = gaussianValid(bb, 0, h, w);
  const s12 = gaussianValid(ab, 0, h, w);
  let total = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i];
    const m2 = mu2[i];
    const v1 = s11[i] - m1 * m1;
    const v2 = s22[i] - m2 * m2;
    const cov = s12[i] - m1 * m2;
    // SSIM = (2 mu1 mu2 + C1)(2 sigma12 + C2) / ((mu1^2 + mu2^2 + C1)(sigma1^2 + sigma2^2 + C2))
    total += ((2 * m1 * m2 + c1) * (2 * cov + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2));
  }
  return total / mu1.length;
}

/** Mean over images of the mean over their planes (channels) of the SSIM map. */
function meanSsim(a: Planes, b: Planes, perImage: number, peak: number, what: string): number {
  if (a.h < WINDOW || a.w < WINDOW) throw new RangeError(`${what}: needs at least 11x11 pixels after the crop`);
  const c1 = (0.01 * peak) ** 2;
  const c2 = (0.03 * peak) ** 2;
  const images = a.count / perImage;
  let total = 0;
  for (let img = 0; img < images; img++) {
    let s = 0;
    for (let p = 0; p < perImage; p++) s += planeSsim(a, b, img * perImage + p, c1, c2);
    total += s / perImage;
  }
  return total / images;
}

/**
 * SSIM on every channel (BasicSR's per-channel SSIM averaged over channels), 11x11 Gaussian
 * window sigma 1.5, valid region only, averaged over the batch.
 */
export function ssim(a: Tensor, b: Tensor, options: SsimOptions = {}): number {
  checkPair(a, b, 'ssim');
  const crop = options.crop ?? 0;
  return meanSsim(cropPlanes(a, crop, 'ssim'), cropPlanes(b, crop, 'ssim'), a.shape[1], options.max ?? 1, 'ssim');
}

/**
 * SSIM on BT.601 Y in [0,255] exactly as BasicSR `calculate_ssim(..., test_y_channel=True)`:
 * 11x11 Gaussian window sigma 1.5, valid region, C1 = (0.01*255)^2, C2 = (0.03*255)^2, mean of
 * the map; averaged over the batch. Y is taken from the float input (set `quantize` to first
 * round to 8-bit levels as BasicSR's image files are).
 */
export function ssimY(a: Tensor, b: Tensor, options: MetricInputOptions = {}): number {
  checkPair(a, b, 'ssimY');
  const crop = options.crop ?? 0;
  const pa = lumaPlanes(a, crop, 'ssimY', options.quantize);
  const pb = lumaPlanes(b, crop, 'ssimY', options.quantize);
  return meanSsim(pa, pb, 1, 255, 'ssimY');
}
