import type { Rng, Tensor } from '@diffrestore/core';

/** Where a pair's HQ was cut from its source image. */
export interface PairCrop {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
  /** The requested square side, or null when the image was too small (or no crop was asked). */
  readonly size: number | null;
}

/**
 * Draws a crop of an `height` x `width` image: a `size` x `size` square at a uniformly random
 * offset (`top` first, then `left`). A side shorter than `size` (or every side when `size` is
 * 0) is used whole, trimmed down to a multiple of `multiple` at a random offset, so that the
 * LQ is exactly HQ / scale. Throws when a side is shorter than `multiple`.
 */
export function drawPairCrop(rng: Rng, height: number, width: number, size: number, multiple: number): PairCrop {
  if (height < multiple || width < multiple) {
    throw new RangeError(`image is ${width}x${height}, smaller than the scale ${multiple}`);
  }
  const side = (n: number) => (size > 0 && n >= size ? size : n - (n % multiple));
  const h = side(height);
  const w = side(width);
  const top = rng.int(0, height - h);
  const left = rng.int(0, width - w);
  return { top, left, height: h, width: w, size: size > 0 && h === size && w === size ? size : null };
}

/** Copies the crop out of a (N, C, H, W) tensor. */
export function cropTensor(image: Tensor, crop: PairCrop): Tensor {
  const [n, c, height, width] = image.shape;
  if (crop.top < 0 || crop.left < 0 || crop.top + crop.height > height || crop.left + crop.width > width) {
    throw new RangeError(`crop ${JSON.stringify(crop)} is outside a ${width}x${height} image`);
  }
  const out = new Float32Array(n * c * crop.height * crop.width);
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < crop.height; y++) {
      const start = (p * height + crop.top + y) * width + crop.left;
      out.set(image.data.subarray(start, start + crop.width), o);
      o += crop.width;
    }
  }
  return { data: out, shape: [n, c, crop.height, crop.width] };
}
