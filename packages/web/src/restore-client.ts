import { type AbortSignalLike, assertShape, type RestoreTimings, type Tensor } from '@diffrestore/core';
import { decodeImage, imageFromBitmap, imageFromImageData } from './image-io';
import { type AlphaPolicy, fitAlpha, type RestorableImage } from './image-pixels';
import type { RestoreBundleInfo, RestoreRequest, RestoreWorkerProgress, WireRestoreOptions } from './restore-protocol';
import { WorkerClient, type WorkerLike } from './worker-client';
import type { WorkerRuntimeSettings } from './worker-protocol';

/** What {@link RestoreWorker.restore} takes: a decoded image, pixels, or an encoded file. */
export type RestoreWorkerInput = Tensor | RestorableImage | ImageData | ImageBitmap | Blob;

/** Options of one restore in the worker: core's plain-data options plus where and how. */
export interface RestoreWorkerOptions extends WireRestoreOptions {
  /** The bundle folder's URL (relative URLs resolve against the page). */
  readonly bundleUrl: string;
  /** Cache API store name for the bundle's files, or `false` for memory only. Default 'diffrestore-bundles'. */
  readonly cache?: string | false;
  /** Alpha of an ImageData / ImageBitmap / Blob input (see decodeImage). Default 'auto'. */
  readonly alpha?: AlphaPolicy;
  readonly onProgress?: (progress: RestoreWorkerProgress) => void;
  /** Rejects at once with core's AbortError; the worker stops at its next step or tile. */
  readonly signal?: AbortSignalLike;
}

export interface RestoreWorkerResult {
  /** Restored RGB (1, 3, H', W') in [0, 1]. */
  readonly image: Tensor;
  /** The input's alpha resized to (H', W') (antialiased bicubic, clamped), when it had one. */
  readonly alpha?: Tensor;
  /** The stage-1 output. */
  readonly cleaned: Tensor;
  readonly seed?: number;
  /** Core's stage timings, measured in the worker. */
  readonly timings: RestoreTimings;
  readonly bundle: RestoreBundleInfo;
  /** Page-side milliseconds from the call to the result (decoding and transfers included). */
  readonly wallMs: number;
}

/** A Web Worker that restores images with core's pipeline (see {@link createRestoreWorker}). */
export interface RestoreWorker {
  readonly client: WorkerClient;
  /** The worker's runtime after 'init': its name and whether the page is cross-origin isolated. */
  readonly ready: Promise<{ runtime: string; crossOriginIsolated: boolean }>;
  restore(input: RestoreWorkerInput, options: RestoreWorkerOptions): Promise<RestoreWorkerResult>;
  /** Releases a bundle the worker keeps open (the next restore with it loads it again). */
  closeBundle(bundleUrl: string): Promise<boolean>;
  /** Stops the worker; pending restores reject. */
  terminate(): void;
}

function absoluteUrl(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return base ? new URL(url, base).href : new URL(url).href;
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && (x as Tensor).data instanceof Float32Array && 'shape' in x;
}

async function toRestorable(input: RestoreWorkerInput, alpha: AlphaPolicy | undefined, signal?: AbortSignalLike) {
  const policy = alpha ? { alpha } : {};
  if (isTensor(input)) return { image: input };
  if ('image' in input && isTensor((input as RestorableImage).image)) return input as RestorableImage;
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    return decodeImage(input, { ...policy, ...(signal ? { signal } : {}) });
  }
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) return imageFromImageData(input, policy);
  if (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap) return imageFromBitmap(input, policy);
  throw new TypeError('restore: expected a tensor, { image, alpha }, ImageData, ImageBitmap or Blob');
}

/**
 * Starts (or wraps) a Web Worker that serves the 'restore' operation — the package's
 * `dist/browser/worker.js` or your own entry importing `@diffrestore/web/worker` — and
 * initialises its runtime with `settings` (wasmPaths is made absolute against the page).
 * The worker opens each bundle once and keeps it; images go over as transferred buffers.
 */
export function createRestoreWorker(
  worker: string | URL | WorkerLike,
  settings: WorkerRuntimeSettings = {},
): RestoreWorker {
  const w = typeof worker === 'string' || worker instanceof URL ? new Worker(worker, { type: 'module' }) : worker;
  const client = new WorkerClient(w);
  const wasmPaths = settings.wasmPaths === undefined ? undefined : absoluteUrl(settings.wasmPaths);
  const ready = client.request('init', { ...settings, ...(wasmPaths ? { wasmPaths } : {}) });
  ready.catch(() => {}); // reported by the first restore
  return {
    client,
    ready,
    async restore(input, options) {
      const started = performance.now();
      const { bundleUrl, cache, alpha, onProgress, signal, ...wire } = options;
      const decoded = await toRestorable(input, alpha, signal);
      assertShape(decoded.image, [1, 3, null, null], 'restore input image');
      await ready;
      // a copy the worker may own: the caller's tensor stays usable
      const image = { data: decoded.image.data.slice(), shape: [...decoded.image.shape] };
      const request: RestoreRequest = {
        bundleUrl: absoluteUrl(bundleUrl),
        image,
        options: wire,
        ...(cache !== undefined ? { cache } : {}),
      };
      const r = await client.request('restore', request, {
        transfer: [image.data.buffer],
        ...(onProgress ? { onProgress } : {}),
        ...(signal ? { signal } : {}),
      });
      const out: Tensor = { data: r.image.data, shape: [...r.image.shape] };
      const [, , h, wd] = out.shape;
      return {
        image: out,
        ...(decoded.alpha ? { alpha: fitAlpha(decoded.alpha, h, wd) } : {}),
        cleaned: { data: r.cleaned.data, shape: [...r.cleaned.shape] },
        ...(r.seed !== undefined ? { seed: r.seed } : {}),
        timings: r.timings,
        bundle: r.bundle,
        wallMs: performance.now() - started,
      };
    },
    async closeBundle(bundleUrl) {
      return (await client.request('closeBundle', { bundleUrl: absoluteUrl(bundleUrl) })).closed;
    },
    terminate: () => client.terminate(),
  };
}
