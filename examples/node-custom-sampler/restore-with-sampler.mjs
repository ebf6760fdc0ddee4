// The two-stage restore composed from @diffrestore/core's building blocks, so that any Sampler
// object can drive stage 2. `restoreImage` (and `restorer.restore`) take only the built-in
// samplers by spec ({ kind: 'ddim' }, ...); this is the same pipeline with the sampler as a
// parameter (no stage timings, previews or noise augmentation).
import {
  createVaeCodec,
  cropImage,
  gaussianNoise,
  onnxCleaner,
  onnxDenoiser,
  padToMultiple,
  planStage1,
  resize,
  resolveGuidance,
  runStage1,
  sample,
  tiledDenoiser,
  waveletColourFix,
  withClassifierFreeGuidance,
} from '@diffrestore/core';

/**
 * @param {import('@diffrestore/core').RestoreModel} model  e.g. `(await loadBundle(dir)).model`
 * @param {import('@diffrestore/core').Tensor} image  RGB (1,3,H,W) in [0,1]
 * @param {import('@diffrestore/core').Sampler} sampler
 * @param {import('./restore-with-sampler.d.mts').SamplerRestoreOptions} [options]
 */
export async function restoreWithSampler(model, image, sampler, options = {}) {
  const { signal } = options;
  const [, , inH, inW] = image.shape;
  const upscale = options.upscale ?? 1;

  // Stage 1: the bundle's cleaner, resized to the working size.
  const plan = planStage1(inH, inW, upscale, options.minShortSide ?? model.defaults.minShortSide);
  const run = model.cleaner && {
    cleaner: onnxCleaner(model.cleaner.session),
    ...model.cleaner.info,
    tile: { size: 512, stride: 256 },
  };
  const cleaned = await runStage1(image, plan, run, { signal });

  // Stage 2: condition latent, denoiser stack (session -> tiles -> CFG), guidance, sampling.
  const vae = createVaeCodec(model.vaeEncoder, model.vaeDecoder, {
    scalingFactor: model.latent.scalingFactor,
    downscale: model.latent.downscale,
    tile: { size: 512, stride: 384 },
    signal,
  });
  const { image: padded } = padToMultiple(cleaned, model.latent.downscale * 8, 'replicate');
  const condition = await vae.encode(padded);
  const [, , lh, lw] = condition.shape;
  let denoiser = onnxDenoiser(model.denoiser, { signal });
  if (lh > 64 || lw > 64) denoiser = tiledDenoiser(denoiser, { tile: 64, stride: 32 });
  const cond = {
    context: model.prompts.positive,
    control: condition,
    controlScales: new Float32Array(model.controlOutputs).fill(model.defaults.controlStrength),
  };
  const cfgScale = options.cfgScale ?? model.defaults.cfgScale;
  if (cfgScale !== 1) {
    denoiser = withClassifierFreeGuidance(denoiser, {
      scale: cfgScale,
      rescale: false,
      uncond: { ...cond, context: model.prompts.negative },
    });
  }
  const latent = await sample({
    sampler,
    schedule: model.schedule,
    steps: options.steps ?? model.defaults.steps,
    denoiser,
    cond,
    shape: [1, model.latent.channels, lh, lw],
    noise: gaussianNoise(options.seed ?? 231),
    guidance: resolveGuidance(options.guidance, { cleaned: padded, condition, vae }),
    signal,
    onStep: options.onStep,
  });

  // Decode, crop the padding away, colour fix against stage 1, resize to the output size.
  const [, , ch, cw] = cleaned.shape;
  let restored = waveletColourFix(cropImage(await vae.decode(latent), 0, 0, ch, cw), cleaned);
  const outH = Math.round(inH * upscale);
  const outW = Math.round(inW * upscale);
  if (outH !== ch || outW !== cw) {
    restored = resize(restored, outH, outW, { mode: 'bicubic', antialias: outH < ch || outW < cw });
  }
  return { image: { data: restored.data.map((v) => Math.min(1, Math.max(0, v))), shape: restored.shape }, cleaned };
}
