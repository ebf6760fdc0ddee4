import {
  type AbortSignalLike,
  type BundleFileEntry,
  type BundleManifest,
  type BundleSource,
  bundleFiles,
  decodeUtf8,
  type OpenBundleOptions,
  type OpenedBundle,
  openBundle,
  parseBundleManifest,
  type Runtime,
  throwIfAborted,
} from '@diffrestore/core';
import {
  type BundleStore,
  bundleFileUrl,
  type CacheProgress,
  cacheApiStore,
  type FetchBundleOptions,
  fetchBundleFiles,
  memoryStore,
  readBundleFile,
  sha256Hex,
} from './cache';
import { createWebRuntime, type WebRuntimeOptions } from './runtime';

type FetchFn = NonNullable<FetchBundleOptions['fetch']>;

/** Options of {@link urlBundleSource}. */
export interface UrlBundleSourceOptions {
  /** Default globalThis.fetch. */
  readonly fetch?: FetchFn;
  /**
   * Verified files are read through this store (fetched into it first when missing), e.g.
   * {@link cacheApiStore} to keep them across visits. Default none: each file is fetched and
   * checked against the manifest's SHA-256 and size on every read.
   */
  readonly store?: BundleStore;
  /**
   * Hand graph URLs to the runtime instead of bytes, so onnxruntime-web fetches them itself
   * (saves one copy in JavaScript memory, but skips the SHA-256 check of graphs). Ignored
   * with a store. Default false.
   */
  readonly loadByUrl?: boolean;
  /** The manifest.json already fetched and parsed (saves a request). */
  readonly manifest?: unknown;
  readonly signal?: AbortSignalLike;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

async function fetchBytes(fetchFn: FetchFn, url: string, signal: AbortSignalLike | undefined): Promise<Uint8Array> {
  throwIfAborted(signal);
  const response = await fetchFn(url, signal ? { signal: signal as AbortSignal } : {});
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A model bundle served over HTTP(S) as core's BundleSource: `manifest.json` and the files it
 * lists under `baseUrl`. Every file but the manifest is checked against the manifest's
 * SHA-256 (WebCrypto: https or localhost only) before core sees it; files the manifest does
 * not list are refused.
 */
export function urlBundleSource(baseUrl: string, options: UrlBundleSourceOptions = {}): BundleSource {
  const base = withSlash(baseUrl);
  const fetchFn: FetchFn = options.fetch ?? ((url, init) => fetch(url, init));
  const { store, signal } = options;
  let manifestJson: Promise<unknown> | undefined =
    options.manifest === undefined ? undefined : Promise.resolve(options.manifest);
  let entries: Promise<Map<string, BundleFileEntry>> | undefined;
  const manifest = () => {
    manifestJson ??= fetchBytes(fetchFn, bundleFileUrl(base, 'manifest.json'), signal).then((b) =>
      JSON.parse(decodeUtf8(b)),
    );
    return manifestJson;
  };
  const entryOf = async (path: string): Promise<BundleFileEntry> => {
    entries ??= manifest().then((json) => new Map(bundleFiles(parseBundleManifest(json)).map((e) => [e.path, e])));
    const e = (await entries).get(path);
    if (!e) throw new Error(`'${path}' is not listed in the manifest of bundle ${base}`);
    return e;
  };
  const readFile = async (path: string): Promise<Uint8Array> => {
    if (path === 'manifest.json') {
      if (manifestJson === undefined) {
        const bytes = await fetchBytes(fetchFn, bundleFileUrl(base, path), signal);
        manifestJson = Promise.resolve(JSON.parse(decodeUtf8(bytes)));
        return bytes;
      }
      return new TextEncoder().encode(JSON.stringify(await manifestJson));
    }
    const entry = await entryOf(path);
    if (store) {
      await fetchBundleFiles(base, [entry], { store, fetch: fetchFn, ...(signal ? { signal } : {}) });
      return readBundleFile(base, entry, store);
    }
    const bytes = await fetchBytes(fetchFn, bundleFileUrl(base, path), signal);
    if (bytes.byteLength !== entry.bytes) {
      throw new Error(`${path}: ${bytes.byteLength} bytes, the manifest says ${entry.bytes}`);
    }
    const digest = await sha256Hex(bytes);
    if (digest !== entry.sha256.toLowerCase()) {
      throw new Error(`${path}: SHA-256 ${digest} does not match the manifest's ${entry.sha256}`);
    }
    return bytes;
  };
  return {
    location: base,
    readFile,
    sessionSource: async (path) => {
      if (options.loadByUrl && !store) {
        await entryOf(path);
        return bundleFileUrl(base, path);
      }
      return readFile(path);
    },
  };
}

/** Options of {@link loadWebBundle}. */
export interface LoadWebBundleOptions extends OpenBundleOptions {
  /** A runtime to use, or options for a new {@link createWebRuntime}. Default: WASM. */
  readonly runtime?: Runtime | WebRuntimeOptions;
  /**
   * Where verified files are kept: a store, or `false` for memory only (nothing persisted).
   * Default: the Cache API store 'diffrestore-bundles' where `caches` exists, else memory.
   */
  readonly store?: BundleStore | false;
  readonly fetch?: FetchFn;
  /** Byte progress of the download (files already in the store count as done). */
  readonly onDownload?: (progress: CacheProgress) => void;
  readonly signal?: AbortSignalLike;
}

/** A bundle opened in the browser: core's OpenedBundle plus where it came from. */
export interface WebBundle extends OpenedBundle {
  readonly url: string;
  readonly runtime: Runtime;
  /** Files downloaded now / found in the store. */
  readonly downloaded: readonly string[];
  readonly reused: readonly string[];
  /** Releases the sessions. */
  close(): Promise<void>;
}

function isRuntime(r: unknown): r is Runtime {
  return typeof r === 'object' && r !== null && typeof (r as Runtime).createSession === 'function';
}

function defaultStore(): BundleStore {
  return typeof caches === 'undefined' ? memoryStore() : cacheApiStore();
}

/**
 * Downloads (or finds in the store) and verifies every file of the bundle at `baseUrl`, then
 * opens it with core's openBundle: sessions created, graph contracts checked, prompts decoded.
 */
export async function loadWebBundle(baseUrl: string, options: LoadWebBundleOptions = {}): Promise<WebBundle> {
  const base = withSlash(baseUrl);
  const { signal } = options;
  const fetchFn: FetchFn = options.fetch ?? ((url, init) => fetch(url, init));
  const store = options.store === false ? memoryStore() : (options.store ?? defaultStore());
  let json: unknown;
  try {
    json = JSON.parse(decodeUtf8(await fetchBytes(fetchFn, bundleFileUrl(base, 'manifest.json'), signal)));
  } catch (e) {
    throwIfAborted(signal);
    throw new Error(`${base} is not a model bundle: cannot read manifest.json (${(e as Error).message})`, { cause: e });
  }
  const manifest: BundleManifest = parseBundleManifest(json);
  const { downloaded, reused } = await fetchBundleFiles(base, bundleFiles(manifest), {
    store,
    fetch: fetchFn,
    ...(signal ? { signal } : {}),
    ...(options.onDownload ? { onProgress: options.onDownload } : {}),
  });
  throwIfAborted(signal);
  const runtime = isRuntime(options.runtime) ? options.runtime : createWebRuntime(options.runtime);
  const source = urlBundleSource(base, { fetch: fetchFn, store, manifest: json, ...(signal ? { signal } : {}) });
  const opened = await openBundle(runtime, source, options);
  if (signal?.aborted) {
    await opened.model.release();
    throwIfAborted(signal);
  }
  return { ...opened, url: base, runtime, downloaded, reused, close: () => opened.model.release() };
}
