import {
  abortErrorOf,
  clockNow,
  type RestoreOptions,
  type Runtime,
  raceAbort,
  restoreImage,
  throwIfAborted,
} from '@diffrestore/core';
import { type BundleStore, type CacheProgress, cacheApiStore, type FetchBundleOptions, memoryStore } from './cache';
import type { RestoreWorkerProgress, WireRestoreOptions } from './restore-protocol';
import { loadWebBundle, type WebBundle } from './url-bundle-source';
import type { WorkerHandler } from './worker-host';
import { toWireTensors, type WorkerOps } from './worker-protocol';

/** Options of {@link createRestoreHandlers}. */
export interface RestoreHandlersOptions {
  /** The worker's runtime (e.g. `createRuntimeHandlers().runtime`, so 'init' settings apply). */
  readonly runtime: () => Runtime;
  /** Default globalThis.fetch. */
  readonly fetch?: FetchBundleOptions['fetch'];
  /** The store for a request's `cache` setting. Default: Cache API by name, memory for `false`. */
  readonly store?: (cache: string | false | undefined) => BundleStore;
}

function defaultStore(cache: string | false | undefined): BundleStore {
  if (cache === false || typeof caches === 'undefined') return memoryStore();
  return cacheApiStore(cache ?? 'diffrestore-bundles');
}

/** Wire options -> core's RestoreOptions (the plain-data subset, checked). */
export function restoreOptionsFromWire(o: WireRestoreOptions = {}): RestoreOptions {
  const { cleaner, guidance, ...rest } = o;
  if (guidance && (guidance as { kind: string }).kind === 'likelihood') {
    throw new Error("restore in a worker: guidance 'likelihood' needs an operator object; run it in-process");
  }
  if (cleaner !== undefined && cleaner !== 'bundle' && cleaner !== 'none') {
    throw new Error(`restore in a worker: cleaner must be 'bundle' or 'none', got ${JSON.stringify(cleaner)}`);
  }
  return {
    ...rest,
    ...(guidance ? { guidance } : {}),
    ...(cleaner ? { cleaner: { kind: cleaner } } : {}),
  };
}

// One open bundle shared by the requests that want it; its load is aborted only when every
// request waiting for it has been aborted.
interface Loader {
  readonly promise: Promise<WebBundle>;
  readonly controller: AbortController;
  readonly listeners: Set<(p: RestoreWorkerProgress) => void>;
  waiting: number;
  done: boolean;
}

/**
 * The 'restore' and 'closeBundle' worker operations. Each bundle URL is downloaded (verified,
 * through the store) and opened once, then kept open for later requests until 'closeBundle'.
 * Progress: download bytes, 'open', then core's stage/tile/step/preview events. Aborting a
 * request stops its restore at the next step or tile (a run already inside ONNX Runtime
 * finishes in the background).
 */
export function createRestoreHandlers(options: RestoreHandlersOptions): {
  restore: WorkerHandler<WorkerOps['restore']['request'], WorkerOps['restore']['response'], RestoreWorkerProgress>;
  closeBundle: WorkerHandler<WorkerOps['closeBundle']['request'], WorkerOps['closeBundle']['response'], never>;
  /** URLs of the bundles open (or opening) in this worker. */
  bundles(): string[];
} {
  const loaders = new Map<string, Loader>();
  const storeFor = options.store ?? defaultStore;

  const startLoad = (url: string, cache: string | false | undefined): Loader => {
    const controller = new AbortController();
    const listeners = new Set<(p: RestoreWorkerProgress) => void>();
    const emit = (p: RestoreWorkerProgress) => {
      for (const l of listeners) l(p);
    };
    let opening = false;
    const promise = loadWebBundle(url, {
      runtime: options.runtime(),
      store: storeFor(cache),
      signal: controller.signal,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      onDownload: (p: CacheProgress) => {
        emit({ type: 'download', ...p });
        if (!opening && p.filesDone === p.files) {
          opening = true;
          emit({ type: 'open', url });
        }
      },
    });
    const loader: Loader = { promise, controller, listeners, waiting: 0, done: false };
    promise.then(
      () => {
        loader.done = true;
      },
      () => {
        if (loaders.get(url) === loader) loaders.delete(url);
      },
    );
    loaders.set(url, loader);
    return loader;
  };

  const bundleFor = async (
    url: string,
    cache: string | false | undefined,
    signal: AbortSignal,
    progress: (p: RestoreWorkerProgress) => void,
  ): Promise<{ bundle: WebBundle; warm: boolean }> => {
    const existing = loaders.get(url);
    if (existing?.done) return { bundle: await existing.promise, warm: true };
    const loader = existing ?? startLoad(url, cache);
    loader.waiting++;
    let counted = true;
    loader.listeners.add(progress);
    try {
      return {
        bundle: await raceAbort(loader.promise, signal, () => {
          counted = false;
          if (--loader.waiting === 0 && !loader.done) {
            if (loaders.get(url) === loader) loaders.delete(url);
            loader.controller.abort(abortErrorOf(signal));
          }
        }),
        warm: false,
      };
    } finally {
      loader.listeners.delete(progress);
      if (counted) loader.waiting--;
    }
  };

  return {
    bundles: () => [...loaders.keys()],
    async restore({ bundleUrl, image, options: wire, cache }, { signal, progress }) {
      const url = new URL(bundleUrl).href; // absolute only: a worker's base URL is not the page's
      const restoreOptions = restoreOptionsFromWire(wire);
      const t0 = clockNow();
      const { bundle, warm } = await bundleFor(url, cache, signal, progress);
      const loadMs = clockNow() - t0;
      throwIfAborted(signal);
      const result = await restoreImage(bundle.model, image, {
        ...restoreOptions,
        signal,
        onProgress: (p) => progress(p),
      });
      const wireOut = toWireTensors({ image: result.image, cleaned: result.cleaned }, false);
      return {
        image: wireOut.image,
        cleaned: wireOut.cleaned,
        ...(result.seed !== undefined ? { seed: result.seed } : {}),
        timings: result.timings,
        bundle: { url, name: bundle.manifest.name, warm, loadMs },
      };
    },
    async closeBundle({ bundleUrl }) {
      const url = new URL(bundleUrl).href;
      const loader = loaders.get(url);
      if (!loader) return { closed: false };
      loaders.delete(url);
      if (!loader.done) {
        loader.controller.abort();
        return { closed: true };
      }
      await (await loader.promise).close();
      return { closed: true };
    },
  };
}
