import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Tensor } from '@diffrestore/core';
import sharp from 'sharp';
import { type AtomicWriteOptions, assertWritable, writeFileAtomic } from './atomic-write';
import { encodeTiff16 } from './tiff16';

/** Formats writeImage can produce (readImage reads anything sharp decodes). */
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'tiff';

export interface DecodedImage {
  /** RGB, (1, 3, H, W), values in [0, 1]; grayscale files are expanded to three equal channels. */
  readonly image: Tensor;
  /** The alpha channel, (1, 1, H, W) in [0, 1], when the file has one. */
  readonly alpha?: Tensor;
  /** Bits per channel of the file: 16 for 16-bit PNG/TIFF, otherwise 8. */
  readonly bitDepth: 8 | 16;
  /** The file's format as sharp names it ('png', 'jpeg', 'webp', 'tiff', ...). */
  readonly format: string;
  readonly width: number;
  readonly height: number;
  /** Channels stored in the file: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA (or CMYK). */
  readonly channelsOriginal: number;
  /** Whether the file was grayscale (write it back with `grayscale: true` to keep it so). */
  readonly grayscale: boolean;
}

export interface ReadImageOptions {
  /** Rotate/flip according to the EXIF Orientation tag, as viewers show the image. Default true. */
  readonly autoOrient?: boolean;
}

function describe(input: string | Uint8Array): string {
  return typeof input === 'string' ? input : `<${input.byteLength} bytes>`;
}

/**
 * Decodes PNG, JPEG, WebP, TIFF (and whatever else sharp reads), 8 or 16 bits, into float
 * tensors. Gray is expanded to RGB (and reported in `grayscale`); alpha is kept aside.
 */
export async function readImage(input: string | Uint8Array, options: ReadImageOptions = {}): Promise<DecodedImage> {
  const what = describe(input);
  if (typeof input === 'string') {
    try {
      if (!(await stat(input)).isFile()) throw new Error(`not a file: ${input}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`image file not found: ${input}`);
      throw e;
    }
  }
  const source = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    const meta = await sharp(source).metadata();
    const sixteen = meta.depth !== undefined && meta.depth !== 'uchar' && meta.depth !== 'char';
    const gray = meta.space === 'b-w' || meta.space === 'grey16';
    const colourspace = gray ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
    let pipeline = sharp(source, { autoOrient: options.autoOrient ?? true }).toColourspace(colourspace);
    pipeline = pipeline.raw(sixteen ? { depth: 'ushort' } : {});
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    const { width, height, channels } = info;
    const samples = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : data;
    const decoded = toTensors(samples, width, height, channels, sixteen ? 65535 : 255);
    return {
      ...decoded,
      bitDepth: sixteen ? 16 : 8,
      format: meta.format ?? 'unknown',
      width,
      height,
      channelsOriginal: meta.channels ?? channels,
      grayscale: channels <= 2,
    };
  } catch (e) {
    throw new Error(`cannot read image ${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Interleaved HWC samples -> planar float RGB (+ alpha). */
function toTensors(
  samples: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  max: number,
): { image: Tensor; alpha?: Tensor } {
  const plane = width * height;
  const colour = channels <= 2 ? 1 : 3;
  const hasAlpha = channels === 2 || channels === 4;
  const rgb = new Float32Array(3 * plane);
  const alpha = hasAlpha ? new Float32Array(plane) : undefined;
  const inv = 1 / max;
  for (let p = 0; p < plane; p++) {
    const base = p * channels;
    for (let c = 0; c < 3; c++) rgb[c * plane + p] = samples[base + (colour === 1 ? 0 : c)] * inv;
    if (alpha) alpha[p] = samples[base + colour] * inv;
  }
  return {
    image: { data: rgb, shape: [1, 3, height, width] },
    ...(alpha ? { alpha: { data: alpha, shape: [1, 1, height, width] } } : {}),
  };
}

export interface ImageToWrite {
  /** (1, 3, H, W) RGB or (1, 1, H, W) gray, values in [0, 1] (clamped; NaN becomes 0). */
  readonly image: Tensor;
  /** (1, 1, H, W) alpha in [0, 1]. */
  readonly alpha?: Tensor;
  /** 8 (default) or 16; 16 is for PNG and TIFF. */
  readonly bitDepth?: 8 | 16;
  /** Default: from the file extension (.png, .jpg/.jpeg, .webp, .tif/.tiff). */
  readonly format?: ImageFormat;
  /** Store one gray channel (BT.601 luma of RGB). Default: false, or true for a 1-channel image. */
  readonly grayscale?: boolean;
}

export interface WriteImageOptions extends AtomicWriteOptions {
  /** JPEG / lossy WebP quality, 1-100. Default 95. */
  readonly quality?: number;
  /** Lossless WebP. Default false. */
  readonly lossless?: boolean;
}

const EXTENSIONS: Record<string, ImageFormat> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
  '.tif': 'tiff',
  '.tiff': 'tiff',
};

/** The output format for a file name, or undefined for an unknown extension. */
export function formatFromPath(file: string): ImageFormat | undefined {
  return EXTENSIONS[path.extname(file).toLowerCase()];
}

function quantize(v: number, max: number): number {
  if (!(v > 0)) return 0; // also NaN
  if (v >= 1) return max;
  return Math.round(v * max);
}

/** Encodes tensors to the bytes of an image file. */
export async function encodeImage(
  img: ImageToWrite,
  format: ImageFormat,
  options: WriteImageOptions = {},
): Promise<Uint8Array> {
  const { image, alpha } = img;
  const [n, c, height, width] = image.shape;
  if (image.shape.length !== 4 || n !== 1 || (c !== 1 && c !== 3)) {
    throw new RangeError(`image must have shape (1, 3, H, W) or (1, 1, H, W), got (${image.shape.join(', ')})`);
  }
  if (
    alpha &&
    (alpha.shape.length !== 4 ||
      alpha.shape[0] !== 1 ||
      alpha.shape[1] !== 1 ||
      alpha.shape[2] !== height ||
      alpha.shape[3] !== width)
  ) {
    throw new RangeError(`alpha must have shape (1, 1, ${height}, ${width}), got (${alpha.shape.join(', ')})`);
  }
  const bitDepth = img.bitDepth ?? 8;
  if (bitDepth === 16 && format !== 'png' && format !== 'tiff') {
    throw new Error(`${format.toUpperCase()} cannot store 16 bits per channel; write PNG or TIFF, or use bitDepth 8`);
  }
  if (alpha && format === 'jpeg') throw new Error('JPEG cannot store an alpha channel; write PNG, WebP or TIFF');
  const gray = img.grayscale ?? c === 1;
  const colour = gray ? 1 : 3;
  const channels = colour + (alpha ? 1 : 0);
  const plane = width * height;
  const max = bitDepth === 16 ? 65535 : 255;
  const out = bitDepth === 16 ? new Uint16Array(plane * channels) : new Uint8Array(plane * channels);
  const d = image.data;
  for (let p = 0; p < plane; p++) {
    const base = p * channels;
    if (gray) {
      out[base] = quantize(c === 1 ? d[p] : 0.299 * d[p] + 0.587 * d[plane + p] + 0.114 * d[2 * plane + p], max);
    } else {
      for (let k = 0; k < 3; k++) out[base + k] = quantize(d[(c === 1 ? 0 : k) * plane + p], max);
    }
    if (alpha) out[base + colour] = quantize(alpha.data[p], max);
  }
  if (bitDepth === 16 && format === 'tiff')
    return encodeTiff16(out as Uint16Array, width, height, channels as 1 | 2 | 3 | 4);
  const colourspace = gray ? (bitDepth === 16 ? 'grey16' : 'b-w') : bitDepth === 16 ? 'rgb16' : 'srgb';
  const pipeline = sharp(out, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } }).toColourspace(
    colourspace,
  );
  const quality = options.quality ?? 95;
  switch (format) {
    case 'png':
      return pipeline.png({ compressionLevel: 6 }).toBuffer();
    case 'jpeg':
      return pipeline.jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer();
    case 'webp':
      return pipeline.webp(options.lossless ? { lossless: true } : { quality, alphaQuality: 100 }).toBuffer();
    case 'tiff':
      return pipeline.tiff({ compression: 'lzw' }).toBuffer();
  }
}

/**
 * Writes an image file atomically (temporary file in the same folder, then rename) and
 * refuses to replace an existing file unless `overwrite` is set.
 */
export async function writeImage(file: string, img: ImageToWrite, options: WriteImageOptions = {}): Promise<void> {
  const format = img.format ?? formatFromPath(file);
  if (!format) {
    throw new Error(`cannot tell the image format of ${file} from its extension (use .png, .jpg, .webp or .tif)`);
  }
  await assertWritable(file, options);
  const bytes = await encodeImage(img, format, options);
  await writeFileAtomic(file, bytes, options);
}
