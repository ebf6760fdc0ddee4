import type { Tensor } from '../tensor/tensor';
import { checkPair, cropPlanes, lumaPlanes, type MetricInputOptions, type Planes } from './luma-planes';

export interface PsnrOptions {
  /** Peak value of the data. Default 1. */
  readonly max?: number;
  /** Border pixels removed on every side. Default 0. */
  readonly crop?: number;
}

/** Mean over images of PSNR, each image being `perImage` consecutive planes. */
function meanPsnr(a: Planes, b: Planes, perImage: number, peak: number): number {
  const len = perImage * a.h * a.w;
  const images = a.count / perImage;
  let total = 0;
  for (let img = 0; img < images; img++) {
    let se = 0;
    for (let i = img * len; i < (img + 1) * len; i++) {
      const d = a.data[i] - b.data[i];
      se += d * d;
    }
    // PSNR = 10 log10(peak^2 / MSE)
    total += se === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak) / (se / len));
  }
  return total / images;
}

/**
 * PSNR over all channels, `10 log10(max^2 / MSE)` per image (MSE over C, H, W), averaged over
 * the batch; Infinity for identical images.
 */
export function psnr(a: Tensor, b: Tensor, options: PsnrOptions = {}): number {
  checkPair(a, b, 'psnr');
  const crop = options.crop ?? 0;
  const pa = cropPlanes(a, crop, 'psnr');
  const pb = cropPlanes(b, crop, 'psnr');
  return meanPsnr(pa, pb, a.shape[1], options.max ?? 1);
}

/**
 * PSNR on BT.601 Y (BasicSR `calculate_psnr(..., test_y_channel=True)`): RGB in [0,1] ->
 * Y = 16 + 65.481 R + 128.553 G + 24.966 B in [0,255], peak 255, per image, averaged over the batch.
 */
export function psnrY(a: Tensor, b: Tensor, options: MetricInputOptions = {}): number {
  checkPair(a, b, 'psnrY');
  const crop = options.crop ?? 0;
  const pa = lumaPlanes(a, crop, 'psnrY', options.quantize);
  const pb = lumaPlanes(b, crop, 'psnrY', options.quantize);
  return meanPsnr(pa, pb, 1, 255);
}
