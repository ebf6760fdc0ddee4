import type { LinearOperator } from '../guidance/operators/types';
import type { NoiseSource } from '../random/noise';
import type { SamplerSpec } from '../samplers/registry';
import type { Sampler } from '../samplers/types';
import type { Tensor } from '../tensor/tensor';
import type { AbortSignalLike } from '../util/abort';
import type { Cleaner } from './cleaner';
import type { RestoreProgress } from './progress';

/** Stage 1: which network removes degradations before diffusion. */
export type CleanerChoice =
  /** The bundle's own cleaner (default). */
  | { readonly kind: 'bundle' }
  /** No stage 1: the (resized) input goes straight to stage 2. */
  | { readonly kind: 'none' }
  /** Any function of an RGB (1,3,H,W) [0,1] image, e.g. another ONNX model via `onnxCleaner`. */
  | { readonly kind: 'custom'; readonly cleaner: Cleaner };

/** The fidelity knob: a training-free pull of the sample towards the stage-1 output. */
export type GuidanceChoice =
  | { readonly kind: 'none' }
  /** v1: latent MSE towards the condition latent (diffbir-inference.md §7). */
  | {
      readonly kind: 'latent-mse';
      readonly scale?: number;
      readonly start?: number;
      readonly stop?: number;
      /** Never step past the condition latent (default true); false = the reference's unbounded step. */
      readonly clampAtTarget?: boolean;
    }
  /** v2: region-adaptive weight map, in latent space or in pixel space through the VAE. */
  | {
      readonly kind: 'region-adaptive';
      readonly scale?: number;
      readonly space?: 'latent' | 'pixel';
      readonly start?: number;
      readonly stop?: number;
      /**
       * Latent space: never step past the condition latent, so a larger scale always means
       * more fidelity (default true); false = the reference's unbounded step (docs/guidance.md).
       */
      readonly clampAtTarget?: boolean;
    }
  /** ADIR: known linear degradation y = A x (operator acting on the latent). */
  | {
      readonly kind: 'likelihood';
      readonly operator: LinearOperator;
      readonly measurement: Tensor;
      readonly scale?: number;
    };

export interface TilingOptions {
  /** Latent tile side (default 64 = 512 px) and stride (default 32). */
  readonly latentTile?: number;
  readonly latentStride?: number;
  /** Cleaner tiles in input pixels (default 512 / 256). */
  readonly cleanerTile?: number;
  readonly cleanerStride?: number;
  /** VAE tiles in image pixels (default 512 / 384). */
  readonly vaeTile?: number;
  readonly vaeStride?: number;
}

export interface RestoreOptions {
  /** Output size = input size x upscale (default 1). */
  readonly upscale?: number;
  /** Exact output size; overrides `upscale` for the final resize. */
  readonly outputSize?: { readonly width: number; readonly height: number };
  /** Stage 1 (default `{ kind: 'bundle' }`, or 'none' if the bundle has no cleaner). */
  readonly cleaner?: CleanerChoice;
  /**
   * A built-in sampler by spec, or any object implementing `Sampler` (a user's own, see
   * examples/custom-sampler). Default: the bundle's, e.g. edm dpm++_3m_sde for DiffBIR v2.1.
   */
  readonly sampler?: SamplerSpec | Sampler;
  /** Sampling steps (default: the bundle's). */
  readonly steps?: number;
  /** Classifier-free guidance scale (default: the bundle's; 1 = off). */
  readonly cfgScale?: number;
  /** Use the cosine CFG rescale schedule (default false). */
  readonly cfgRescale?: boolean;
  /**
   * Prompts replacing the bundle's precomputed defaults: a string (needs the bundle's
   * optional text encoder and tokenizer, docs/prompts.md) or an embedding (1, L, D).
   */
  readonly positivePrompt?: string | Tensor;
  readonly negativePrompt?: string | Tensor;
  /** Control strength, one for all outputs or one per output (default 1). */
  readonly controlStrength?: number | readonly number[];
  /** Noise the condition latent to this training timestep before sampling (default 0 = off). */
  readonly noiseAugmentation?: number;
  /**
   * Fidelity guidance. Default: the bundle's `defaults.guidanceScale` (region-adaptive, latent
   * space) when it has one, else none; `{ kind: 'none' }` turns it off.
   */
  readonly guidance?: GuidanceChoice;
  /** Tile sizes; `false` never tiles; default tiles only what exceeds one tile. */
  readonly tiling?: TilingOptions | false;
  /** Colour correction against the stage-1 output (default 'wavelet'). */
  readonly colourFix?: 'wavelet' | 'adain' | 'none';
  /** Seed of the sampler's noise (default 231, the reference's). Ignored if `noise` is given. */
  readonly seed?: number;
  /** Inject the noise source directly (tests, custom RNGs). */
  readonly noise?: NoiseSource;
  /** Stage-1 output short side is raised to at least this (default: the bundle's). */
  readonly minShortSide?: number;
  readonly signal?: AbortSignalLike;
  readonly onProgress?: (event: RestoreProgress) => void;
  /** Also decode a preview of x0-hat every N steps into progress events (default 0 = off). */
  readonly previewEvery?: number;
}
