import {
  imageDims,
  imageFromPixels,
  imageToPixels,
  mergeAlpha,
  type ResizeMode,
  resize,
  splitAlpha,
  type Tensor,
  toRgb,
} from '@diffrestore/core';

/** An image as diffrestore handles it: RGB in [0,1] plus, when it had one, its alpha. */
export interface RestorableImage {
  /** (1, 3, H, W) float32 in [0, 1] (a (1, 1, H, W) gray image is accepted on output). */
  readonly image: Tensor;
  /** (1, 1, h, w) in [0, 1]; resized to the image's size on output when the sizes differ. */
  readonly alpha?: Tensor;
}

/** What to do with the alpha channel when reading pixels. */
export type AlphaPolicy = 'auto' | 'keep' | 'drop';

export interface ReadPixelsOptions {
  /**
   * 'auto' keeps alpha only when some pixel is not fully opaque; 'keep' always returns it;
   * 'drop' never does. Default 'auto'.
   */
  readonly alpha?: AlphaPolicy;
}

export interface WritePixelsOptions {
  /** Kernel for fitting alpha to the image's size. Default 'bicubic' (antialiased, clamped). */
  readonly alphaResize?: ResizeMode;
}

/**
 * Interleaved RGBA8 pixels (ImageData's layout) -> RGB (1,3,H,W) and alpha (1,1,H,W) in [0,1],
 * each value divided by 255.
 */
export function imageFromRgba(
  data: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  options: ReadPixelsOptions = {},
): RestorableImage {
  const policy = options.alpha ?? 'auto';
  if (data.length !== width * height * 4) {
    throw new RangeError(`imageFromRgba: ${data.length} bytes for ${width}x${height} RGBA`);
  }
  const { rgb, alpha } = splitAlpha(imageFromPixels(data, width, height, 4));
  if (policy === 'drop' || !alpha) return { image: rgb };
  if (policy === 'auto') {
    let opaque = true;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i] !== 255) {
        opaque = false;
        break;
      }
    }
    if (opaque) return { image: rgb };
  }
  return { image: rgb, alpha };
}

/**
 * Resizes an alpha plane to (height, width) — it is not restored, only scaled — and clamps
 * it to [0, 1] (bicubic overshoots at edges). Returns the same tensor if the size fits.
 */
export function fitAlpha(alpha: Tensor, height: number, width: number, mode: ResizeMode = 'bicubic'): Tensor {
  const d = imageDims(alpha, 'alpha');
  if (d.c !== 1) throw new RangeError(`alpha must have one channel, got ${d.c}`);
  if (d.h === height && d.w === width) return alpha;
  const r = resize(alpha, height, width, { mode, antialias: true });
  const data = r.data;
  for (let i = 0; i < data.length; i++) data[i] = Math.min(Math.max(data[i], 0), 1);
  return r;
}

/**
 * RGB (or gray) image plus optional alpha -> interleaved RGBA8 (ImageData's layout), rounding
 * to nearest; missing alpha is opaque.
 */
export function imageToRgba(
  input: RestorableImage,
  options: WritePixelsOptions = {},
): { data: Uint8ClampedArray; width: number; height: number } {
  const rgb = toRgb(input.image);
  const { n, h, w } = imageDims(rgb, 'image');
  if (n !== 1) throw new RangeError(`imageToRgba: expected one image, got a batch of ${n}`);
  const alpha = input.alpha
    ? fitAlpha(input.alpha, h, w, options.alphaResize)
    : { data: new Float32Array(h * w).fill(1), shape: [1, 1, h, w] };
  const bytes = imageToPixels(mergeAlpha(rgb, alpha), { bitDepth: 8 }) as Uint8Array;
  return { data: new Uint8ClampedArray(bytes.buffer, bytes.byteOffset, bytes.length), width: w, height: h };
}
