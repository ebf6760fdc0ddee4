import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/guidance_tiling.json';
import { gaussianNoise } from '../random/noise';
import type { StepPoint } from '../samplers/types';
import type { Tensor } from '../tensor/tensor';
import { weightedMseLoss } from './mse-loss';
import { guidanceStepCoefficients } from './posterior';
import {
  averagePoolWeightMap,
  estimateDecoderGain,
  regionAdaptiveGuidance,
  regionAdaptiveWeightMap,
} from './region-adaptive';

const t = (o: { shape: number[]; data: number[] }): Tensor => ({ data: Float32Array.from(o.data), shape: o.shape });
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const at = (timestep: number, alphaBar: number, alphaBarNext: number, x: Tensor): StepPoint & { x: Tensor } => ({
  step: 3,
  steps: 10,
  timestep,
  alphaBar,
  alphaBarNext,
  x,
});

describe('regionAdaptiveWeightMap', () => {
  const image = t(fixture.image);
  it('equals the PyTorch weight map (Sobel on replicate-padded gray, 2x2 block sum, tanh)', () => {
    const w = regionAdaptiveWeightMap(image);
    expect(w.shape).toEqual([1, 1, 16, 24]);
    expect(maxDiff(w.data, fixture.weightMap.data)).toBeLessThan(2e-6);
  });
  it('is near 0 on the edge and in the noisy patch, near 1 in flat regions', () => {
    const w = regionAdaptiveWeightMap(image).data;
    expect(w[2 * 24 + 11]).toBeLessThan(0.01); // step edge at x = 12
    expect(w[12 * 24 + 3]).toBeLessThan(0.05); // textured patch
    expect(w[3 * 24 + 20]).toBeGreaterThan(0.9); // flat ramp
  });
  it('average-pools to the latent grid like F.avg_pool2d', () => {
    const w = regionAdaptiveWeightMap(image);
    expect(maxDiff(averagePoolWeightMap(w, 2).data, fixture.weightMapPool2.data)).toBeLessThan(2e-6);
    expect(maxDiff(averagePoolWeightMap(w, 8).data, fixture.weightMapPool8.data)).toBeLessThan(2e-6);
  });
  it('rejects odd sides and non-RGB input', () => {
    expect(() => regionAdaptiveWeightMap({ data: new Float32Array(3 * 5 * 4), shape: [1, 3, 5, 4] })).toThrow(/even/);
    expect(() => regionAdaptiveWeightMap({ data: new Float32Array(4 * 16), shape: [1, 4, 4, 4] })).toThrow(/RGB/);
    expect(() => averagePoolWeightMap(regionAdaptiveWeightMap(image), 5)).toThrow(/divisible/);
  });
});

describe('weightedMseLoss', () => {
  it('matches autograd for the reference pixel loss: loss and -grad * 0.5 * 3000', () => {
    const pred = t(fixture.pixelGuidance.pred);
    const image = t(fixture.image);
    const target: Tensor = { data: image.data.map((v) => 2 * v - 1), shape: image.shape };
    const { loss, gradient } = weightedMseLoss(pred, target, t(fixture.weightMap));
    expect(loss).toBeCloseTo(fixture.pixelGuidance.loss, 5);
    const step = gradient.data.map((g) => -g * 1500);
    expect(maxDiff(step, fixture.pixelGuidance.gradientStep.data)).toBeLessThan(1e-4);
  });
});

// A linear toy VAE with factor 2: decode = nearest upsampling of a 1-channel latent into 3
// equal RGB channels with gain a; encode = its pseudo-inverse (block/channel mean / a).
// Then J^T J = 3 * 2^2 * a^2 I exactly, so the encoder projection with pixelGain = 12 a^2
// must reproduce the decoder-VJP update exactly.
function toyVae(a: number) {
  const decode = async (z: Tensor): Promise<Tensor> => {
    const [b, , h, w] = z.shape;
    const out = new Float32Array(b * 3 * 4 * h * w);
    for (let n = 0; n < b; n++)
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < 2 * h; y++)
          for (let x = 0; x < 2 * w; x++)
            out[((n * 3 + c) * 2 * h + y) * 2 * w + x] = a * z.data[(n * h + (y >> 1)) * w + (x >> 1)];
    return { data: out, shape: [b, 3, 2 * h, 2 * w] };
  };
  const vjp = async (z: Tensor, g: Tensor): Promise<Tensor> => {
    const [b, , h, w] = z.shape;
    const out = new Float32Array(z.data.length);
    for (let n = 0; n < b; n++)
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < 2 * h; y++)
          for (let x = 0; x < 2 * w; x++)
            out[(n * h + (y >> 1)) * w + (x >> 1)] += a * g.data[((n * 3 + c) * 2 * h + y) * 2 * w + x];
    return { data: out, shape: [...z.shape] };
  };
  const encode = async (img: Tensor): Promise<Tensor> => {
    const [b, , H, W] = img.shape;
    const h = H / 2;
    const w = W / 2;
    const out = new Float32Array(b * h * w);
    for (let n = 0; n < b; n++)
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++)
            out[(n * h + (y >> 1)) * w + (x >> 1)] += img.data[((n * 3 + c) * H + y) * W + x] / (12 * a);
    return { data: out, shape: [b, 1, h, w] };
  };
  return { decode, vjp, encode };
}

describe('regionAdaptiveGuidance', () => {
  const image = t(fixture.image); // 16 x 24 -> toy latent 8 x 12
  const x = { data: new Float32Array(96).fill(0.3), shape: [1, 1, 8, 12] };
  const point = at(500, 0.3, 0.33, x);
  const { coef1 } = guidanceStepCoefficients(0.3, 0.33);
  const x0: Tensor = { data: new Float32Array(96).fill(0.1), shape: [1, 1, 8, 12] };

  it('pixel space with decodeVjp is the reference update x0 + J^T g / coef1', async () => {
    const a = 0.7;
    const vae = toyVae(a);
    const g = regionAdaptiveGuidance({ space: 'pixel', image, decode: vae.decode, decodeVjp: vae.vjp });
    const out = await g(x0, point);
    const pred = await vae.decode(x0);
    const target: Tensor = { data: image.data.map((v) => 2 * v - 1), shape: image.shape };
    const grad = weightedMseLoss(pred, target, regionAdaptiveWeightMap(image)).gradient;
    const delta = await vae.vjp(x0, { data: grad.data.map((v) => -1500 * v), shape: grad.shape });
    expect(
      maxDiff(
        out.data,
        x0.data.map((v, i) => v + delta.data[i] / coef1),
      ),
    ).toBeLessThan(1e-5);
  });

  it('the encoder projection equals the VJP update when pixelGain = |J column|^2', async () => {
    const a = 0.7;
    const vae = toyVae(a);
    const exact = await regionAdaptiveGuidance({ space: 'pixel', image, decode: vae.decode, decodeVjp: vae.vjp })(
      x0,
      point,
    );
    const projected = await regionAdaptiveGuidance({
      space: 'pixel',
      image,
      decode: vae.decode,
      encode: vae.encode,
      pixelGain: 12 * a * a,
    })(x0, point);
    const scaleOf = Math.max(...exact.data.map((v, i) => Math.abs(v - x0.data[i])));
    expect(maxDiff(projected.data, exact.data) / scaleOf).toBeLessThan(1e-3);
  });

  it('by default estimates the gain once and then matches the VJP update', async () => {
    const a = 0.7;
    const vae = toyVae(a);
    let decodes = 0;
    const counted = async (z: Tensor) => {
      decodes++;
      return vae.decode(z);
    };
    const exact = await regionAdaptiveGuidance({ space: 'pixel', image, decode: vae.decode, decodeVjp: vae.vjp })(
      x0,
      point,
    );
    const guide = regionAdaptiveGuidance({ space: 'pixel', image, decode: counted, encode: vae.encode });
    const first = await guide(x0, point);
    expect(decodes).toBe(1 + 1 + 2); // the estimate's base and 2 probes, then the step's own decode
    const scaleOf = Math.max(...exact.data.map((v, i) => Math.abs(v - x0.data[i])));
    expect(maxDiff(first.data, exact.data) / scaleOf).toBeLessThan(1e-3);
    await guide(x0, point);
    expect(decodes).toBe(5); // estimated once
    const fixed = await regionAdaptiveGuidance({
      space: 'pixel',
      image,
      decode: vae.decode,
      encode: vae.encode,
      pixelGain: 192,
    })(x0, point);
    // A fixed 192 against the true 12 a^2 = 5.88: a 33x larger step.
    const ratio = (fixed.data[0] - x0.data[0]) / (first.data[0] - x0.data[0]);
    expect(ratio).toBeCloseTo(192 / (12 * a * a), 2);
  });

  it('estimateDecoderGain measures |J column|^2 of a linear decoder', async () => {
    const vae = toyVae(0.7);
    const gain = await estimateDecoderGain(vae.decode, x0, gaussianNoise(3), { probes: 3 });
    expect(gain).toBeCloseTo(12 * 0.49, 3);
  });

  it('moves less where the weight map is near 0 (texture) than where it is near 1 (flat)', async () => {
    // Latent space, factor 2: x0 = 0 and target c = 1 everywhere, so |delta| is proportional to pooled W.
    const c: Tensor = { data: new Float32Array(96).fill(1), shape: [1, 1, 8, 12] };
    const zero: Tensor = { data: new Float32Array(96), shape: [1, 1, 8, 12] };
    const g = regionAdaptiveGuidance({ space: 'latent', image, target: c, latentFactor: 2, clampAtTarget: false });
    const out = await g(zero, point);
    const pooled = averagePoolWeightMap(regionAdaptiveWeightMap(image), 2);
    // The reference's step: delta = scale * 3000 * 2 W (c - x0) / (C h w) / coef1
    const expected = pooled.data.map((w) => (1500 * 2 * w) / 96 / coef1);
    expect(maxDiff(out.data, expected) / Math.max(...expected)).toBeLessThan(1e-5);
    const flat = out.data[1 * 12 + 10]; // right half, flat
    const textured = out.data[6 * 12 + 1]; // bottom-left noise
    expect(flat).toBeGreaterThan(0);
    expect(textured).toBeLessThan(0.1 * flat);
  });

  it('by default never steps past the condition latent: x0 + min(1, k) (c - x0)', async () => {
    const c: Tensor = { data: new Float32Array(96).fill(1), shape: [1, 1, 8, 12] };
    const zero: Tensor = { data: new Float32Array(96), shape: [1, 1, 8, 12] };
    const pooled = averagePoolWeightMap(regionAdaptiveWeightMap(image), 2);
    const factor = (scale: number, w: number) => (scale * 3000 * 2 * w) / 96 / coef1; // k of the reference step
    for (const scale of [1e-4, 0.5]) {
      const out = await regionAdaptiveGuidance({ space: 'latent', image, target: c, latentFactor: 2, scale })(
        zero,
        point,
      );
      const expected = pooled.data.map((w) => Math.min(1, factor(scale, w)));
      expect(maxDiff(out.data, expected)).toBeLessThan(1e-6);
    }
    // Scale 0.5 overshoots the flat elements by far (k >> 1): they land exactly on c.
    expect(factor(0.5, pooled.data[1 * 12 + 10])).toBeGreaterThan(10);
  });

  it('with the cap, a larger scale never leaves x0 farther from the condition (fidelity is monotone)', async () => {
    const rng = gaussianNoise(11);
    const c = rng.randn([1, 1, 8, 12]);
    const start = rng.randn([1, 1, 8, 12]);
    const distance = (t: Tensor) => Math.sqrt(t.data.reduce((acc, v, i) => acc + (v - c.data[i]) ** 2, 0));
    const scales = [0, 1e-4, 1e-3, 0.01, 0.05, 0.2, 1, 4, 16];
    const capped: number[] = [];
    const reference: number[] = [];
    for (const scale of scales) {
      const opts = { space: 'latent' as const, image, target: c, latentFactor: 2, scale };
      capped.push(distance(await regionAdaptiveGuidance(opts)(start, point)));
      reference.push(distance(await regionAdaptiveGuidance({ ...opts, clampAtTarget: false })(start, point)));
    }
    for (let i = 1; i < scales.length; i++) expect(capped[i]).toBeLessThanOrEqual(capped[i - 1] + 1e-6);
    // The reference's unbounded step is not monotone: past k = 2 it ends farther away than it began.
    expect(reference.at(-1)).toBeGreaterThan(reference[0]);
  });

  it('does nothing outside its window, at scale 0, or when the step has no x0 weight', async () => {
    const c: Tensor = { data: new Float32Array(96).fill(1), shape: [1, 1, 8, 12] };
    const g = regionAdaptiveGuidance({ space: 'latent', image, target: c, latentFactor: 2, tStart: 400, tStop: 100 });
    expect(await g(x0, at(500, 0.3, 0.33, x))).toBe(x0);
    expect(await g(x0, at(99, 0.3, 0.33, x))).toBe(x0);
    expect(await g(x0, at(200, 0.3, 0.33, x))).not.toBe(x0);
    expect(await g(x0, at(200, 0.3, 0.3, x))).toBe(x0);
    const off = regionAdaptiveGuidance({ space: 'latent', image, target: c, latentFactor: 2, scale: 0 });
    expect(await off(x0, point)).toBe(x0);
  });

  it('needs encode or decodeVjp in pixel space', () => {
    const vae = toyVae(1);
    expect(() => regionAdaptiveGuidance({ space: 'pixel', image, decode: vae.decode })).toThrow(/encode or decodeVjp/);
  });
});
