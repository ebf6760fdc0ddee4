import type { GuidanceChoice, RestoreOptions, RestoreProgress, RestoreTimings, SamplerSpec } from '@diffrestore/core';
import type { CacheProgress } from './cache';
import type { WireTensor } from './worker-protocol';

// The 'restore' worker operation: plain data only (structured clone carries no functions or
// classes), so the options that take objects (a Sampler, a custom cleaner, a likelihood
// operator, an injected noise source) stay on platforms where the pipeline runs in-process.

/** Fidelity guidance that can cross to a worker (not 'likelihood', whose operator is code). */
export type WireGuidanceChoice = Exclude<GuidanceChoice, { readonly kind: 'likelihood' }>;

/** Restore options as plain data; defaults are core's (see RestoreOptions). */
export interface WireRestoreOptions
  extends Pick<
    RestoreOptions,
    | 'upscale'
    | 'outputSize'
    | 'steps'
    | 'cfgScale'
    | 'cfgRescale'
    | 'controlStrength'
    | 'noiseAugmentation'
    | 'tiling'
    | 'colourFix'
    | 'seed'
    | 'minShortSide'
    | 'previewEvery'
  > {
  /** A built-in sampler by spec (default: the bundle's). */
  readonly sampler?: SamplerSpec;
  readonly guidance?: WireGuidanceChoice;
  /** Stage 1: the bundle's cleaner (default when it has one) or none. */
  readonly cleaner?: 'bundle' | 'none';
  /** Prompt strings (need the bundle's text encoder) or embeddings (1, L, D). */
  readonly positivePrompt?: string | WireTensor;
  readonly negativePrompt?: string | WireTensor;
}

/** Payload of a 'restore' request. */
export interface RestoreRequest {
  /** Absolute URL of the bundle folder (the one holding manifest.json). */
  readonly bundleUrl: string;
  /** RGB (1, 3, H, W) in [0, 1]. */
  readonly image: WireTensor;
  readonly options?: WireRestoreOptions;
  /**
   * Cache API store name for the bundle's files, or `false` to keep them in memory only.
   * Default 'diffrestore-bundles' (memory where the Cache API is missing).
   */
  readonly cache?: string | false;
}

/** How the worker got the bundle for a request. */
export interface RestoreBundleInfo {
  readonly url: string;
  readonly name: string;
  /** True when the worker had it open already (no download, no session creation). */
  readonly warm: boolean;
  /** Milliseconds this request waited for the bundle (download + sessions). */
  readonly loadMs: number;
}

export interface RestoreResponse {
  /** Restored RGB (1, 3, H', W') in [0, 1]. */
  readonly image: WireTensor;
  /** The stage-1 output. */
  readonly cleaned: WireTensor;
  readonly seed?: number;
  readonly timings: RestoreTimings;
  readonly bundle: RestoreBundleInfo;
}

/**
 * Progress of a 'restore' request, in order: 'download' (bytes of the bundle's files, only
 * while the worker fetches it), 'open' (sessions being created), then core's restore events
 * ('stage', 'tile', 'step', 'preview').
 */
export type RestoreWorkerProgress =
  | ({ readonly type: 'download' } & CacheProgress)
  | { readonly type: 'open'; readonly url: string }
  | RestoreProgress;

/** Payload of 'closeBundle': releases a bundle's sessions in the worker. */
export interface CloseBundleRequest {
  readonly bundleUrl: string;
}
