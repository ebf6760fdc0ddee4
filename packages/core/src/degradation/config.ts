import type { JpegOptions } from './jpeg';
import type { BlurKernelDistribution, BlurKernelType } from './random-kernels';
import type { UnsharpOptions } from './unsharp';

/** Resize kernels the random resize steps choose from (uniformly). */
export type DegradationResizeMode = 'area' | 'bilinear' | 'bicubic';

/** One order (blur -> resize -> noise [-> JPEG]) of the Real-ESRGAN model. */
export interface RealEsrganOrderConfig {
  /** Probability that this order's blur is applied (1st: 1, 2nd: 0.8). */
  blurProb: number;
  /** Blur kernel distribution. */
  kernel: BlurKernelDistribution;
  /** Probabilities of [up, down, keep]. */
  resizeProbs: readonly [number, number, number];
  /** Scale range [lo, hi]: "down" draws U[lo, 1], "up" U[1, hi], "keep" is 1. */
  resizeRange: readonly [number, number];
  /** Resize kernels, drawn uniformly. */
  resizeModes: readonly DegradationResizeMode[];
  /** Probability of Gaussian noise; otherwise Poisson noise. */
  gaussianNoiseProb: number;
  /** Gaussian sigma range in 8-bit units (the image sees sigma / 255). */
  noiseRange: readonly [number, number];
  /** Poisson noise scale range. */
  poissonScaleRange: readonly [number, number];
  /** Probability that the noise (either kind) is gray, i.e. shared by the channels. */
  grayNoiseProb: number;
  /**
   * JPEG quality range. For the first order its JPEG step; for the second order the JPEG of
   * the final step (the reference's `jpeg_range2`).
   */
  jpegRange: readonly [number, number];
}

/** Configuration of {@link realEsrganDegradation}; see docs/degradations.md. */
export interface RealEsrganConfig {
  /** Output is HQ / scale (floor). 4 for x4 super-resolution; 1 gives same-size restoration pairs. */
  scale: number;
  /** Unsharp-mask the HQ before degrading it (Real-ESRGAN `gt_usm`; training only). */
  sharpen: boolean;
  /** Unsharp-mask settings (defaults: 51x51 window, sigma 8, weight 0.5, threshold 10/255). */
  unsharp: UnsharpOptions;
  first: RealEsrganOrderConfig;
  second: RealEsrganOrderConfig;
  /** Probability of the final sinc filter; otherwise the identity pulse. */
  finalSincProb: number;
  /** Sizes of the final sinc kernel, drawn uniformly. */
  finalSincSizes: readonly number[];
  /** Cut-off range of the final sinc kernel, radians per pixel. */
  finalSincOmegaRange: readonly [number, number];
  /** Kernels for the final resize to HQ / scale, drawn uniformly. */
  finalResizeModes: readonly DegradationResizeMode[];
  /** Every blur kernel is zero-padded to this size, as the reference does (a no-op for the output). */
  kernelPadTo: number;
  /**
   * After the final 8-bit rounding, resize the LQ back to the HQ size (bicubic, then clamp to
   * [0, 1]), as DiffBIR/StableSR do to feed same-size restoration models. Default false.
   */
  resizeBack: boolean;
  /** Padding of the simulated JPEG (default 'zero', as DiffJPEG). */
  jpegPad: NonNullable<JpegOptions['pad']>;
}

/** Configuration of {@link codeformerDegradation}; see docs/degradations.md. */
export interface CodeformerConfig {
  /** Blur kernel size (odd). */
  kernelSize: number;
  /** Kernel families and probabilities. */
  kernelTypes: readonly BlurKernelType[];
  kernelProbs: readonly number[];
  /** Range of both sigmas, pixels. */
  blurSigma: readonly [number, number];
  /** Rotation range, radians. */
  rotationRange: readonly [number, number];
  /** beta ranges (only used if generalized/plateau families are listed). */
  betaGeneralized: readonly [number, number];
  betaPlateau: readonly [number, number];
  /** Downsampling factor range: the image is resized to floor(size / factor). */
  downsampleRange: readonly [number, number];
  /** Kernel of the down and back resizes ('bilinear' = cv2 INTER_LINEAR without antialias). */
  resizeMode: DegradationResizeMode;
  /** Gaussian noise sigma range in 8-bit units; null disables noise. */
  noiseRange: readonly [number, number] | null;
  /** JPEG quality range; null disables JPEG. */
  jpegRange: readonly [number, number] | null;
  /** Output is HQ / outputScale; 1 (default) resizes back to the HQ size as CodeFormer does. */
  outputScale: number;
  /** Padding of the simulated JPEG (default 'zero'). */
  jpegPad: NonNullable<JpegOptions['pad']>;
}

/** Freezes a preset and everything inside it, so shared defaults cannot be changed by accident. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const SIZES_7_TO_21: readonly number[] = [7, 9, 11, 13, 15, 17, 19, 21];
const MIXED_TYPES: readonly BlurKernelType[] = [
  'iso',
  'aniso',
  'generalized_iso',
  'generalized_aniso',
  'plateau_iso',
  'plateau_aniso',
];
const MIXED_PROBS: readonly number[] = [0.45, 0.25, 0.12, 0.03, 0.12, 0.03];
const ALL_RESIZE_MODES: readonly DegradationResizeMode[] = ['area', 'bilinear', 'bicubic'];
const FULL_TURN: readonly [number, number] = [-Math.PI, Math.PI];

/** Real-ESRGAN (train_realesrnet_x4plus) second-order model, published defaults. */
export const REALESRGAN_DEFAULTS: RealEsrganConfig = deepFreeze({
  scale: 4,
  sharpen: true,
  unsharp: { size: 51, sigma: 0, weight: 0.5, threshold: 10 / 255 },
  first: {
    blurProb: 1,
    kernel: {
      sizes: SIZES_7_TO_21,
      types: MIXED_TYPES,
      typeProbs: MIXED_PROBS,
      sincProb: 0.1,
      sigmaRange: [0.2, 3],
      rotationRange: FULL_TURN,
      betaGeneralized: [0.5, 4],
      betaPlateau: [1, 2],
    },
    resizeProbs: [0.2, 0.7, 0.1],
    resizeRange: [0.15, 1.5],
    resizeModes: ALL_RESIZE_MODES,
    gaussianNoiseProb: 0.5,
    noiseRange: [1, 30],
    poissonScaleRange: [0.05, 3],
    grayNoiseProb: 0.4,
    jpegRange: [30, 95],
  },
  second: {
    blurProb: 0.8,
    kernel: {
      sizes: SIZES_7_TO_21,
      types: MIXED_TYPES,
      typeProbs: MIXED_PROBS,
      sincProb: 0.1,
      sigmaRange: [0.2, 1.5],
      rotationRange: FULL_TURN,
      betaGeneralized: [0.5, 4],
      betaPlateau: [1, 2],
    },
    resizeProbs: [0.3, 0.4, 0.3],
    resizeRange: [0.3, 1.2],
    resizeModes: ALL_RESIZE_MODES,
    gaussianNoiseProb: 0.5,
    noiseRange: [1, 25],
    poissonScaleRange: [0.05, 2.5],
    grayNoiseProb: 0.4,
    jpegRange: [30, 95],
  },
  finalSincProb: 0.8,
  finalSincSizes: SIZES_7_TO_21,
  finalSincOmegaRange: [Math.PI / 3, Math.PI],
  finalResizeModes: ALL_RESIZE_MODES,
  kernelPadTo: 21,
  resizeBack: false,
  jpegPad: 'zero',
});

/**
 * StableSR's milder variant: blur sigma [0.2, 1.5] / [0.2, 1.0], second kernel size 11,
 * noise [1, 15] / [1, 12], JPEG [60, 95] / [60, 100], second blur probability 0.5; every
 * other field as {@link REALESRGAN_DEFAULTS}.
 */
export const STABLESR_MILD: RealEsrganConfig = deepFreeze({
  ...REALESRGAN_DEFAULTS,
  first: {
    ...REALESRGAN_DEFAULTS.first,
    kernel: { ...REALESRGAN_DEFAULTS.first.kernel, sigmaRange: [0.2, 1.5] },
    noiseRange: [1, 15],
    jpegRange: [60, 95],
  },
  second: {
    ...REALESRGAN_DEFAULTS.second,
    blurProb: 0.5,
    kernel: { ...REALESRGAN_DEFAULTS.second.kernel, sizes: [11], sigmaRange: [0.2, 1.0] },
    noiseRange: [1, 12],
    jpegRange: [60, 100],
  },
});

/** CodeFormer-style model as used for DiffBIR stage-1/2 training. */
export const CODEFORMER_DEFAULTS: CodeformerConfig = deepFreeze({
  kernelSize: 41,
  kernelTypes: ['iso', 'aniso'],
  kernelProbs: [0.5, 0.5],
  blurSigma: [0.1, 12],
  rotationRange: FULL_TURN,
  betaGeneralized: [0.5, 4],
  betaPlateau: [1, 2],
  downsampleRange: [1, 12],
  resizeMode: 'bilinear',
  noiseRange: [0, 15],
  jpegRange: [30, 100],
  outputScale: 1,
  jpegPad: 'zero',
});

/** DiffBIR v1 face variant: sigma [0.1, 10], downsample [0.8, 8], noise [0, 20], JPEG [60, 100]. */
export const CODEFORMER_FACE_DEFAULTS: CodeformerConfig = deepFreeze({
  ...CODEFORMER_DEFAULTS,
  blurSigma: [0.1, 10],
  downsampleRange: [0.8, 8],
  noiseRange: [0, 20],
  jpegRange: [60, 100],
});
