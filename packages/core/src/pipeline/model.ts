import type { ModelSession } from '../runtime/types';
import type { SamplerSpec } from '../samplers/registry';
import type { NoiseSchedule } from '../schedules/types';
import type { Tensor } from '../tensor/tensor';
import type { PromptTokenizer } from '../text/prompt-encoder';

/** How the bundle's cleaner is placed around resizing (diffbir-inference.md §3). */
export type CleanerPath =
  /** Resize the LQ to the target size first, then run an x1 cleaner (SwinIR, SCUNet). */
  | 'resize-then-clean'
  /** Run the cleaner at its own scale first (BSRNet x4), then resize to the target. */
  | 'clean-then-resize';

export interface CleanerInfo {
  /** Output size / input size of the cleaner graph. */
  readonly scale: number;
  /** Input sides must be multiples of this (64 for DiffBIR's SwinIR); the pipeline zero-pads. */
  readonly sizeMultiple: number;
  readonly path: CleanerPath;
}

/**
 * Everything a restore needs from a model bundle, already loaded: the sessions and the
 * numbers the manifest carries. `openBundle` builds it from a manifest; tests and users
 * can build one by hand (e.g. around their own sessions).
 */
export interface RestoreModel {
  /** Fused UNet + IRControlNet: (x, timestep, context, control, control_scales) -> out. */
  readonly denoiser: ModelSession;
  /** image in [-1,1] -> unscaled posterior mean. */
  readonly vaeEncoder: ModelSession;
  /** unscaled latent -> image in [-1,1]. */
  readonly vaeDecoder: ModelSession;
  /** The bundle's stage-1 network, if it ships one. */
  readonly cleaner?: { readonly session: ModelSession; readonly info: CleanerInfo };
  readonly schedule: NoiseSchedule;
  readonly latent: { readonly channels: number; readonly downscale: number; readonly scalingFactor: number };
  /** Number of control outputs the denoiser takes strengths for (13 for IRControlNet). */
  readonly controlOutputs: number;
  /** Text encoder and tokenizer, when the bundle ships both: enables prompt strings. */
  readonly textEncoder?: { readonly session: ModelSession; readonly tokenizer: PromptTokenizer };
  /** Precomputed prompt embeddings, (1, L, D). */
  readonly prompts: { readonly positive: Tensor; readonly negative: Tensor };
  readonly defaults: {
    readonly sampler: SamplerSpec;
    readonly steps: number;
    readonly cfgScale: number;
    /** Control strength applied to every control output. */
    readonly controlStrength: number;
    /** Stage-1 output short side is raised to at least this (512 for SD-based bundles). */
    readonly minShortSide: number;
    /** Region-adaptive (latent) guidance scale used when a restore names no guidance; absent or 0: none. */
    readonly guidanceScale?: number;
  };
  /** Release every session. */
  release(): Promise<void>;
}
