import { describe, expect, it } from 'vitest';
import type { Denoiser, DenoiserCondition } from '../denoiser/types';
import { gaussianNoise } from '../random/noise';
import type { Tensor } from '../tensor/tensor';
import { AbortError } from '../util/abort';
import { type TileProgress, tiledDenoiser } from './tiled-denoiser';

const noise = gaussianNoise(77);
const maxDiff = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
};

// Per-pixel model: depends on x, the control at the same pixel, the timestep and the
// sample's context, and checks that tiles keep batch, context and control aligned.
const pointwise: Denoiser = async (x, t, cond) => {
  const [b, c, h, w] = x.shape;
  const ctx = cond.context!;
  const ctrl = cond.control!;
  expect(ctx.shape[0]).toBe(b);
  expect(ctrl.shape).toEqual([b, 2, h, w]);
  expect(cond.controlScales?.[0]).toBe(0.5);
  const per = ctx.shape[1] * ctx.shape[2];
  const out = new Float32Array(b * 3 * h * w);
  for (let n = 0; n < b; n++)
    for (let k = 0; k < 3; k++)
      for (let p = 0; p < h * w; p++)
        out[(n * 3 + k) * h * w + p] =
          0.5 * x.data[(n * c + (k % c)) * h * w + p] +
          0.25 * ctrl.data[(n * 2 + (k % 2)) * h * w + p] +
          0.001 * t +
          ctx.data[n * per];
  return { data: out, shape: [b, 3, h, w] };
};

// 3x3 box blur with zero padding: tiles see different borders than the full image.
const blur3: Denoiser = async (x) => {
  const [b, c, h, w] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let p = 0; p < b * c; p++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xc = xx + dx;
            if (yy >= 0 && yy < h && xc >= 0 && xc < w) s += x.data[(p * h + yy) * w + xc];
          }
        out[(p * h + y) * w + xx] = s / 9;
      }
  return { data: out, shape: [...x.shape] };
};

describe('tiledDenoiser', () => {
  const x = noise.randn([2, 4, 100, 75]);
  const cond: DenoiserCondition = {
    context: noise.randn([2, 3, 5]),
    control: noise.randn([2, 2, 100, 75]),
    controlScales: new Float32Array(13).fill(0.5),
  };

  it.each([
    ['64/32', { tile: 64, stride: 32 }],
    ['32/16, 3 tiles per call', { tile: 32, stride: 16, batchTiles: 3 }],
    ['40/24, reference midpoint, 4 per call', { tile: 40, stride: 24, midpoint: 'reference' as const, batchTiles: 4 }],
  ])('equals the untiled call for a per-pixel denoiser (%s)', async (_name, opts) => {
    const full = await pointwise(x, 321, cond);
    const tiled = await tiledDenoiser(pointwise, opts)(x, 321, cond);
    expect(maxDiff(tiled, full)).toBeLessThan(1e-5);
  });

  it('stays close to the untiled call for a denoiser with a receptive field', async () => {
    // Smooth field of magnitude ~1: each tile's zero-padded border is off by ~1/3 there.
    const smooth: Tensor = {
      data: Float32Array.from(
        { length: 1 * 1 * 96 * 130 },
        (_, i) => 1 + 0.5 * Math.sin((i % 130) / 17) * Math.cos(Math.floor(i / 130) / 23),
      ),
      shape: [1, 1, 96, 130],
    };
    const full = await blur3(smooth, 0, {});
    const reference = await tiledDenoiser(blur3, { layout: 'reference' })(smooth, 0, {});
    const even = await tiledDenoiser(blur3)(smooth, 0, {});
    const meanDiff = (a: Tensor) => a.data.reduce((s, v, i) => s + Math.abs(v - full.data[i]), 0) / a.data.length;
    // Even layout (default): every tile border lies near another tile's centre.
    expect(maxDiff(even, full)).toBeLessThan(1e-4);
    expect(meanDiff(even)).toBeLessThan(1e-6);
    // Reference layout, width 130: columns start 0, 32, 64, 66, so the border of the tile at 64
    // (column 127) is covered only by the tail of the tile at 66 and leaks ~20% of its error.
    expect(maxDiff(reference, full)).toBeLessThan(0.15);
    expect(meanDiff(reference)).toBeLessThan(1e-3);
    expect(maxDiff(reference, full)).toBeGreaterThan(100 * maxDiff(even, full));
  });

  it('passes an input that fits one tile straight through', async () => {
    let calls = 0;
    const counting: Denoiser = async (xx) => {
      calls++;
      return xx;
    };
    const small = noise.randn([1, 4, 64, 40]);
    expect(await tiledDenoiser(counting)(small, 0, {})).toBe(small);
    expect(calls).toBe(1);
  });

  it('reports every tile once, in order, and batches calls', async () => {
    let calls = 0;
    const seen: TileProgress[] = [];
    const counting: Denoiser = async (xx, t, c) => {
      calls++;
      return pointwise(xx, t, c);
    };
    const opts = {
      tile: 32,
      stride: 16,
      batchTiles: 5,
      layout: 'reference' as const,
      onTile: (p: TileProgress) => seen.push(p),
    };
    await tiledDenoiser(counting, opts)(x, 1, cond);
    // rows: starts 0,16,32,48,64,68 (6); cols: 0,16,32,43 (4)
    expect(seen.map((p) => p.index)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(seen.every((p) => p.count === 24)).toBe(true);
    expect(seen[23].window).toEqual({ top: 68, left: 43, height: 32, width: 32 });
    expect(calls).toBe(5);
  });

  it('rejects with AbortError when the signal fires between tiles', async () => {
    const signal = { aborted: false };
    const run = tiledDenoiser(pointwise, {
      tile: 32,
      stride: 16,
      signal,
      onTile: (p) => {
        if (p.index === 2) signal.aborted = true;
      },
    })(x, 1, cond);
    await expect(run).rejects.toBeInstanceOf(AbortError);
  });

  it('rejects a control latent that is not on the grid of x', async () => {
    const bad = { ...cond, control: noise.randn([2, 2, 50, 75]) };
    await expect(tiledDenoiser(pointwise)(x, 1, bad)).rejects.toThrow(/control/);
  });
});
