import {
  fromNdarray,
  type NdarrayLike,
  type RestoreOptions,
  type RestoreResult,
  resize,
  restoreImage,
  type Tensor,
  throwIfAborted,
} from '@diffrestore/core';
import { type LoadBundleOptions, type LoadedBundle, loadBundle } from './bundle';
import { type ImageFormat, readImage, writeImage } from './image-io';

/** What `restore` accepts; a plain string is a file path. */
export type RestoreInput =
  | string
  | { readonly path: string }
  /** An encoded image file's bytes (PNG, JPEG, WebP, TIFF). */
  | { readonly bytes: Uint8Array }
  /** RGB (1,3,H,W) in [0,1], with an optional alpha (1,1,H,W). */
  | { readonly tensor: Tensor; readonly alpha?: Tensor }
  /**
   * An ndarray-shaped image ({ data, shape, stride, offset }, e.g. from the `ndarray`
   * package): shape [H, W, C] (C = 1, 3 or 4) with values 0-255, or [H, W, C] floats in [0,1]
   * with `range: 1`.
   */
  | { readonly ndarray: NdarrayLike; readonly range?: 255 | 1 };

export interface RestoredImage extends RestoreResult {
  /** Alpha of the input resized to the output, when it had one. */
  readonly alpha?: Tensor;
  /** Whether the input was grayscale (written back as grayscale by `output`). */
  readonly grayscale: boolean;
}

export interface NodeRestoreOptions extends RestoreOptions {
  /**
   * Write the result here (format from the extension), atomically; an existing file is an
   * error unless `overwrite`.
   */
  readonly output?: string;
  readonly overwrite?: boolean;
  /** Bits per channel of the written file (default 8; 16 for PNG/TIFF). */
  readonly bitDepth?: 8 | 16;
  readonly format?: ImageFormat;
}

interface Decoded {
  readonly image: Tensor;
  readonly alpha?: Tensor;
  readonly grayscale: boolean;
}

function fromHwc(nd: NdarrayLike, range: number): Decoded {
  const t = fromNdarray(nd);
  if (t.shape.length !== 3 || ![1, 3, 4].includes(t.shape[2])) {
    throw new RangeError(`ndarray input must have shape [H, W, C] with C = 1, 3 or 4, got [${t.shape.join(', ')}]`);
  }
  const [h, w, c] = t.shape;
  const plane = h * w;
  const rgb = new Float32Array(3 * plane);
  const alpha = c === 4 ? new Float32Array(plane) : undefined;
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < 3; k++) rgb[k * plane + i] = t.data[i * c + (c === 1 ? 0 : k)] / range;
    if (alpha) alpha[i] = t.data[i * c + 3] / range;
  }
  return {
    image: { data: rgb, shape: [1, 3, h, w] },
    alpha: alpha && { data: alpha, shape: [1, 1, h, w] },
    grayscale: c === 1,
  };
}

async function decodeInput(input: RestoreInput): Promise<Decoded> {
  if (typeof input === 'string') return readImage(input);
  if ('path' in input) return readImage(input.path);
  if ('bytes' in input) return readImage(input.bytes);
  if ('tensor' in input) return { image: input.tensor, alpha: input.alpha, grayscale: false };
  return fromHwc(input.ndarray, input.range ?? 255);
}

/** A loaded bundle that restores many images, reusing its sessions. */
export interface Restorer {
  readonly bundle: LoadedBundle;
  restore(input: RestoreInput, options?: NodeRestoreOptions): Promise<RestoredImage>;
  /** Releases the sessions (and the runtime this restorer created). */
  close(): Promise<void>;
}

export interface CreateRestorerOptions extends LoadBundleOptions {
  /** Bundle folder or http(s) URL. Default: defaultBundleLocation(). */
  readonly bundle?: string;
}

/** Restores one decoded image with a loaded bundle and writes it when asked. */
async function restoreWith(
  bundle: LoadedBundle,
  input: RestoreInput,
  options: NodeRestoreOptions,
): Promise<RestoredImage> {
  const decoded = await decodeInput(input);
  const result = await restoreImage(bundle.model, decoded.image, options);
  const [, , h, w] = result.image.shape;
  const alpha = decoded.alpha && resizeAlpha(decoded.alpha, h, w);
  const restored: RestoredImage = { ...result, alpha, grayscale: decoded.grayscale };
  if (options.output) {
    throwIfAborted(options.signal);
    await writeImage(
      options.output,
      {
        image: restored.image,
        alpha,
        bitDepth: options.bitDepth,
        format: options.format,
        grayscale: decoded.grayscale,
      },
      { overwrite: options.overwrite ?? false },
    );
  }
  return restored;
}

function resizeAlpha(alpha: Tensor, h: number, w: number): Tensor {
  if (alpha.shape[2] === h && alpha.shape[3] === w) return alpha;
  const down = h < alpha.shape[2] || w < alpha.shape[3];
  const r = resize(alpha, h, w, { mode: 'bicubic', antialias: down });
  return { data: r.data.map((v) => Math.min(1, Math.max(0, v))), shape: r.shape };
}

/** Loads a bundle once for many restores (sessions are reused across calls). */
export async function createRestorer(options: CreateRestorerOptions = {}): Promise<Restorer> {
  const bundle = await loadBundle(options.bundle, options);
  return {
    bundle,
    restore: (input, opts = {}) => restoreWith(bundle, input, opts),
    close: () => bundle.close(),
  };
}

/**
 * Restores one image with a bundle (default: the installed default bundle) and releases
 * it. For several images use createRestorer, which keeps the sessions loaded.
 */
export async function restore(
  input: RestoreInput,
  options: NodeRestoreOptions & CreateRestorerOptions = {},
): Promise<RestoredImage> {
  const restorer = await createRestorer(options);
  try {
    return await restorer.restore(input, options);
  } finally {
    await restorer.close();
  }
}
