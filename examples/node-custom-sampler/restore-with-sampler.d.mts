import type {
  AbortSignalLike,
  GuidanceChoice,
  RestoreModel,
  Sampler,
  SampleStepEvent,
  Tensor,
} from '@diffrestore/core';

/** The subset of RestoreOptions this composition honours. */
export interface SamplerRestoreOptions {
  /** Output size = input size x upscale (default 1). */
  readonly upscale?: number;
  /** Requested sampling steps (default: the bundle's). */
  readonly steps?: number;
  /** Seed of the Gaussian noise (default 231). */
  readonly seed?: number;
  /** Classifier-free guidance scale (default: the bundle's; 1 = off). */
  readonly cfgScale?: number;
  /** Stage-1 short side is raised to at least this (default: the bundle's). */
  readonly minShortSide?: number;
  readonly guidance?: GuidanceChoice;
  readonly signal?: AbortSignalLike;
  readonly onStep?: (event: SampleStepEvent) => void;
}

/** The two-stage restore with any Sampler object driving stage 2. */
export function restoreWithSampler(
  model: RestoreModel,
  image: Tensor,
  sampler: Sampler,
  options?: SamplerRestoreOptions,
): Promise<{ image: Tensor; cleaned: Tensor }>;
