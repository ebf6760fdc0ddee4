import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  type AbortSignalLike,
  type BundleSource,
  bundleFiles,
  type OpenBundleOptions,
  type OpenedBundle,
  openBundle,
  parseBundleManifest,
  type Runtime,
} from '@diffrestore/core';
import { type BundleProgress, fetchBundle } from './bundle-cache';
import { createNodeRuntime, type NodeRuntime, type NodeRuntimeOptions } from './runtime';

/** A bundle folder on disk as core's BundleSource; graphs load by path so external data is found. */
export function folderBundleSource(dir: string): BundleSource {
  const root = path.resolve(dir);
  const resolve = (rel: string) => {
    const p = path.resolve(root, rel);
    if (p !== root && !p.startsWith(root + path.sep)) throw new Error(`bundle path '${rel}' leaves the bundle folder`);
    return p;
  };
  return {
    location: root,
    readFile: async (rel) => new Uint8Array(await readFile(resolve(rel))),
    sessionSource: (rel) => resolve(rel),
  };
}

/** npm package whose folder is the default bundle (the trained tiny model), when installed. */
export const DEFAULT_BUNDLE_PACKAGE = '@diffrestore/model-tiny';

/**
 * Where the default bundle is: $DIFFRESTORE_BUNDLE, else the installed
 * `@diffrestore/model-tiny` package's `bundle/` folder. Throws a clear error when neither exists.
 */
export function defaultBundleLocation(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.DIFFRESTORE_BUNDLE) return env.DIFFRESTORE_BUNDLE;
  try {
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve(`${DEFAULT_BUNDLE_PACKAGE}/package.json`)), 'bundle');
  } catch {
    throw new Error(
      `no model bundle given and no default installed: pass a bundle folder or URL (--bundle), set DIFFRESTORE_BUNDLE, or install ${DEFAULT_BUNDLE_PACKAGE}`,
    );
  }
}

export interface LoadBundleOptions extends OpenBundleOptions {
  /** A runtime to share, or options for a new Node runtime (default: CPU, worker thread). */
  readonly runtime?: Runtime | NodeRuntimeOptions;
  /** Download cache for http(s) bundles (default ~/.cache/diffrestore). */
  readonly cacheDir?: string;
  /** Download progress of http(s) bundles. */
  readonly onDownload?: (progress: BundleProgress) => void;
  /** Hash every file of a local folder against the manifest (downloads are always checked). */
  readonly verify?: boolean;
  readonly signal?: AbortSignalLike;
}

export interface LoadedBundle extends OpenedBundle {
  /** The bundle's folder on disk (the cache folder for URLs). */
  readonly folder: string;
  readonly runtime: Runtime;
  /** Releases the sessions, and the runtime when this call created it. */
  close(): Promise<void>;
}

function isRuntime(r: unknown): r is Runtime {
  return typeof r === 'object' && r !== null && typeof (r as Runtime).createSession === 'function';
}

/** Opens a bundle from a folder or an http(s) URL (downloaded into the cache with resume and sha256 checks). */
export async function loadBundle(
  location: string = defaultBundleLocation(),
  options: LoadBundleOptions = {},
): Promise<LoadedBundle> {
  const listFiles = (json: unknown) => bundleFiles(parseBundleManifest(json));
  const folder = await fetchBundle(location, {
    cacheDir: options.cacheDir,
    listFiles,
    verify: options.verify,
    onProgress: options.onDownload,
    signal: options.signal,
  });
  const own = !isRuntime(options.runtime);
  const runtime: Runtime = isRuntime(options.runtime) ? options.runtime : createNodeRuntime(options.runtime);
  try {
    const opened = await openBundle(runtime, folderBundleSource(folder), options);
    return {
      ...opened,
      folder,
      runtime,
      close: async () => {
        await opened.model.release();
        if (own) await (runtime as NodeRuntime).close();
      },
    };
  } catch (e) {
    if (own) await (runtime as NodeRuntime).close();
    throw e;
  }
}
