import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import {
  CODEFORMER_DEFAULTS,
  CODEFORMER_FACE_DEFAULTS,
  REALESRGAN_DEFAULTS,
  type RealEsrganConfig,
  STABLESR_MILD,
} from './config';
import { applyRealEsrganParams, codeformerDegradation, drawRealEsrganParams, realEsrganDegradation } from './pipelines';

function photo(h: number, w: number): Tensor {
  const rng = createRng(99);
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v =
          0.5 + 0.3 * Math.sin(x / 5 + c) * Math.cos(y / 7) + (x > w / 2 ? 0.1 : 0) + 0.05 * (rng.uniform() - 0.5);
        data[(c * h + y) * w + x] = Math.min(1, Math.max(0, v));
      }
    }
  }
  return { data, shape: [1, 3, h, w] };
}

const HQ = photo(64, 80);
const bytes = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
const onGrid = (t: Tensor) => t.data.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-4 && v >= 0 && v <= 1);

describe('realEsrganDegradation', () => {
  it('scale 4: output is floor(HQ / 4), on the 8-bit grid; the HQ target is the unsharp-masked input', () => {
    for (const seed of [1, 2, 3, 4]) {
      const { lq, hq, params } = realEsrganDegradation(HQ, REALESRGAN_DEFAULTS, createRng(seed));
      expect(lq.shape).toEqual([1, 3, 16, 20]);
      expect(params.outputSize).toEqual([16, 20]);
      expect(onGrid(lq)).toBe(true);
      expect(hq.shape).toEqual(HQ.shape);
      expect(params.sharpened).toBe(true);
    }
  });

  it('scale 1 keeps the HQ size; resizeBack brings a x4 LQ back to the HQ size', () => {
    const one = realEsrganDegradation(HQ, { ...REALESRGAN_DEFAULTS, scale: 1, sharpen: false }, createRng(5));
    expect(one.lq.shape).toEqual([1, 3, 64, 80]);
    expect(one.hq).toBe(HQ);
    const back = realEsrganDegradation(HQ, { ...REALESRGAN_DEFAULTS, resizeBack: true }, createRng(5));
    expect(back.lq.shape).toEqual([1, 3, 64, 80]);
    expect(back.params.resizedBack).toBe(true);
    expect(Math.min(...back.lq.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...back.lq.data)).toBeLessThanOrEqual(1);
  });

  it('same seed gives identical bytes and params; another seed differs', () => {
    const a = realEsrganDegradation(HQ, REALESRGAN_DEFAULTS, createRng(42));
    const b = realEsrganDegradation(HQ, REALESRGAN_DEFAULTS, createRng(42));
    expect(bytes(a.lq).equals(bytes(b.lq))).toBe(true);
    expect(JSON.stringify(a.params)).toBe(JSON.stringify(b.params));
    const c = realEsrganDegradation(HQ, REALESRGAN_DEFAULTS, createRng(43));
    expect(JSON.stringify(c.params)).not.toBe(JSON.stringify(a.params));
    expect(bytes(c.lq).equals(bytes(a.lq))).toBe(false);
  });

  it('params are plain JSON and replay: drawn params + the same generator state give the same LQ', () => {
    const rng = createRng(7);
    const result = realEsrganDegradation(HQ, STABLESR_MILD, rng);
    const params = JSON.parse(JSON.stringify(result.params));
    expect(params).toEqual(result.params);
    const replayRng = createRng(7);
    drawRealEsrganParams(replayRng, STABLESR_MILD, 64, 80); // advance to the same state
    const replay = applyRealEsrganParams(HQ, params, STABLESR_MILD, replayRng);
    expect(bytes(replay.lq).equals(bytes(result.lq))).toBe(true);
  });

  it('records every step with the documented fields and sizes', () => {
    const { params } = realEsrganDegradation(HQ, REALESRGAN_DEFAULTS, createRng(8));
    const r1 = params.first.resize;
    expect(r1.height).toBe(Math.max(1, Math.floor(64 * r1.scale)));
    expect(r1.width).toBe(Math.max(1, Math.floor(80 * r1.scale)));
    const r2 = params.second.resize;
    expect(r2.height).toBe(Math.max(1, Math.trunc((64 / 4) * r2.scale)));
    expect(['area', 'bilinear', 'bicubic']).toContain(params.final.resizeMode);
    expect(params.first.jpegQuality).toBeGreaterThanOrEqual(30);
    expect(params.first.jpegQuality).toBeLessThanOrEqual(95);
    expect(['resize-sinc-jpeg', 'jpeg-resize-sinc']).toContain(params.final.order);
  });

  it('draws with the published probabilities (second blur .8, final sinc .8, branch .5, resize .2/.7/.1, Gaussian .5, gray .4)', () => {
    const N = 3000;
    const rng = createRng(2024);
    const counts = { blur2: 0, sinc: 0, branch: 0, up: 0, down: 0, keep: 0, gauss: 0, gray: 0, up2: 0, keep2: 0 };
    for (let i = 0; i < N; i++) {
      const p = drawRealEsrganParams(rng, REALESRGAN_DEFAULTS, 256, 256);
      if (p.second.kernel) counts.blur2++;
      if (p.final.sinc) counts.sinc++;
      if (p.final.order === 'resize-sinc-jpeg') counts.branch++;
      counts[p.first.resize.direction]++;
      if (p.second.resize.direction === 'up') counts.up2++;
      if (p.second.resize.direction === 'keep') counts.keep2++;
      if (p.first.noise.kind === 'gaussian') counts.gauss++;
      if (p.first.noise.gray) counts.gray++;
      const s = p.first.resize.scale;
      if (p.first.resize.direction === 'down') expect(s >= 0.15 && s <= 1).toBe(true);
      if (p.first.resize.direction === 'up') expect(s >= 1 && s <= 1.5).toBe(true);
      if (p.first.noise.kind === 'gaussian') expect(p.first.noise.sigma >= 1 && p.first.noise.sigma <= 30).toBe(true);
      else expect(p.first.noise.scale >= 0.05 && p.first.noise.scale <= 3).toBe(true);
    }
    const near = (hits: number, prob: number) =>
      expect(Math.abs(hits / N - prob)).toBeLessThan(4 * Math.sqrt((prob * (1 - prob)) / N));
    near(counts.blur2, 0.8);
    near(counts.sinc, 0.8);
    near(counts.branch, 0.5);
    near(counts.up, 0.2);
    near(counts.down, 0.7);
    near(counts.keep, 0.1);
    near(counts.up2, 0.3);
    near(counts.keep2, 0.3);
    near(counts.gauss, 0.5);
    near(counts.gray, 0.4);
  });

  it('handles images smaller than the kernels (sizes floor at 1, reflect indices fold)', () => {
    const tiny = photo(3, 5);
    for (let seed = 0; seed < 6; seed++) {
      const { lq } = realEsrganDegradation(tiny, REALESRGAN_DEFAULTS, createRng(seed));
      expect(lq.shape).toEqual([1, 3, 1, 1]);
      expect(lq.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(codeformerDegradation(tiny, CODEFORMER_DEFAULTS, createRng(seed)).lq.shape).toEqual([1, 3, 3, 5]);
    }
  });

  it('rejects non-(1, 3, H, W) input', () => {
    expect(() =>
      realEsrganDegradation({ data: new Float32Array(64), shape: [1, 1, 8, 8] }, REALESRGAN_DEFAULTS, createRng(1)),
    ).toThrow(RangeError);
  });
});

describe('presets', () => {
  it('Real-ESRGAN defaults are the published table', () => {
    const d: RealEsrganConfig = REALESRGAN_DEFAULTS;
    expect(d.first.kernel.sizes).toEqual([7, 9, 11, 13, 15, 17, 19, 21]);
    expect(d.first.kernel.typeProbs).toEqual([0.45, 0.25, 0.12, 0.03, 0.12, 0.03]);
    expect([d.first.kernel.sincProb, d.second.kernel.sincProb, d.finalSincProb]).toEqual([0.1, 0.1, 0.8]);
    expect(d.first.kernel.sigmaRange).toEqual([0.2, 3]);
    expect(d.second.kernel.sigmaRange).toEqual([0.2, 1.5]);
    expect(d.first.resizeProbs).toEqual([0.2, 0.7, 0.1]);
    expect(d.second.resizeProbs).toEqual([0.3, 0.4, 0.3]);
    expect([d.first.noiseRange, d.second.noiseRange]).toEqual([
      [1, 30],
      [1, 25],
    ]);
    expect([d.first.poissonScaleRange, d.second.poissonScaleRange]).toEqual([
      [0.05, 3],
      [0.05, 2.5],
    ]);
    expect([d.first.jpegRange, d.second.jpegRange]).toEqual([
      [30, 95],
      [30, 95],
    ]);
    expect(d.second.blurProb).toBe(0.8);
    expect(STABLESR_MILD.second.blurProb).toBe(0.5);
    expect(STABLESR_MILD.second.kernel.sizes).toEqual([11]);
    expect(STABLESR_MILD.second.jpegRange).toEqual([60, 100]);
    expect(CODEFORMER_FACE_DEFAULTS.downsampleRange).toEqual([0.8, 8]);
  });
  it('presets are deeply frozen, and spreading them gives editable copies', () => {
    expect(Object.isFrozen(REALESRGAN_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(REALESRGAN_DEFAULTS.first.kernel.sizes)).toBe(true);
    expect(Object.isFrozen(STABLESR_MILD.second.kernel)).toBe(true);
    const mine = { ...REALESRGAN_DEFAULTS, scale: 2 };
    expect(mine.scale).toBe(2);
  });
});

describe('codeformerDegradation', () => {
  it('returns the HQ size by default and HQ / outputScale when asked, deterministically', () => {
    const a = codeformerDegradation(HQ, CODEFORMER_DEFAULTS, createRng(3));
    expect(a.lq.shape).toEqual([1, 3, 64, 80]);
    expect(a.params.kernel.size).toBe(41);
    expect(['iso', 'aniso']).toContain(a.params.kernel.type);
    expect(a.params.downsample.height).toBe(Math.floor(64 / a.params.downsample.factor));
    const b = codeformerDegradation(HQ, CODEFORMER_DEFAULTS, createRng(3));
    expect(bytes(a.lq).equals(bytes(b.lq))).toBe(true);
    expect(JSON.parse(JSON.stringify(a.params))).toEqual(b.params);
    const x4 = codeformerDegradation(HQ, { ...CODEFORMER_DEFAULTS, outputScale: 4 }, createRng(3));
    expect(x4.lq.shape).toEqual([1, 3, 16, 20]);
    const face = codeformerDegradation(HQ, CODEFORMER_FACE_DEFAULTS, createRng(4));
    expect(face.params.jpegQuality!).toBeGreaterThanOrEqual(60);
  });

  it('degrades: the LQ is further from the HQ than a mild JPEG alone', () => {
    const { lq } = codeformerDegradation(HQ, { ...CODEFORMER_DEFAULTS, downsampleRange: [6, 8] }, createRng(1));
    let se = 0;
    for (let i = 0; i < lq.data.length; i++) se += (lq.data[i] - HQ.data[i]) ** 2;
    expect(se / lq.data.length).toBeGreaterThan(1e-3);
  });
});
