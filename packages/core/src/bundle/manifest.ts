/**
 * A model bundle is a folder: `manifest.json`, ONNX graphs (with their external-data files
 * when over 2 GB) and precomputed prompt embeddings. docs/model-bundle.md describes every
 * field; manifest.schema.json beside this file is the same contract as JSON Schema.
 */

/** Value of the manifest's `format` field. */
export const BUNDLE_FORMAT = 'diffrestore-bundle';
/** The manifest version this SDK reads. */
export const BUNDLE_VERSION = 1;

/** Weight precision of the graphs. */
export type BundlePrecision = 'fp32' | 'fp16';
/** Element type of the graphs' float inputs and outputs (fp16 bundles keep float32 I/O by default). */
export type BundleIoDtype = 'float32' | 'float16';

/**
 * Where the cleaner sits around resizing (diffbir-inference.md §3): 'swinir' resizes the LQ
 * image to the target first and runs an x1 cleaner; 'bsrnet' runs the cleaner at its own
 * scale first and resizes its output.
 */
export type CleanerPreprocess = 'swinir' | 'bsrnet';

/** One file of the bundle, path relative to the bundle root ('/'-separated). */
export interface BundleFileRef {
  readonly file: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  readonly bytes: number;
}

/** An ONNX graph of the bundle. */
export interface GraphComponent extends BundleFileRef {
  /** Tensor-data files the graph references (graphs over 2 GB); usually absent. */
  readonly externalData?: readonly BundleFileRef[];
  /** Licence of the weights in this graph, as an SPDX-style expression. */
  readonly licence: string;
  readonly opset: number;
  /** Number of weights in the graph, for display. */
  readonly parameters?: number;
}

export interface CleanerComponent extends GraphComponent {
  /** Architecture of the stage-1 network ('swinir', 'bsrnet', 'scunet', ...). */
  readonly kind: string;
  /** Output side / input side (1 for SwinIR and SCUNet, 4 for BSRNet). */
  readonly scale: number;
  /** Input sides must be multiples of this; the pipeline pads (64 for DiffBIR's SwinIR). */
  readonly sizeMultiple: number;
  readonly preprocess: CleanerPreprocess;
}

/** Byte-level BPE vocabulary of the CLIP tokenizer (the `bpe_simple_vocab_16e6.txt.gz` merges list). */
export interface TokenizerRef extends BundleFileRef {
  readonly kind: 'clip-bpe';
  readonly startToken: number;
  readonly endToken: number;
  readonly padToken: number;
}

export interface TextEncoderComponent extends GraphComponent {
  /** Absent when the bundle ships no tokenizer: the caller must tokenize. */
  readonly tokenizer?: TokenizerRef;
}

export interface BundleComponents {
  /** UNet and IRControlNet fused: (x, timestep, context, control, control_scales) -> out. */
  readonly denoiser: GraphComponent;
  /** image in [-1,1] -> unscaled posterior mean. */
  readonly vaeEncoder: GraphComponent;
  /** unscaled latent -> image in [-1,1]. */
  readonly vaeDecoder: GraphComponent;
  readonly cleaner?: CleanerComponent;
  /** tokens (B,77) int64 -> context (B,77,D); optional, the embeddings cover the default prompts. */
  readonly textEncoder?: TextEncoderComponent;
}

export interface LatentSpec {
  readonly channels: number;
  /** Image side / latent side (8 for SD). */
  readonly downscale: number;
  /** c = scalingFactor * VAE mean; the decoder gets z / scalingFactor (0.18215 for SD). */
  readonly scalingFactor: number;
}

/** The LDM "linear" schedule: betas = linspace(sqrt(betaStart), sqrt(betaEnd), steps)^2. */
export interface ScheduleSpec {
  readonly kind: 'ldm-linear';
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly steps: number;
  /** Rescale to zero terminal SNR (DiffBIR v2.1). */
  readonly zeroTerminalSnr: boolean;
}

export interface DiffusionSpec {
  readonly prediction: 'epsilon' | 'v';
  readonly schedule: ScheduleSpec;
  /** Number of control tensors (and control_scales entries) of the denoiser: 13. */
  readonly controlOutputs: number;
  /** Shape of one prompt embedding: (1, length, dim). */
  readonly context: { readonly length: number; readonly dim: number };
}

export interface BundleDefaults {
  /** Sampler name as the reference spells it ('spaced', 'ddim', 'dpm++_m2', 'edm_dpm++_3m_sde', ...). */
  readonly sampler: string;
  readonly steps: number;
  readonly cfgScale: number;
  readonly positivePrompt: string;
  readonly negativePrompt: string;
  readonly seed: number;
  /** Control strength applied to all control outputs. */
  readonly controlScale: number;
  /** Stage-1 output short side is raised to at least this before stage 2 (512). */
  readonly minShortSide: number;
  /**
   * Fidelity guidance a restore gets when it names none: region-adaptive, in latent space,
   * at this scale. Optional; absent or 0 = off (the DiffBIR release bundles).
   */
  readonly guidanceScale?: number;
}

/** A precomputed prompt embedding: raw little-endian floats, row-major `shape`. */
export interface EmbeddingRef extends BundleFileRef {
  readonly dtype: 'float32' | 'float16';
  readonly shape: readonly number[];
  /** The prompt it encodes. */
  readonly text: string;
}

export interface SourceCheckpoint {
  /** What it provided: 'sd', 'controlnet', 'cleaner', ... */
  readonly role: string;
  /** File name as distributed. */
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface Provenance {
  readonly tool: string;
  readonly toolVersion: string;
  /** ISO-8601 date-time of the export. */
  readonly created: string;
  /** True for fixtures and benchmarks made with random weights. */
  readonly randomWeights: boolean;
  readonly sources: readonly SourceCheckpoint[];
  /** Model release the weights come from ('v2', 'v2.1'), when converted. */
  readonly release?: string;
  readonly seed?: number;
}

export interface BundleManifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly version: typeof BUNDLE_VERSION;
  readonly name: string;
  readonly description?: string;
  readonly precision: BundlePrecision;
  readonly ioDtype: BundleIoDtype;
  readonly components: BundleComponents;
  readonly latent: LatentSpec;
  readonly diffusion: DiffusionSpec;
  readonly defaults: BundleDefaults;
  readonly embeddings: { readonly positive: EmbeddingRef; readonly negative: EmbeddingRef };
  readonly provenance: Provenance;
}

/** Keys of the graph components, in a stable order. */
export const BUNDLE_COMPONENT_NAMES = ['denoiser', 'vaeEncoder', 'vaeDecoder', 'cleaner', 'textEncoder'] as const;
export type BundleComponentName = (typeof BUNDLE_COMPONENT_NAMES)[number];
