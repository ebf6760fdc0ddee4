import {
  CODEFORMER_DEFAULTS,
  CODEFORMER_FACE_DEFAULTS,
  type CodeformerDrawnParams,
  codeformerDegradation,
  type DegradationResult,
  REALESRGAN_DEFAULTS,
  type RealEsrganDrawnParams,
  type Rng,
  realEsrganDegradation,
  STABLESR_MILD,
  type Tensor,
} from '@diffrestore/core';

/** Degradation presets of `diffrestore degrade`, as core provides them. */
export const PAIR_PRESETS = ['realesrgan', 'stablesr-mild', 'codeformer', 'codeformer-face'] as const;
export type PairPreset = (typeof PAIR_PRESETS)[number];

/** Other names accepted on the command line. */
export const PAIR_PRESET_ALIASES: Readonly<Record<string, PairPreset>> = { mild: 'stablesr-mild' };

/** The preset a command-line name stands for, or undefined. */
export function resolvePairPreset(name: string): PairPreset | undefined {
  if ((PAIR_PRESETS as readonly string[]).includes(name)) return name as PairPreset;
  return PAIR_PRESET_ALIASES[name];
}

/** The LQ size factor a preset uses when none is given: 4 for Real-ESRGAN/StableSR, 1 for CodeFormer. */
export function defaultPairScale(preset: PairPreset): number {
  return preset === 'codeformer' || preset === 'codeformer-face' ? 1 : 4;
}

export interface PairDegraderOptions {
  readonly preset: PairPreset;
  /** LQ = HQ / scale (an integer >= 1). */
  readonly scale: number;
  /** Resize the LQ back to the HQ size (Real-ESRGAN `resizeBack`; CodeFormer `outputScale` 1). Default false. */
  readonly resizeBack?: boolean;
  /**
   * Unsharp-mask the HQ target (Real-ESRGAN presets; their default is true). Off gives the
   * plain crop as target: what a PSNR-oriented model evaluated on unsharpened ground truth needs.
   */
  readonly sharpen?: boolean;
}

export type PairDegrader = (hq: Tensor, rng: Rng) => DegradationResult<RealEsrganDrawnParams | CodeformerDrawnParams>;

/** The core pipeline for a preset at a scale: Real-ESRGAN presets set `scale`, CodeFormer ones `outputScale`. */
export function pairDegrader(options: PairDegraderOptions): PairDegrader {
  const { preset, scale } = options;
  const resizeBack = options.resizeBack ?? false;
  switch (preset) {
    case 'realesrgan':
    case 'stablesr-mild': {
      const base = preset === 'realesrgan' ? REALESRGAN_DEFAULTS : STABLESR_MILD;
      const config = { ...base, scale, resizeBack, sharpen: options.sharpen ?? base.sharpen };
      return (hq, rng) => realEsrganDegradation(hq, config, rng);
    }
    case 'codeformer':
    case 'codeformer-face': {
      const base = preset === 'codeformer' ? CODEFORMER_DEFAULTS : CODEFORMER_FACE_DEFAULTS;
      const config = { ...base, outputScale: resizeBack ? 1 : scale };
      return (hq, rng) => codeformerDegradation(hq, config, rng);
    }
  }
}
