import type { AbortSignalLike } from '@diffrestore/core';
import { throwIfAborted } from '@diffrestore/core';
import {
  imageFromRgba,
  imageToRgba,
  type ReadPixelsOptions,
  type RestorableImage,
  type WritePixelsOptions,
} from './image-pixels';

// Everything here uses createImageBitmap + OffscreenCanvas only (no `document`), so it works
// in a Web Worker as well as on a page.
//
// A 2D canvas stores premultiplied alpha, so the colour of a translucent pixel goes through
// round(c * a / 255) and back: exact for opaque pixels, off by up to about 127 / a levels for a
// pixel of alpha a (and meaningless at a = 0). Alpha itself is exact.

export interface DecodeImageOptions extends ReadPixelsOptions {
  /** Cancels fetching a URL and stops before decoding. */
  readonly signal?: AbortSignalLike;
}

/** Output formats of {@link encodeImage} (what OffscreenCanvas.convertToBlob can write). */
export type EncodedImageType = 'image/png' | 'image/jpeg' | 'image/webp';

export interface EncodeImageOptions extends WritePixelsOptions {
  /** Default 'image/png' (lossless, keeps alpha). JPEG drops alpha (composited on black). */
  readonly type?: EncodedImageType;
  /** 0..1 for 'image/jpeg' and 'image/webp'. Default: the browser's (0.92 JPEG, 0.8 WebP). */
  readonly quality?: number;
}

function context2d(width: number, height: number): OffscreenCanvasRenderingContext2D {
  if (typeof OffscreenCanvas === 'undefined') {
    throw new Error('diffrestore web image I/O needs OffscreenCanvas (a browser or a Web Worker)');
  }
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('OffscreenCanvas: no 2D context');
  return ctx;
}

/** ImageData -> { image: (1,3,H,W) RGB in [0,1], alpha?: (1,1,H,W) } (alpha per `options.alpha`). */
export function imageFromImageData(data: ImageData, options: ReadPixelsOptions = {}): RestorableImage {
  return imageFromRgba(data.data, data.width, data.height, options);
}

/** Reads an ImageBitmap's pixels (drawn 1:1 onto an OffscreenCanvas). */
export function imageFromBitmap(bitmap: ImageBitmap, options: ReadPixelsOptions = {}): RestorableImage {
  const ctx = context2d(bitmap.width, bitmap.height);
  ctx.drawImage(bitmap, 0, 0);
  return imageFromImageData(ctx.getImageData(0, 0, bitmap.width, bitmap.height), options);
}

async function toBlob(source: Blob | ArrayBuffer | ArrayBufferView | string, signal?: AbortSignalLike): Promise<Blob> {
  if (typeof source === 'string') {
    const response = await fetch(source, signal ? { signal: signal as AbortSignal } : {});
    if (!response.ok) throw new Error(`decodeImage: ${source}: HTTP ${response.status}`);
    return response.blob();
  }
  if (source instanceof Blob) return source;
  return new Blob([source as BlobPart]);
}

/**
 * Decodes an encoded image (PNG, JPEG, WebP, GIF, AVIF: whatever the browser decodes) from a
 * Blob/File, bytes or a URL. No colour-space conversion, no alpha premultiplication by the
 * decoder, EXIF orientation applied.
 */
export async function decodeImage(
  source: Blob | ArrayBuffer | ArrayBufferView | string,
  options: DecodeImageOptions = {},
): Promise<RestorableImage> {
  throwIfAborted(options.signal);
  const blob = await toBlob(source, options.signal);
  throwIfAborted(options.signal);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
      imageOrientation: 'from-image',
    });
  } catch (e) {
    const what = typeof source === 'string' ? source : `${blob.size}-byte ${blob.type || 'image'}`;
    throw new Error(`decodeImage: cannot decode ${what}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  try {
    throwIfAborted(options.signal);
    return imageFromBitmap(bitmap, options);
  } finally {
    bitmap.close();
  }
}

/** RGB(+alpha) -> ImageData (RGBA8); alpha is resized to the image if their sizes differ. */
export function imageToImageData(input: RestorableImage, options: WritePixelsOptions = {}): ImageData {
  const { data, width, height } = imageToRgba(input, options);
  return new ImageData(data as Uint8ClampedArray<ArrayBuffer>, width, height);
}

/** Encodes RGB(+alpha) as PNG (default), JPEG or WebP with OffscreenCanvas.convertToBlob. */
export async function encodeImage(input: RestorableImage, options: EncodeImageOptions = {}): Promise<Blob> {
  const imageData = imageToImageData(input, options);
  const ctx = context2d(imageData.width, imageData.height);
  ctx.putImageData(imageData, 0, 0);
  const type = options.type ?? 'image/png';
  const blob = await ctx.canvas.convertToBlob({
    type,
    ...(options.quality !== undefined ? { quality: options.quality } : {}),
  });
  // browsers fall back to PNG for a type they cannot write (e.g. WebP in some Safari versions)
  if (blob.type !== type) throw new Error(`encodeImage: this browser cannot encode ${type} (got ${blob.type})`);
  return blob;
}
