import type { AbortSignalLike } from '@diffrestore/core';
import { throwIfAborted } from '@diffrestore/core';

/** One file of a bundle, as core's `bundleFiles(manifest)` lists them. */
export interface CacheFileEntry {
  /** Path relative to the bundle's base URL. */
  readonly path: string;
  /** Lower-case hex SHA-256 of the file. */
  readonly sha256: string;
  /** Size in bytes; used for progress and to refuse a wrong length early. */
  readonly bytes?: number;
}

/** Where verified files are kept. Keys are absolute URLs. */
export interface BundleStore {
  /** The bytes stored for `url` if their recorded digest equals `sha256`, else undefined. */
  get(url: string, sha256: string): Promise<Uint8Array | undefined>;
  put(url: string, sha256: string, bytes: Uint8Array): Promise<void>;
  delete(url: string): Promise<boolean>;
}

/** Download progress over the whole list. */
export interface CacheProgress {
  /** The file being fetched or checked. */
  readonly path: string;
  /** Bytes done over all files (cached files count as done when found). */
  readonly loaded: number;
  /** Sum of `bytes` of all files (0 when sizes are unknown). */
  readonly total: number;
  /** Files finished / all files. */
  readonly filesDone: number;
  readonly files: number;
}

export interface FetchBundleOptions {
  /** Default: the Cache API store named 'diffrestore-bundles' ({@link cacheApiStore}). */
  readonly store?: BundleStore;
  readonly signal?: AbortSignalLike;
  readonly onProgress?: (progress: CacheProgress) => void;
  /** Default globalThis.fetch. */
  readonly fetch?: (url: string, init: { signal?: AbortSignal }) => Promise<Response>;
  /** Hash cached files again instead of trusting the digest recorded with them. Default false. */
  readonly reverify?: boolean;
}

export interface FetchBundleResult {
  /** Paths downloaded (and verified) now. */
  readonly downloaded: string[];
  /** Paths found in the store. */
  readonly reused: string[];
}

const DIGEST_HEADER = 'x-diffrestore-sha256';

/** Lower-case hex SHA-256 of bytes (WebCrypto; needs a secure context: https or localhost). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * A store on the Cache API (persists across visits; survives in workers too). Each entry
 * records the digest it was verified against in a header.
 */
export function cacheApiStore(cacheName = 'diffrestore-bundles'): BundleStore {
  const open = () => {
    if (typeof caches === 'undefined')
      throw new Error('the Cache API is not available here (needs https or localhost)');
    return caches.open(cacheName);
  };
  return {
    async get(url, sha256) {
      const hit = await (await open()).match(url);
      if (!hit || hit.headers.get(DIGEST_HEADER) !== sha256) return undefined;
      return new Uint8Array(await hit.arrayBuffer());
    },
    async put(url, sha256, bytes) {
      const headers = { [DIGEST_HEADER]: sha256, 'content-length': String(bytes.byteLength) };
      await (await open()).put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    },
    async delete(url) {
      return (await open()).delete(url);
    },
  };
}

/** A store in memory (tests, or a page that must not persist anything). */
export function memoryStore(): BundleStore & { readonly size: number } {
  const entries = new Map<string, { sha256: string; bytes: Uint8Array }>();
  return {
    get size() {
      return entries.size;
    },
    async get(url, sha256) {
      const e = entries.get(url);
      return e && e.sha256 === sha256 ? e.bytes : undefined;
    },
    async put(url, sha256, bytes) {
      entries.set(url, { sha256, bytes });
    },
    async delete(url) {
      return entries.delete(url);
    },
  };
}

/** The absolute URL of a bundle file under `baseUrl`; paths must stay inside the bundle. */
export function bundleFileUrl(baseUrl: string, path: string): string {
  if (path.startsWith('/') || path.split('/').includes('..') || /^[a-z][a-z0-9+.-]*:/i.test(path)) {
    throw new Error(`bundle file path must stay inside the bundle: '${path}'`);
  }
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(path, base).href;
}

async function download(
  url: string,
  entry: CacheFileEntry,
  fetchFn: NonNullable<FetchBundleOptions['fetch']>,
  signal: AbortSignalLike | undefined,
  onBytes: (n: number) => void,
): Promise<Uint8Array> {
  const response = await fetchFn(url, signal ? { signal: signal as AbortSignal } : {});
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${response.statusText}`);
  const expected = entry.bytes;
  const check = (n: number) => {
    if (expected !== undefined && n !== expected) throw new Error(`${url}: ${n} bytes, expected ${expected}`);
  };
  const reader = response.body?.getReader();
  if (!reader) {
    const all = new Uint8Array(await response.arrayBuffer());
    onBytes(all.byteLength);
    check(all.byteLength);
    return all;
  }
  // preallocate when the size is known: a 2 GB file must not be held twice
  const out = expected !== undefined ? new Uint8Array(expected) : undefined;
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      throwIfAborted(signal);
      const { done, value } = await reader.read();
      if (done) break;
      if (out) {
        if (length + value.byteLength > out.byteLength) throw new Error(`${url}: larger than ${expected} bytes`);
        out.set(value, length);
      } else {
        chunks.push(value);
      }
      length += value.byteLength;
      onBytes(value.byteLength);
    }
  } catch (e) {
    reader.cancel().catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
  check(length);
  if (out) return out;
  const joined = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    joined.set(c, at);
    at += c.byteLength;
  }
  return joined;
}

/**
 * Makes sure every file of a bundle is in the store, verified: files whose recorded digest
 * matches are reused, the others are downloaded from `baseUrl + path` (one at a time, with
 * byte progress), hashed with SHA-256 and stored only if the digest matches. Each file is held
 * in memory once while it is hashed, so a single file must fit in an ArrayBuffer (~2 GB).
 */
export async function fetchBundleFiles(
  baseUrl: string,
  files: readonly CacheFileEntry[],
  options: FetchBundleOptions = {},
): Promise<FetchBundleResult> {
  const store = options.store ?? cacheApiStore();
  const fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
  const { signal, onProgress } = options;
  const total = files.reduce((s, f) => s + (f.bytes ?? 0), 0);
  let loaded = 0;
  let filesDone = 0;
  const downloaded: string[] = [];
  const reused: string[] = [];
  const report = (path: string) =>
    onProgress?.({ path, loaded, total, filesDone, files: files.length } satisfies CacheProgress);
  for (const entry of files) {
    throwIfAborted(signal);
    const url = bundleFileUrl(baseUrl, entry.path);
    const want = entry.sha256.toLowerCase();
    const cached = await store.get(url, want);
    if (cached && (!options.reverify || (await sha256Hex(cached)) === want)) {
      loaded += entry.bytes ?? cached.byteLength;
      filesDone++;
      reused.push(entry.path);
      report(entry.path);
      continue;
    }
    if (cached) await store.delete(url);
    report(entry.path);
    const bytes = await download(url, entry, fetchFn, signal, (n) => {
      loaded += n;
      report(entry.path);
    });
    throwIfAborted(signal);
    const got = await sha256Hex(bytes);
    if (got !== want) throw new Error(`${entry.path}: SHA-256 ${got} does not match the manifest's ${want}`);
    await store.put(url, want, bytes);
    filesDone++;
    downloaded.push(entry.path);
    report(entry.path);
  }
  return { downloaded, reused };
}

/** The verified bytes of one bundle file from the store (after fetchBundleFiles). */
export async function readBundleFile(
  baseUrl: string,
  entry: CacheFileEntry,
  store: BundleStore = cacheApiStore(),
): Promise<Uint8Array> {
  const url = bundleFileUrl(baseUrl, entry.path);
  const bytes = await store.get(url, entry.sha256.toLowerCase());
  if (!bytes) throw new Error(`${entry.path} is not in the bundle cache; call fetchBundleFiles first`);
  return bytes;
}
