import { adainColourFix } from '../colour/adain';
import { waveletColourFix } from '../colour/wavelet';
import { withClassifierFreeGuidance } from '../denoiser/cfg';
import type { Denoiser, DenoiserCondition } from '../denoiser/types';
import { cropImage, padToMultiple } from '../image/pad';
import { resize } from '../image/resize';
import { gaussianNoise } from '../random/noise';
import { sample } from '../samplers/loop';
import { createSampler, type SamplerSpec } from '../samplers/registry';
import type { Sampler } from '../samplers/types';
import { combine, firstNonFinite } from '../tensor/ops';
import { assertShape, type Tensor } from '../tensor/tensor';
import { encodePrompt } from '../text/prompt-encoder';
import { tiledDenoiser } from '../tiling/tiled-denoiser';
import { throwIfAborted } from '../util/abort';
import { onnxCleaner } from './cleaner';
import { resolveGuidance } from './guidance-choice';
import type { RestoreModel } from './model';
import { onnxDenoiser } from './onnx-denoiser';
import type { GuidanceChoice, RestoreOptions } from './options';
import type { RestoreStage } from './progress';
import { type CleanerRun, planStage1, runStage1 } from './stage1';
import { clockNow, createRuntimeClock } from './timed-session';
import { createVaeCodec } from './vae';

/** The reference's default seed (diffbir-inference.md §2). */
export const DEFAULT_SEED = 231;

export interface RestoreTimings {
  /** Wall milliseconds per stage. */
  readonly stages: Readonly<Record<RestoreStage, number>>;
  readonly totalMs: number;
  /** Milliseconds spent inside ONNX runs; overhead = total - runtime. */
  readonly runtimeMs: number;
  readonly overheadMs: number;
  /** Number of ONNX runs. */
  readonly runs: number;
}

export interface RestoreResult {
  /** Restored RGB (1,3,H,W) in [0,1]. */
  readonly image: Tensor;
  /** Stage-1 output (what guidance and the colour fix pull towards), (1,3,h,w) in [0,1]. */
  readonly cleaned: Tensor;
  /** Seed used, when the noise came from the built-in generator. */
  readonly seed?: number;
  readonly timings: RestoreTimings;
}

/** The bundle's default fidelity guidance: region-adaptive in latent space, or none. */
function bundleGuidance(scale: number | undefined): GuidanceChoice | undefined {
  return scale ? { kind: 'region-adaptive', space: 'latent', scale } : undefined;
}

function controlScales(strength: RestoreOptions['controlStrength'], count: number): Float32Array {
  if (strength === undefined || typeof strength === 'number') return new Float32Array(count).fill(strength ?? 1);
  if (strength.length !== count) throw new RangeError(`controlStrength needs ${count} values, got ${strength.length}`);
  return Float32Array.from(strength);
}

function resolveSampler(choice: SamplerSpec | Sampler): Sampler {
  return 'start' in choice && typeof choice.start === 'function' ? choice : createSampler(choice as SamplerSpec);
}

async function promptEmbedding(
  model: RestoreModel,
  prompt: string | Tensor | undefined,
  fallback: Tensor,
  signal: RestoreOptions['signal'],
): Promise<Tensor> {
  if (prompt === undefined) return fallback;
  if (typeof prompt !== 'string') return prompt;
  if (!model.textEncoder) {
    throw new Error(
      'a prompt string needs a bundle with a text encoder and tokenizer; this bundle has only its precomputed prompt embeddings (pass an embedding tensor instead)',
    );
  }
  return encodePrompt(model.textEncoder.session, model.textEncoder.tokenizer, prompt, { signal });
}

function checkFinite(t: Tensor, what: string): Tensor {
  const i = firstNonFinite(t);
  if (i >= 0) {
    throw new Error(
      `${what} produced a non-finite value (${t.data[i]}) at element ${i}: the model or its inputs are broken`,
    );
  }
  return t;
}

/**
 * Two-stage DiffBIR restore of one RGB image (1,3,H,W) in [0,1] (diffbir-inference.md §3-9).
 * Pure composition: every step is a core function or a session run.
 */
export async function restoreImage(
  model: RestoreModel,
  image: Tensor,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  assertShape(image, [1, 3, null, null], 'input image');
  checkFinite(image, 'input image');
  const { signal, onProgress } = options;
  const started = clockNow();
  const stages: Record<RestoreStage, number> = { prepare: 0, clean: 0, encode: 0, sample: 0, decode: 0, finish: 0 };
  let stageStart = started;
  let current: RestoreStage = 'prepare';
  const enter = (stage: RestoreStage) => {
    const t = clockNow();
    stages[current] += t - stageStart;
    stageStart = t;
    current = stage;
    throwIfAborted(signal);
    onProgress?.({ type: 'stage', stage });
  };
  onProgress?.({ type: 'stage', stage: 'prepare' });
  throwIfAborted(signal);

  const clock = createRuntimeClock();
  const denoiserSession = clock.wrap(model.denoiser);
  const vae = createVaeCodec(clock.wrap(model.vaeEncoder), clock.wrap(model.vaeDecoder), {
    scalingFactor: model.latent.scalingFactor,
    downscale: model.latent.downscale,
    tile:
      options.tiling === false
        ? undefined
        : { size: options.tiling?.vaeTile ?? 512, stride: options.tiling?.vaeStride ?? 384 },
    signal,
    onTile: (stage, index, count) => onProgress?.({ type: 'tile', stage, index, count }),
  });

  // Stage 1: degradation removal.
  const [, , inH, inW] = image.shape;
  const upscale = options.upscale ?? 1;
  const plan = planStage1(inH, inW, upscale, options.minShortSide ?? model.defaults.minShortSide);
  const choice = options.cleaner ?? (model.cleaner ? { kind: 'bundle' as const } : { kind: 'none' as const });
  const cleanerTile =
    options.tiling === false
      ? undefined
      : { size: options.tiling?.cleanerTile ?? 512, stride: options.tiling?.cleanerStride ?? 256 };
  let cleanerRun: CleanerRun | undefined;
  if (choice.kind === 'bundle') {
    if (!model.cleaner) throw new Error("cleaner 'bundle' requested but the bundle has no cleaner component");
    const { session, info } = model.cleaner;
    cleanerRun = { cleaner: onnxCleaner(clock.wrap(session)), ...info, tile: cleanerTile };
  } else if (choice.kind === 'custom') {
    cleanerRun = { cleaner: choice.cleaner, path: 'clean-then-resize', scale: 1, sizeMultiple: 1 };
  }
  enter('clean');
  const cleaned = checkFinite(
    await runStage1(image, plan, cleanerRun, {
      signal,
      onTile: (index, count) => onProgress?.({ type: 'tile', stage: 'clean', index, count }),
    }),
    'stage 1 (cleaner)',
  );

  // Stage 2: condition latent of the padded stage-1 output.
  enter('encode');
  const pixelMultiple = model.latent.downscale * 8;
  const { image: paddedClean } = padToMultiple(cleaned, pixelMultiple, 'replicate');
  const cleanCondition = checkFinite(await vae.encode(paddedClean), 'VAE encoder');
  let condition = cleanCondition;
  const noise = options.noise ?? gaussianNoise(options.seed ?? DEFAULT_SEED);
  const augT = options.noiseAugmentation ?? 0;
  if (augT > 0) {
    // q_sample(c, t): c_t = sqrt(ab) c + sqrt(1 - ab) n (diffbir-inference.md §6, noise_aug).
    const ab = model.schedule.alphasCumprod[Math.min(model.schedule.alphasCumprod.length - 1, Math.round(augT))];
    condition = combine([Math.sqrt(ab), Math.sqrt(1 - ab)], [condition, noise.randn(condition.shape)]);
  }

  // Denoiser stack: session -> tiles -> CFG; guidance acts on x0-hat inside the loop.
  enter('sample');
  const tiling = options.tiling === false ? undefined : options.tiling;
  const latentTile = tiling?.latentTile ?? 64;
  const [, , lh, lw] = condition.shape;
  let denoiser: Denoiser = onnxDenoiser(denoiserSession, { signal });
  if (options.tiling !== false && (lh > latentTile || lw > latentTile)) {
    denoiser = tiledDenoiser(denoiser, {
      tile: latentTile,
      stride: tiling?.latentStride ?? latentTile / 2,
      signal,
      onTile: (p) => onProgress?.({ type: 'tile', stage: 'sample', index: p.index, count: p.count }),
    });
  }
  const scales = controlScales(options.controlStrength ?? model.defaults.controlStrength, model.controlOutputs);
  const positive = await promptEmbedding(model, options.positivePrompt, model.prompts.positive, signal);
  const cond: DenoiserCondition = {
    context: positive,
    control: condition,
    controlScales: scales,
  };
  const cfgScale = options.cfgScale ?? model.defaults.cfgScale;
  if (cfgScale !== 1) {
    denoiser = withClassifierFreeGuidance(denoiser, {
      scale: cfgScale,
      rescale: options.cfgRescale ?? false,
      uncond: {
        ...cond,
        context: await promptEmbedding(model, options.negativePrompt, model.prompts.negative, signal),
      },
    });
  }
  // Guidance pulls towards the clean condition, not its noise-augmented copy.
  const guidance = resolveGuidance(options.guidance ?? bundleGuidance(model.defaults.guidanceScale), {
    cleaned: paddedClean,
    condition: cleanCondition,
    vae,
  });
  const [, , ch, cw] = cleaned.shape;
  const steps = options.steps ?? model.defaults.steps;
  const previewEvery = options.previewEvery ?? 0;
  const latent = await sample({
    sampler: resolveSampler(options.sampler ?? model.defaults.sampler),
    schedule: model.schedule,
    steps,
    denoiser,
    cond,
    shape: [1, model.latent.channels, lh, lw],
    noise,
    guidance,
    signal,
    onStep: (e) => {
      onProgress?.({ type: 'step', step: e.step, steps: e.steps, timestep: e.timestep });
      if (previewEvery > 0 && e.x0 && (e.step + 1) % previewEvery === 0) {
        // Previews decode asynchronously; they never hold up sampling.
        void vae.decode(e.x0).then(
          (img) => onProgress?.({ type: 'preview', step: e.step, image: cropImage(img, 0, 0, ch, cw) }),
          () => undefined,
        );
      }
    },
  });
  checkFinite(latent, 'sampling (denoiser)');

  enter('decode');
  const decoded = checkFinite(await vae.decode(latent), 'VAE decoder');
  let restored = cropImage(decoded, 0, 0, ch, cw);

  enter('finish');
  const fix = options.colourFix ?? 'wavelet';
  if (fix === 'wavelet') restored = waveletColourFix(restored, cleaned);
  else if (fix === 'adain') restored = adainColourFix(restored, cleaned);
  const outH = options.outputSize?.height ?? Math.round(inH * upscale);
  const outW = options.outputSize?.width ?? Math.round(inW * upscale);
  if (outH !== ch || outW !== cw) {
    // Antialiased bicubic in both directions, as the reference (PyTorch's antialiased kernel
    // differs from plain bicubic even when upscaling: a = -0.5, renormalised borders).
    restored = resize(restored, outH, outW, { mode: 'bicubic', antialias: true });
  }
  restored = { data: restored.data.map((v) => Math.min(1, Math.max(0, v))), shape: restored.shape };

  const end = clockNow();
  stages[current] += end - stageStart;
  const totalMs = end - started;
  return {
    image: restored,
    cleaned,
    seed: options.noise ? undefined : (options.seed ?? DEFAULT_SEED),
    timings: { stages, totalMs, runtimeMs: clock.runtimeMs, overheadMs: totalMs - clock.runtimeMs, runs: clock.runs },
  };
}
