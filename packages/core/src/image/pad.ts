import type { Tensor } from '../tensor/tensor';
import { imageDims } from './shape';

/** Pixels added (or to remove) on each side of an image. */
export interface ImagePadding {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/**
 * How {@link padImage} fills new pixels, as `F.pad` modes: `'zero'` = constant 0,
 * `'replicate'` = nearest edge pixel, `'reflect'` = mirror without repeating the edge
 * (`[c b | a b c | b a]`).
 */
export type ImagePadMode = 'zero' | 'replicate' | 'reflect';

/**
 * Source index for a padded coordinate, or -1 for a zero. Reflect continues periodically
 * (period 2(n-1)) when the pad exceeds the size, where `F.pad` would refuse.
 */
function sourceIndex(i: number, n: number, mode: ImagePadMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'zero') return -1;
  if (mode === 'replicate' || n === 1) return i < 0 ? 0 : n - 1;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

function checkPadding(p: ImagePadding): void {
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`padImage: ${k} must be a non-negative integer, got ${v}`);
  }
}

/** Pads the two spatial axes of an NCHW image (as `F.pad(x, (left, right, top, bottom), mode)`). */
export function padImage(t: Tensor, padding: ImagePadding, mode: ImagePadMode = 'zero'): Tensor {
  checkPadding(padding);
  const { n, c, h, w } = imageDims(t, 'padImage input');
  if ((h === 0 || w === 0) && mode !== 'zero') throw new RangeError('padImage: cannot extend an empty image');
  const { top, bottom, left, right } = padding;
  const oh = h + top + bottom;
  const ow = w + left + right;
  const out = new Float32Array(n * c * oh * ow);
  const colSrc = new Int32Array(ow);
  for (let x = 0; x < ow; x++) colSrc[x] = sourceIndex(x - left, w, mode);
  for (let p = 0; p < n * c; p++) {
    const srcPlane = p * h * w;
    const dstPlane = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      const sy = sourceIndex(y - top, h, mode);
      if (sy < 0) continue;
      const srcRow = srcPlane + sy * w;
      const dstRow = dstPlane + y * ow;
      // interior copied in one call; only the side columns go through the index map
      out.set(t.data.subarray(srcRow, srcRow + w), dstRow + left);
      for (let x = 0; x < left; x++) {
        const sx = colSrc[x];
        if (sx >= 0) out[dstRow + x] = t.data[srcRow + sx];
      }
      for (let x = left + w; x < ow; x++) {
        const sx = colSrc[x];
        if (sx >= 0) out[dstRow + x] = t.data[srcRow + sx];
      }
    }
  }
  return { data: out, shape: [n, c, oh, ow] };
}

/** Crops an NCHW image to the window starting at (top, left) of the given size. */
export function cropImage(t: Tensor, top: number, left: number, height: number, width: number): Tensor {
  const { n, c, h, w } = imageDims(t, 'cropImage input');
  for (const v of [top, left, height, width]) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`cropImage: arguments must be non-negative integers`);
  }
  if (top + height > h || left + width > w) {
    throw new RangeError(`cropImage: window ${height}x${width} at (${top}, ${left}) exceeds the ${h}x${w} image`);
  }
  const out = new Float32Array(n * c * height * width);
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < height; y++) {
      const src = p * h * w + (top + y) * w + left;
      out.set(t.data.subarray(src, src + width), (p * height + y) * width);
    }
  }
  return { data: out, shape: [n, c, height, width] };
}

/**
 * Pads the bottom and right edges so both sides become multiples of `multiple` (the reference's
 * `pad_to_multiples_of`); returns the padding so the caller can crop back with {@link cropImage}.
 */
export function padToMultiple(
  t: Tensor,
  multiple: number,
  mode: ImagePadMode = 'zero',
): { image: Tensor; padding: ImagePadding } {
  if (!Number.isInteger(multiple) || multiple < 1) {
    throw new RangeError(`padToMultiple: multiple must be a positive integer, got ${multiple}`);
  }
  const { h, w } = imageDims(t, 'padToMultiple input');
  const padding: ImagePadding = {
    top: 0,
    bottom: Math.ceil(h / multiple) * multiple - h,
    left: 0,
    right: Math.ceil(w / multiple) * multiple - w,
  };
  return { image: padImage(t, padding, mode), padding };
}
