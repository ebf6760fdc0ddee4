import { describe, expect, it } from 'vitest';
import { gaussianNoise } from '../random/noise';
import type { Tensor } from '../tensor/tensor';
import { AbortError } from '../util/abort';
import { runTiled, type TileBlend } from './pixel-tiles';
import type { TileLayout } from './windows';

const noise = gaussianNoise(5);
const maxDiff = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
};
const meanDiff = (a: Tensor, b: Tensor) => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]), 0) / a.data.length;

function upsampleNearest(x: Tensor, f: number): Tensor {
  const [b, c, h, w] = x.shape;
  const out = new Float32Array(b * c * h * f * w * f);
  for (let p = 0; p < b * c; p++)
    for (let y = 0; y < h * f; y++)
      for (let xx = 0; xx < w * f; xx++)
        out[(p * h * f + y) * w * f + xx] = x.data[(p * h + Math.floor(y / f)) * w + Math.floor(xx / f)];
  return { data: out, shape: [b, c, h * f, w * f] };
}

function avgPool(x: Tensor, f: number): Tensor {
  const [b, c, h, w] = x.shape;
  const oh = h / f;
  const ow = w / f;
  const out = new Float32Array(b * c * oh * ow);
  for (let p = 0; p < b * c; p++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        out[(p * oh + Math.floor(y / f)) * ow + Math.floor(xx / f)] += x.data[(p * h + y) * w + xx] / (f * f);
  return { data: out, shape: [b, c, oh, ow] };
}

// Largest step of the error field between neighbouring pixels: how visible a seam is.
function seamJump(a: Tensor, b: Tensor): number {
  const [bb, c, h, w] = a.shape;
  let m = 0;
  const e = (i: number) => a.data[i] - b.data[i];
  for (let p = 0; p < bb * c; p++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (p * h + y) * w + x;
        if (x + 1 < w) m = Math.max(m, Math.abs(e(i + 1) - e(i)));
        if (y + 1 < h) m = Math.max(m, Math.abs(e(i + w) - e(i)));
      }
  return m;
}

// Zero-padded (2r+1)^2 box blur, separable: a receptive field that tiles truncate.
function boxBlur(x: Tensor, r: number): Tensor {
  const [b, c, h, w] = x.shape;
  const tmp = new Float32Array(x.data.length);
  const out = new Float32Array(x.data.length);
  const n = 2 * r + 1;
  for (let p = 0; p < b * c; p++) {
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let s = 0;
        for (let d = -r; d <= r; d++) if (xx + d >= 0 && xx + d < w) s += x.data[(p * h + y) * w + xx + d];
        tmp[(p * h + y) * w + xx] = s / n;
      }
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let s = 0;
        for (let d = -r; d <= r; d++) if (y + d >= 0 && y + d < h) s += tmp[(p * h + y + d) * w + xx];
        out[(p * h + y) * w + xx] = s / n;
      }
  }
  return { data: out, shape: [...x.shape] };
}

// GroupNorm-like: normalise by the statistics of whatever the function is given (one
// group over all channels), then an affine map, as a VAE block does without synchronised stats.
function groupNormLike(x: Tensor): Tensor {
  let m = 0;
  for (const v of x.data) m += v;
  m /= x.data.length;
  let v2 = 0;
  for (const v of x.data) v2 += (v - m) ** 2;
  const sd = Math.sqrt(v2 / x.data.length + 1e-6);
  return { data: x.data.map((v) => ((v - m) / sd) * 0.25 + 0.5), shape: [...x.shape] };
}

// A smooth test image in [0, 1] (no edges): seams are easy to see on it.
function smoothImage(h: number, w: number): Tensor {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        data[(c * h + y) * w + x] = 0.5 + 0.3 * Math.sin(x / 37 + c) * Math.cos(y / 53) + 0.15 * (x / w) * (y / h);
  return { data, shape: [1, 3, h, w] };
}

describe('runTiled is exact for tile-local functions', () => {
  const image = noise.randn([2, 3, 70, 90]);
  it.each(['gaussian', 'feather', 'uniform'] as TileBlend[])('pointwise, scale 1 (%s)', async (weights) => {
    const f = async (t: Tensor): Promise<Tensor> => ({ data: t.data.map((v) => v * v + 0.1), shape: [...t.shape] });
    const out = await runTiled(image, f, { tile: 32, stride: 16, weights });
    expect(maxDiff(out, await f(image))).toBeLessThan(1e-6);
  });
  it('x4 "cleaner" (nearest upsampling), scale 4', async () => {
    const f = async (t: Tensor) => upsampleNearest(t, 4);
    const out = await runTiled(image, f, { tile: 32, stride: 20, scale: 4 });
    expect(out.shape).toEqual([2, 3, 280, 360]);
    expect(maxDiff(out, upsampleNearest(image, 4))).toBeLessThan(1e-6);
  });
  it('"encoder" (8x8 average pooling), scale 1/8, tiles aligned to 8', async () => {
    const img = noise.randn([1, 3, 136, 200]);
    const f = async (t: Tensor) => avgPool(t, 8);
    for (const layout of ['even', 'reference'] as TileLayout[]) {
      const out = await runTiled(img, f, { tile: 64, stride: 32, scale: 1 / 8, layout });
      expect(maxDiff(out, avgPool(img, 8))).toBeLessThan(1e-6);
    }
  });
  it('"decoder" (nearest upsampling), scale 8', async () => {
    const lat = noise.randn([1, 4, 17, 25]);
    const f = async (t: Tensor) => upsampleNearest(t, 8);
    const out = await runTiled(lat, f, { tile: 8, stride: 4, scale: 8 });
    expect(maxDiff(out, upsampleNearest(lat, 8))).toBeLessThan(1e-6);
  });
  it('rejects sizes that do not map to whole output pixels, and wrong tile outputs', async () => {
    const f = async (t: Tensor) => avgPool(t, 8);
    await expect(runTiled(noise.randn([1, 3, 68, 64]), f, { tile: 32, stride: 16, scale: 1 / 8 })).rejects.toThrow(
      /integer|multiple/,
    );
    await expect(runTiled(image, async (t) => t, { tile: 32, stride: 16, scale: 2 })).rejects.toThrow(/returned/);
  });
  it('reports progress and aborts', async () => {
    const seen: number[] = [];
    await runTiled(image, async (t) => t, { tile: 32, stride: 16, onTile: (p) => seen.push(p.index) });
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
    expect(seen.length).toBe(4 * 5); // rows 0,16,32,38; columns 0,15,29,44,58 (even layout)
    const signal = { aborted: true };
    await expect(runTiled(image, async (t) => t, { tile: 32, stride: 16, signal })).rejects.toBeInstanceOf(AbortError);
  });
});

describe('runTiled seam error on a smooth image (measured in docs/tiling.md)', () => {
  const image = smoothImage(200, 264); // VAE-like tiles at half scale: 128 px tiles, stride 64
  const opts = { tile: 128, stride: 64 };
  it('receptive field only (zero-padded 9x9 box blur): blending hides the truncated borders', async () => {
    const f = async (t: Tensor) => boxBlur(t, 4);
    const full = f(image);
    const err: Record<string, number> = {};
    for (const weights of ['gaussian', 'feather', 'uniform'] as TileBlend[]) {
      err[weights] = maxDiff(await runTiled(image, f, { ...opts, weights }), await full);
    }
    expect(err.gaussian).toBeLessThan(1e-3);
    expect(err.feather).toBeLessThan(0.05);
    expect(err.uniform).toBeGreaterThan(0.05);
  });
  it('tile-wise normalisation (an unsynchronised GroupNorm) leaves errors no blend removes', async () => {
    const f = async (t: Tensor) => groupNormLike(boxBlur(t, 4));
    const full = await f(image);
    const tiled = await runTiled(image, f, { ...opts, weights: 'gaussian' });
    const hard = await runTiled(image, f, { ...opts, weights: 'uniform' });
    expect(meanDiff(tiled, full)).toBeGreaterThan(0.01);
    // ... but the Gaussian blend turns the step at each tile border into a smooth drift.
    expect(seamJump(tiled, full)).toBeLessThan(0.1 * seamJump(hard, full));
  });
});
