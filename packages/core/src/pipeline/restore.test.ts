import { describe, expect, it } from 'vitest';
import { psnr } from '../metrics/psnr';
import type { ModelSession, ValueInfo } from '../runtime/types';
import { ddimSampler } from '../samplers/ddim';
import { ldmLinearSchedule, noiseScheduleFromAlphasCumprod } from '../schedules/ldm-schedule';
import type { Tensor } from '../tensor/tensor';
import type { RestoreModel } from './model';
import type { RestoreProgress } from './progress';
import { restoreImage } from './restore';

// A restore model made of analytic "graphs", so the pipeline's composition can be checked
// exactly without ONNX: the VAE is 8x8 block averaging (encoder) and nearest upsampling
// (decoder) of RGB into latent channels 0-2, and the denoiser predicts x0 = control +
// a bounded function of x, so the noise (hence the seed) matters but the result stays
// anchored to the condition.
const F = 8;
const info = (name: string, rank: number): ValueInfo => ({ name, type: 'float32', shape: Array(rank).fill(null) });

function session(
  inputs: string[],
  outputs: string[],
  fn: (feeds: Record<string, Tensor>) => Tensor,
): ModelSession & {
  calls: number;
} {
  const s = {
    calls: 0,
    inputs: inputs.map((n) => info(n, 4)),
    outputs: outputs.map((n) => info(n, 4)),
    async run(feeds: Readonly<Record<string, Tensor>>) {
      s.calls++;
      return { [outputs[0]]: fn(feeds as Record<string, Tensor>) };
    },
    async release() {},
  };
  return s;
}

function blockEncoder(img: Tensor): Tensor {
  const [b, , h, w] = img.shape;
  const lh = h / F;
  const lw = w / F;
  const out = new Float32Array(b * 4 * lh * lw);
  for (let n = 0; n < b; n++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          out[((n * 4 + c) * lh + Math.floor(y / F)) * lw + Math.floor(x / F)] +=
            img.data[((n * 3 + c) * h + y) * w + x] / (F * F);
  return { data: out, shape: [b, 4, lh, lw] };
}

function nearestDecoder(z: Tensor): Tensor {
  const [b, , lh, lw] = z.shape;
  const h = lh * F;
  const w = lw * F;
  const out = new Float32Array(b * 3 * h * w);
  for (let n = 0; n < b; n++)
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          out[((n * 3 + c) * h + y) * w + x] = z.data[((n * 4 + c) * lh + Math.floor(y / F)) * lw + Math.floor(x / F)];
  return { data: out, shape: [b, 3, h, w] };
}

function fakeModel(options: { nan?: boolean; denoiserDelay?: number } = {}) {
  const s = 0.5; // latent scaling factor
  const denoiser = session(['x', 'timestep', 'context', 'control', 'control_scales'], ['out'], (f) => {
    const { x, control } = f;
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++)
      out[i] = options.nan ? Number.NaN : control.data[i] + 0.05 * Math.tanh(x.data[i]);
    return { data: out, shape: x.shape };
  });
  const model: RestoreModel = {
    denoiser: options.denoiserDelay
      ? {
          ...denoiser,
          run: async (feeds) => {
            await new Promise((r) => setTimeout(r, options.denoiserDelay));
            return denoiser.run(feeds);
          },
        }
      : denoiser,
    vaeEncoder: session(['image'], ['mean'], (f) => blockEncoder(f.image)),
    vaeDecoder: session(['latent'], ['image'], (f) => nearestDecoder(f.latent)),
    schedule: noiseScheduleFromAlphasCumprod(ldmLinearSchedule().alphasCumprod, 'x0'),
    latent: { channels: 4, downscale: F, scalingFactor: s },
    controlOutputs: 13,
    prompts: {
      positive: { data: new Float32Array(4), shape: [1, 1, 4] },
      negative: { data: new Float32Array(4), shape: [1, 1, 4] },
    },
    defaults: { sampler: { kind: 'euler-ancestral' }, steps: 6, cfgScale: 1, controlStrength: 1, minShortSide: 0 },
    release: async () => {},
  };
  return { model, denoiser };
}

function smoothImage(h: number, w: number): Tensor {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        data[(c * h + y) * w + x] = 0.5 + 0.3 * Math.sin((x + 7 * c) / 9) * Math.cos((y - 3 * c) / 11);
  return { data, shape: [1, 3, h, w] };
}

describe('restoreImage (analytic model)', () => {
  it('returns the requested size, in [0,1], reproducible by seed and different across seeds', async () => {
    const { model } = fakeModel();
    const img = smoothImage(40, 56);
    const a = await restoreImage(model, img, { upscale: 2, seed: 1, cleaner: { kind: 'none' } });
    const b = await restoreImage(model, img, { upscale: 2, seed: 1, cleaner: { kind: 'none' } });
    const c = await restoreImage(model, img, { upscale: 2, seed: 2, cleaner: { kind: 'none' } });
    expect(a.image.shape).toEqual([1, 3, 80, 112]);
    expect(a.image.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
    expect(Array.from(a.image.data)).not.toEqual(Array.from(c.image.data));
    expect(a.seed).toBe(1);
  });

  it('lands near the condition: the decoded sample approximates the stage-1 image', async () => {
    const { model } = fakeModel();
    const img = smoothImage(64, 64);
    const r = await restoreImage(model, img, { cleaner: { kind: 'none' }, colourFix: 'none' });
    // x0 = c + 0.05 tanh(x): the decoded result is the 8x8 block average of the input plus a small offset.
    const blocky = nearestDecoder(blockEncoder(img));
    expect(psnr(r.image, blocky)).toBeGreaterThan(25);
  });

  it('runs a custom cleaner and reports stages, steps and timings in order', async () => {
    const { model, denoiser } = fakeModel();
    const events: RestoreProgress[] = [];
    let cleanerCalls = 0;
    const r = await restoreImage(model, smoothImage(32, 48), {
      cleaner: {
        kind: 'custom',
        cleaner: async (t) => {
          cleanerCalls++;
          return t;
        },
      },
      steps: 5,
      onProgress: (e) => events.push(e),
    });
    expect(cleanerCalls).toBe(1);
    const stages = events.filter((e) => e.type === 'stage').map((e) => (e as { stage: string }).stage);
    expect(stages).toEqual(['prepare', 'clean', 'encode', 'sample', 'decode', 'finish']);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.map((e) => (e as { step: number }).step)).toEqual([0, 1, 2, 3, 4]);
    expect(denoiser.calls).toBe(5);
    expect(r.timings.runs).toBe(5 + 2); // denoiser steps + VAE encode + decode
    expect(r.timings.runtimeMs).toBeLessThanOrEqual(r.timings.totalMs);
    expect(r.timings.overheadMs).toBeCloseTo(r.timings.totalMs - r.timings.runtimeMs, 6);
  });

  it('rejects with AbortError when aborted mid-run', async () => {
    const { model } = fakeModel({ denoiserDelay: 5 });
    const ac = new AbortController();
    const p = restoreImage(model, smoothImage(32, 32), {
      cleaner: { kind: 'none' },
      steps: 20,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 2) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('names the failing stage when a graph produces NaN', async () => {
    const { model } = fakeModel({ nan: true });
    await expect(restoreImage(model, smoothImage(32, 32), { cleaner: { kind: 'none' } })).rejects.toThrow(/non-finite/);
  });

  it('refuses a wrongly shaped input with a clear message', async () => {
    const { model } = fakeModel();
    const gray: Tensor = { data: new Float32Array(32 * 32), shape: [1, 1, 32, 32] };
    await expect(restoreImage(model, gray)).rejects.toThrow(
      /input image has shape \[1, 1, 32, 32\], expected \[1, 3, \?, \?\]/,
    );
  });

  it('tiles large latents: same size and close to the untiled result on a smooth image', async () => {
    const { model, denoiser } = fakeModel();
    const img = smoothImage(96, 160);
    const opts = { cleaner: { kind: 'none' as const }, seed: 5, steps: 4 };
    const untiled = await restoreImage(model, img, { ...opts, tiling: false });
    const before = denoiser.calls;
    let tileEvents = 0;
    const tiled = await restoreImage(model, img, {
      ...opts,
      tiling: { latentTile: 8, latentStride: 4 },
      onProgress: (e) => {
        if (e.type === 'tile' && e.stage === 'sample') tileEvents++;
      },
    });
    expect(denoiser.calls - before).toBeGreaterThan(4); // several tiles per step
    expect(tiled.image.shape).toEqual(untiled.image.shape);
    expect(tileEvents).toBeGreaterThan(4);
    // The analytic denoiser is pointwise, so blended tiles reproduce the untiled output.
    expect(psnr(tiled.image, untiled.image)).toBeGreaterThan(60);
  });

  it('guidance pulls the result towards the condition as its scale grows', async () => {
    const { model } = fakeModel();
    const img = smoothImage(32, 32);
    const base = { cleaner: { kind: 'none' as const }, seed: 3, colourFix: 'none' as const };
    const blocky = nearestDecoder(blockEncoder(img));
    const fidelity = [];
    for (const scale of [0, 0.02, 0.2]) {
      const r = await restoreImage(model, img, {
        ...base,
        guidance: scale === 0 ? { kind: 'none' } : { kind: 'latent-mse', scale, start: 1001 },
      });
      fidelity.push(psnr(r.image, blocky));
    }
    expect(fidelity[1]).toBeGreaterThan(fidelity[0]);
    expect(fidelity[2]).toBeGreaterThan(fidelity[1]);
  });

  it('encodes prompt strings with the bundle text encoder, and says so when there is none', async () => {
    const { model } = fakeModel();
    const seen: number[][] = [];
    const encoder = session(['tokens'], ['context'], (f) => {
      seen.push(Array.from(f.tokens.data.slice(0, 4)));
      return { data: new Float32Array(16).fill(f.tokens.data[1]), shape: [1, 4, 4] };
    });
    const tokenizer = {
      tokenizeToTensor: (text: string | readonly string[]) => {
        const t = typeof text === 'string' ? text : text[0];
        return { data: Float32Array.from([49406, t.length, 49407, 0]), shape: [1, 4] };
      },
    };
    const withText = { ...model, textEncoder: { session: encoder, tokenizer } };
    const img = smoothImage(32, 32);
    await restoreImage(withText, img, {
      cleaner: { kind: 'none' },
      cfgScale: 2,
      positivePrompt: 'a cat',
      negativePrompt: 'blurry',
    });
    expect(seen).toEqual([
      [49406, 5, 49407, 0],
      [49406, 6, 49407, 0],
    ]);
    await expect(restoreImage(model, img, { positivePrompt: 'a cat' })).rejects.toThrow(/text encoder and tokenizer/);
  });

  it('accepts a user-written Sampler object as well as a built-in spec', async () => {
    const { model } = fakeModel();
    const img = smoothImage(32, 32);
    const opts = { cleaner: { kind: 'none' as const }, seed: 9, steps: 5 };
    const viaSpec = await restoreImage(model, img, { ...opts, sampler: { kind: 'ddim' } });
    const viaObject = await restoreImage(model, img, { ...opts, sampler: ddimSampler() });
    expect(Array.from(viaObject.image.data)).toEqual(Array.from(viaSpec.image.data));
  });

  it('decodes previews of x0-hat every N steps when asked', async () => {
    const { model } = fakeModel();
    const previews: { step: number; shape: readonly number[] }[] = [];
    await restoreImage(model, smoothImage(32, 48), {
      cleaner: { kind: 'none' },
      steps: 6,
      previewEvery: 2,
      onProgress: (e) => e.type === 'preview' && previews.push({ step: e.step, shape: e.image.shape }),
    });
    await new Promise((r) => setTimeout(r, 0)); // previews decode without holding up sampling
    expect(previews.map((p) => p.step).sort()).toEqual([1, 3, 5]);
    for (const p of previews) expect(p.shape).toEqual([1, 3, 32, 48]); // cropped to the image, not the padding
  });

  it('noise augmentation re-noises the condition latent (q_sample) before sampling', async () => {
    const { model } = fakeModel();
    const img = smoothImage(32, 32);
    const opts = { cleaner: { kind: 'none' as const }, seed: 4, colourFix: 'none' as const };
    const blocky = nearestDecoder(blockEncoder(img));
    const plain = await restoreImage(model, img, opts);
    const light = await restoreImage(model, img, { ...opts, noiseAugmentation: 50 });
    const heavy = await restoreImage(model, img, { ...opts, noiseAugmentation: 600 });
    // The denoiser anchors x0 on the condition, so a noisier condition lands further from the input.
    expect(psnr(light.image, blocky)).toBeLessThan(psnr(plain.image, blocky));
    expect(psnr(heavy.image, blocky)).toBeLessThan(psnr(light.image, blocky));
  });

  it('guidance pulls towards the clean condition even when the condition is noise-augmented', async () => {
    const { model } = fakeModel();
    const img = smoothImage(32, 32);
    const blocky = nearestDecoder(blockEncoder(img));
    const opts = { cleaner: { kind: 'none' as const }, seed: 4, colourFix: 'none' as const, noiseAugmentation: 600 };
    const free = await restoreImage(model, img, opts);
    // latent-mse steps x0 by scale * 2 (x0 - c) / N per repeat: N = 64 here, so scale 100
    // converges. Measured: 7.6 dB unguided, 68 dB guided to the clean latent.
    const guided = await restoreImage(model, img, {
      ...opts,
      guidance: { kind: 'latent-mse', scale: 100, start: 1001 },
    });
    expect(psnr(guided.image, blocky)).toBeGreaterThan(psnr(free.image, blocky) + 30);
  });
});
