import type { Tensor } from '../tensor/tensor';
import { imageDims } from './shape';

/** Interleaved pixel buffers that {@link imageFromPixels} reads. */
export type PixelBuffer = Uint8Array | Uint8ClampedArray | Uint16Array;

export interface ImageToPixelsOptions {
  /** 8 -> Uint8Array with max 255, 16 -> Uint16Array with max 65535. Default 8. */
  readonly bitDepth?: 8 | 16;
  /**
   * `'round'` = nearest integer (ties to even); `'truncate'` = floor, as the reference's
   * `(x * 255).clamp(0, 255).to(torch.uint8)` does (it darkens by half a level on average).
   * Default `'round'`.
   */
  readonly rounding?: 'round' | 'truncate';
  /** Which image of the batch to convert. Default 0. */
  readonly batchIndex?: number;
}

/**
 * Interleaved HWC pixels (8-bit or 16-bit, as the array type says) -> (1, C, H, W) float32 in
 * [0,1], dividing by 255 or 65535.
 */
export function imageFromPixels(data: PixelBuffer, width: number, height: number, channels: number): Tensor {
  for (const v of [width, height, channels]) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`imageFromPixels: sizes must be positive integers`);
  }
  const hw = width * height;
  if (data.length !== hw * channels) {
    throw new RangeError(`imageFromPixels: ${data.length} values for ${width}x${height}x${channels}`);
  }
  const max = data instanceof Uint16Array ? 65535 : 255;
  const out = new Float32Array(hw * channels);
  for (let k = 0; k < channels; k++) {
    const plane = k * hw;
    for (let i = 0, j = k; i < hw; i++, j += channels) out[plane + i] = data[j] / max;
  }
  return { data: out, shape: [1, channels, height, width] };
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * One image of an NCHW float tensor -> interleaved HWC integers, clamping to [0,1] first.
 * The product `x * max` is taken in float32 as PyTorch does, so `'truncate'` matches the
 * reference bit for bit.
 */
export function imageToPixels(t: Tensor, options: ImageToPixelsOptions = {}): Uint8Array | Uint16Array {
  const { n, c, h, w } = imageDims(t, 'imageToPixels input');
  const bitDepth = options.bitDepth ?? 8;
  const rounding = options.rounding ?? 'round';
  const b = options.batchIndex ?? 0;
  if (!Number.isInteger(b) || b < 0 || b >= n) throw new RangeError(`imageToPixels: no image ${b} in a batch of ${n}`);
  if (bitDepth !== 8 && bitDepth !== 16) throw new RangeError(`imageToPixels: bitDepth must be 8 or 16`);
  const max = bitDepth === 8 ? 255 : 65535;
  const hw = h * w;
  const out = bitDepth === 8 ? new Uint8Array(hw * c) : new Uint16Array(hw * c);
  const quantise = rounding === 'truncate' ? Math.floor : roundHalfEven;
  const base = b * c * hw;
  for (let k = 0; k < c; k++) {
    const plane = base + k * hw;
    for (let i = 0, j = k; i < hw; i++, j += c) {
      const v = Math.fround(t.data[plane + i] * max);
      // NaN maps to 0, as a clamp followed by an integer cast does on common platforms
      out[j] = v > 0 ? (v < max ? quantise(v) : max) : 0;
    }
  }
  return out;
}

/** Splits the last channel off a 2-channel (gray + alpha) or 4-channel (RGBA) image. */
export function splitAlpha(t: Tensor): { rgb: Tensor; alpha?: Tensor } {
  const { n, c, h, w } = imageDims(t, 'splitAlpha input');
  if (c !== 2 && c !== 4) return { rgb: t };
  const hw = h * w;
  const colour = new Float32Array(n * (c - 1) * hw);
  const alpha = new Float32Array(n * hw);
  for (let b = 0; b < n; b++) {
    colour.set(t.data.subarray(b * c * hw, (b * c + c - 1) * hw), b * (c - 1) * hw);
    alpha.set(t.data.subarray((b * c + c - 1) * hw, (b + 1) * c * hw), b * hw);
  }
  return { rgb: { data: colour, shape: [n, c - 1, h, w] }, alpha: { data: alpha, shape: [n, 1, h, w] } };
}

/** Appends a one-channel alpha to a colour image of the same batch and size. */
export function mergeAlpha(rgb: Tensor, alpha: Tensor): Tensor {
  const { n, c, h, w } = imageDims(rgb, 'mergeAlpha colour');
  const a = imageDims(alpha, 'mergeAlpha alpha');
  if (a.n !== n || a.c !== 1 || a.h !== h || a.w !== w) {
    throw new RangeError(`mergeAlpha: alpha [${alpha.shape.join(', ')}] does not fit colour [${rgb.shape.join(', ')}]`);
  }
  const hw = h * w;
  const out = new Float32Array(n * (c + 1) * hw);
  for (let b = 0; b < n; b++) {
    out.set(rgb.data.subarray(b * c * hw, (b + 1) * c * hw), b * (c + 1) * hw);
    out.set(alpha.data.subarray(b * hw, (b + 1) * hw), (b * (c + 1) + c) * hw);
  }
  return { data: out, shape: [n, c + 1, h, w] };
}

/**
 * Any image -> 3-channel RGB: gray is broadcast to three channels, an alpha channel (C = 2 or 4)
 * is dropped, RGB is returned unchanged (same object).
 */
export function toRgb(t: Tensor): Tensor {
  const { n, c, h, w } = imageDims(t, 'toRgb input');
  if (c === 3) return t;
  if (c === 2 || c === 4) return toRgb(splitAlpha(t).rgb);
  if (c !== 1) throw new RangeError(`toRgb: cannot make RGB from ${c} channels`);
  const hw = h * w;
  const out = new Float32Array(n * 3 * hw);
  for (let b = 0; b < n; b++) {
    const plane = t.data.subarray(b * hw, (b + 1) * hw);
    for (let k = 0; k < 3; k++) out.set(plane, (b * 3 + k) * hw);
  }
  return { data: out, shape: [n, 3, h, w] };
}
