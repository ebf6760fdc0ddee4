import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AbortSignalLike,
  abortErrorOf,
  type BundleFileEntry,
  bundleFiles,
  parseBundleManifest,
  throwIfAborted,
} from '@diffrestore/core';
import { writeFileAtomic } from './atomic-write';

/** One file of a bundle folder, path relative to the bundle root ('/'-separated). */
export type BundleFile = BundleFileEntry;

/** Rejects paths that would leave the bundle folder (absolute, `..`, backslashes, drive letters). */
function assertSafeRelativePath(p: string): void {
  const parts = p.split('/');
  const bad =
    p.length === 0 ||
    p.startsWith('/') ||
    p.includes('\\') ||
    /^[a-zA-Z]:/.test(p) ||
    parts.some((s) => s === '..' || s === '.' || s === '') ||
    p.includes('\0');
  if (bad) throw new Error(`unsafe file path in bundle manifest: ${JSON.stringify(p)}`);
}

/** The files of a bundle: core's list for a validated manifest (throws on an invalid one). */
const manifestFiles = (manifest: unknown): readonly BundleFile[] => bundleFiles(parseBundleManifest(manifest));

export interface BundleProgress {
  /** Path of the file inside the bundle. */
  readonly file: string;
  /** Bytes of this file on disk so far (a resumed download starts above 0). */
  readonly received: number;
  readonly total: number;
}

export interface FetchBundleOptions {
  /** Root of the download cache. Default `~/.cache/diffrestore`. */
  readonly cacheDir?: string;
  /** The files to fetch and check. Default: `listFiles(manifest)`. */
  readonly files?: readonly BundleFile[];
  /**
   * Lists the files from the parsed manifest.json. Default: core's `bundleFiles` of the
   * validated manifest (an invalid manifest is an error naming the bad field).
   */
  readonly listFiles?: (manifest: unknown) => readonly BundleFile[];
  /** Local folders only: hash every file (sizes are always checked). Default false. */
  readonly verify?: boolean;
  /** Connection failures tolerated per file, each resumed with an HTTP Range request. Default 3. */
  readonly retries?: number;
  /** Extra request headers (e.g. authorization). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly onProgress?: (progress: BundleProgress) => void;
  /** Stops downloading with an AbortError; `.partial` files stay for a later resume. */
  readonly signal?: AbortSignalLike;
}

const VERIFIED = '.diffrestore-verified.json';
type VerifiedIndex = Record<string, { sha256: string; bytes: number; mtimeMs: number }>;

/** Default cache root: `~/.cache/diffrestore`. */
export function defaultCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'diffrestore');
}

/** The cache folder of a bundle URL: readable name plus a hash of the full URL. */
export function cacheFolderFor(url: string, cacheDir: string): string {
  const u = new URL(url);
  const last = u.pathname.split('/').filter(Boolean).pop() ?? u.hostname;
  const slug = last.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'bundle';
  const hash = createHash('sha256').update(url.replace(/\/+$/, '')).digest('hex').slice(0, 12);
  return path.join(cacheDir, 'bundles', `${slug}-${hash}`);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

const localPath = (folder: string, rel: string) => path.join(folder, ...rel.split('/'));
const isUrl = (s: string) => /^https?:\/\//i.test(s);

function parseManifest(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`manifest.json at ${where} is not valid JSON: ${(e as Error).message}`);
  }
}

function filesOf(manifest: unknown, options: FetchBundleOptions): readonly BundleFile[] {
  const files = options.files ?? (options.listFiles ?? manifestFiles)(manifest);
  for (const f of files) assertSafeRelativePath(f.path);
  return files;
}

/**
 * Makes a model bundle available as a local folder and returns its path.
 *
 * - `source` a folder (or file: URL): reads its manifest.json, checks every listed file
 *   exists with the listed size (and SHA-256 with `verify`), returns the folder.
 * - `source` an http(s) URL of a bundle folder: downloads manifest.json, then each listed
 *   file into the cache, resuming interrupted downloads (`.partial` files, HTTP Range),
 *   verifying SHA-256 (one fresh re-download on a mismatch, then an error). Files already
 *   verified are not downloaded or hashed again. When the server cannot be reached and the
 *   cache holds a complete, verified copy, that copy is returned.
 */
export async function fetchBundle(source: string, options: FetchBundleOptions = {}): Promise<string> {
  throwIfAborted(options.signal);
  if (!isUrl(source)) return checkLocalBundle(source.startsWith('file:') ? fileURLToPath(source) : source, options);
  return fetchRemoteBundle(source, options);
}

async function checkLocalBundle(source: string, options: FetchBundleOptions): Promise<string> {
  const folder = path.resolve(source);
  const st = await stat(folder).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`bundle folder not found: ${folder}`);
  const manifestFile = path.join(folder, 'manifest.json');
  const text = await readFile(manifestFile, 'utf8').catch(() => {
    throw new Error(`no manifest.json in bundle folder ${folder}`);
  });
  const files = filesOf(parseManifest(text, manifestFile), options);
  const problems: string[] = [];
  for (const f of files) {
    throwIfAborted(options.signal);
    const file = localPath(folder, f.path);
    const size = await sizeOf(file);
    if (size === undefined) problems.push(`${f.path}: missing`);
    else if (size !== f.bytes) problems.push(`${f.path}: ${size} bytes, manifest says ${f.bytes}`);
    else if (options.verify) {
      const got = await sha256File(file);
      if (got !== f.sha256.toLowerCase()) problems.push(`${f.path}: sha256 ${got}, manifest says ${f.sha256}`);
    }
    if (size !== undefined) options.onProgress?.({ file: f.path, received: size, total: f.bytes });
  }
  if (problems.length > 0) {
    throw new Error(`bundle ${folder} is incomplete or corrupt:\n  - ${problems.join('\n  - ')}`);
  }
  return folder;
}

class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`HTTP ${status} for ${url}`);
  }
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** fetch() wants a real AbortSignal; follow a signal-like one. */
function linkedController(signal: AbortSignalLike | undefined): { controller: AbortController; unlink(): void } {
  const controller = new AbortController();
  if (!signal) return { controller, unlink: () => {} };
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  signal.addEventListener?.('abort', forward, { once: true });
  return { controller, unlink: () => signal.removeEventListener?.('abort', forward) };
}

async function fetchRemoteBundle(source: string, options: FetchBundleOptions): Promise<string> {
  const base = source.endsWith('/') ? source : `${source}/`;
  const folder = cacheFolderFor(base, options.cacheDir ?? defaultCacheDir());
  await mkdir(folder, { recursive: true });
  const manifestUrl = new URL('manifest.json', base).href;
  const { controller, unlink: unlinkSignal } = linkedController(options.signal);
  try {
    let text: string;
    try {
      const res = await fetch(manifestUrl, { headers: options.headers, signal: controller.signal });
      if (!res.ok) throw new HttpStatusError(manifestUrl, res.status);
      text = await res.text();
    } catch (e) {
      if (options.signal?.aborted) throw abortErrorOf(options.signal);
      const cached = await completeCachedCopy(folder, options);
      if (cached) return cached;
      throw new Error(`cannot download ${manifestUrl}: ${describeFetchError(e)}`, { cause: e });
    }
    const files = filesOf(parseManifest(text, manifestUrl), options);
    await writeFileAtomic(path.join(folder, 'manifest.json'), new TextEncoder().encode(text), { overwrite: true });
    const verified = await readVerified(folder);
    for (const f of files) {
      const url = new URL(f.path.split('/').map(encodeURIComponent).join('/'), base).href;
      await ensureFile(folder, url, f, verified, options, controller.signal);
    }
    return folder;
  } finally {
    unlinkSignal();
  }
}

function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
}

async function readVerified(folder: string): Promise<VerifiedIndex> {
  try {
    return JSON.parse(await readFile(path.join(folder, VERIFIED), 'utf8')) as VerifiedIndex;
  } catch {
    return {};
  }
}

async function isVerified(folder: string, f: BundleFile, verified: VerifiedIndex): Promise<boolean> {
  const v = verified[f.path];
  if (!v || v.sha256 !== f.sha256.toLowerCase() || v.bytes !== f.bytes) return false;
  const st = await stat(localPath(folder, f.path)).catch(() => undefined);
  return st !== undefined && st.size === f.bytes && st.mtimeMs === v.mtimeMs;
}

async function markVerified(folder: string, f: BundleFile, verified: VerifiedIndex): Promise<void> {
  const st = await stat(localPath(folder, f.path));
  verified[f.path] = { sha256: f.sha256.toLowerCase(), bytes: f.bytes, mtimeMs: st.mtimeMs };
  const bytes = new TextEncoder().encode(JSON.stringify(verified, null, 1));
  await writeFileAtomic(path.join(folder, VERIFIED), bytes, { overwrite: true });
}

/** The cached folder if its manifest's files are all present and verified (offline use). */
async function completeCachedCopy(folder: string, options: FetchBundleOptions): Promise<string | undefined> {
  try {
    const manifest = parseManifest(await readFile(path.join(folder, 'manifest.json'), 'utf8'), folder);
    const files = filesOf(manifest, options);
    const verified = await readVerified(folder);
    for (const f of files) if (!(await isVerified(folder, f, verified))) return undefined;
    return folder;
  } catch {
    return undefined;
  }
}

async function ensureFile(
  folder: string,
  url: string,
  f: BundleFile,
  verified: VerifiedIndex,
  options: FetchBundleOptions,
  signal: AbortSignal,
): Promise<void> {
  const dest = localPath(folder, f.path);
  const expected = f.sha256.toLowerCase();
  if (await isVerified(folder, f, verified)) {
    options.onProgress?.({ file: f.path, received: f.bytes, total: f.bytes });
    return;
  }
  await mkdir(path.dirname(dest), { recursive: true });
  if ((await sizeOf(dest)) === f.bytes && (await sha256File(dest)) === expected) {
    await markVerified(folder, f, verified);
    options.onProgress?.({ file: f.path, received: f.bytes, total: f.bytes });
    return;
  }
  const partial = `${dest}.partial`;
  for (let attempt = 1; ; attempt++) {
    await download(url, partial, f, options, signal);
    const got = await sha256File(partial);
    if (got === expected) break;
    await unlink(partial);
    if (attempt >= 2) {
      throw new Error(`sha256 mismatch for ${f.path} from ${url}: expected ${expected}, got ${got} (downloaded twice)`);
    }
  }
  await rename(partial, dest);
  await markVerified(folder, f, verified);
}

/** Downloads into `partial`, continuing from its current size with Range requests. */
async function download(
  url: string,
  partial: string,
  f: BundleFile,
  options: FetchBundleOptions,
  signal: AbortSignal,
): Promise<void> {
  const retries = options.retries ?? 3;
  let failures = 0;
  for (;;) {
    throwIfAborted(options.signal);
    let have = (await sizeOf(partial)) ?? 0;
    if (have > f.bytes) {
      await unlink(partial);
      have = 0;
    }
    if (have === f.bytes && have > 0) return;
    try {
      const headers: Record<string, string> = { ...options.headers };
      if (have > 0) headers.Range = `bytes=${have}-`;
      const res = await fetch(url, { headers, signal });
      if (res.status === 416) {
        // The partial does not fit the file on the server any more: start over.
        await res.body?.cancel();
        await unlink(partial);
        throw new Error('range not satisfiable');
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new HttpStatusError(url, res.status);
      }
      if (res.status !== 206) have = 0; // the server ignored the Range header
      const fh = await open(partial, have > 0 ? 'a' : 'w');
      try {
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await fh.write(value);
          have += value.byteLength;
          if (have > f.bytes) throw new Error(`${f.path} is larger than the manifest's ${f.bytes} bytes`);
          options.onProgress?.({ file: f.path, received: have, total: f.bytes });
        }
      } finally {
        await fh.close();
      }
      if (have < f.bytes) throw new Error(`connection closed after ${have} of ${f.bytes} bytes`);
      return;
    } catch (e) {
      if (options.signal?.aborted) throw abortErrorOf(options.signal);
      if (e instanceof HttpStatusError && !e.retryable) throw new Error(`cannot download ${url}: ${e.message}`);
      failures++;
      if (failures > retries) {
        throw new Error(`cannot download ${url} after ${failures} attempts: ${describeFetchError(e)}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** (failures - 1), 2000)));
    }
  }
}
