import { describe, expect, it } from 'vitest';
import { gaussianNoise } from '../random/noise';
import { maxAbsDiff } from '../tensor/ops';
import { full, type Tensor } from '../tensor/tensor';
import { rescaledGuidanceScale, withClassifierFreeGuidance } from './cfg';
import type { Denoiser, DenoiserCondition } from './types';

// An analytic "network": output = x * (1 + t/1000) + context mean per batch row + control,
// so conditional and unconditional passes differ and batch rows can be told apart.
function analytic(calls: { batch: number; cond: DenoiserCondition }[]): Denoiser {
  return async (x, t, cond) => {
    calls.push({ batch: x.shape[0], cond });
    const per = x.data.length / x.shape[0];
    const ctxPer = cond.context ? cond.context.data.length / cond.context.shape[0] : 0;
    const data = new Float32Array(x.data.length);
    for (let i = 0; i < data.length; i++) {
      const b = Math.floor(i / per);
      let c = 0;
      for (let k = 0; k < ctxPer; k++) c += cond.context!.data[b * ctxPer + k] / ctxPer;
      data[i] = x.data[i] * (1 + t / 1000) + c + (cond.control ? cond.control.data[i] : 0);
    }
    return { data, shape: [...x.shape] };
  };
}

const noise = gaussianNoise(4);
const x = noise.randn([2, 3, 4, 4]);
const cond: DenoiserCondition = { context: full([2, 5, 8], 0.7), control: noise.randn([2, 3, 4, 4]) };
const uncond: DenoiserCondition = { context: full([2, 5, 8], -0.2) };

async function raw(c: DenoiserCondition, t: number): Promise<Tensor> {
  return analytic([])(x, t, { ...cond, ...c });
}

describe('classifier-free guidance', () => {
  it('out = uncond + s (cond - uncond), the unconditional pass sharing the control latent', async () => {
    const calls: { batch: number; cond: DenoiserCondition }[] = [];
    const guided = withClassifierFreeGuidance(analytic(calls), { scale: 4, uncond });
    const out = await guided(x, 500, cond);
    const c = await raw({}, 500);
    const u = await raw({ context: uncond.context }, 500);
    const expected = { data: c.data.map((v, i) => u.data[i] + 4 * (v - u.data[i])), shape: c.shape };
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-5);
    expect(calls.map((k) => k.cond.context)).toEqual([cond.context, uncond.context]);
    expect(calls[1].cond.control).toBe(cond.control);
  });

  it.each(['cond-first', 'uncond-first'] as const)(
    'batched (%s) equals two calls, in one call of twice the batch',
    async (batchOrder) => {
      const callsA: { batch: number; cond: DenoiserCondition }[] = [];
      const callsB: { batch: number; cond: DenoiserCondition }[] = [];
      const two = withClassifierFreeGuidance(analytic(callsA), { scale: 6, uncond, rescale: true });
      const one = withClassifierFreeGuidance(analytic(callsB), {
        scale: 6,
        uncond,
        rescale: true,
        batched: true,
        batchOrder,
      });
      for (const t of [999, 500, 1])
        expect(maxAbsDiff(await two(x, t, cond), await one(x, t, cond))).toBeLessThan(1e-5);
      expect(callsA.map((c) => c.batch)).toEqual([2, 2, 2, 2, 2, 2]);
      expect(callsB.map((c) => c.batch)).toEqual([4, 4, 4]);
      const first = callsB[0].cond.context!.data[0];
      expect(first).toBeCloseTo(batchOrder === 'cond-first' ? 0.7 : -0.2, 6);
      expect(callsB[0].cond.control!.shape).toEqual([4, 3, 4, 4]);
    },
  );

  it('scale 1 makes a single conditional call', async () => {
    const calls: { batch: number; cond: DenoiserCondition }[] = [];
    const guided = withClassifierFreeGuidance(analytic(calls), { scale: 1, uncond, rescale: true, batched: true });
    const out = await guided(x, 999, cond);
    expect(calls).toHaveLength(1);
    expect(calls[0].cond).toBe(cond);
    expect(maxAbsDiff(out, await raw({}, 999))).toBe(0);
  });

  it('rescale: s_t = 1 + s (1 - cos(pi ((1000 - t)/1000)^5)) / 2, off for s <= 1', () => {
    // Closed-form values: ((1000 - t)/1000)^5 = 0.5^5 at t = 500, 1 at t = 0, 0.9^5 at t = 100.
    expect(rescaledGuidanceScale(8, 500)).toBeCloseTo(1 + 4 * (1 - Math.cos(Math.PI / 32)), 12);
    expect(rescaledGuidanceScale(8, 0)).toBeCloseTo(9, 12);
    expect(rescaledGuidanceScale(6, 100)).toBeCloseTo(1 + 3 * (1 - Math.cos(Math.PI * 0.59049)), 12);
    expect(rescaledGuidanceScale(6, 999)).toBeCloseTo(1, 12);
    expect(rescaledGuidanceScale(0.5, 0)).toBe(0.5);
  });

  it('rescaled guidance uses s_t for the combination', async () => {
    const guided = withClassifierFreeGuidance(analytic([]), { scale: 8, uncond, rescale: true });
    const c = await raw({}, 100);
    const u = await raw({ context: uncond.context }, 100);
    const s = 1 + 4 * (1 - Math.cos(Math.PI * 0.9 ** 5));
    const expected = { data: c.data.map((v, i) => u.data[i] + s * (v - u.data[i])), shape: c.shape };
    expect(maxAbsDiff(await guided(x, 100, cond), expected)).toBeLessThan(1e-5);
  });

  it('batched mode needs matching conditions', async () => {
    const guided = withClassifierFreeGuidance(analytic([]), {
      scale: 3,
      uncond: { controlScales: new Float32Array(13).fill(0.5) },
      batched: true,
    });
    await expect(guided(x, 10, cond)).rejects.toThrow(/control scales/);
    const noCtx = withClassifierFreeGuidance(analytic([]), { scale: 3, uncond: {}, batched: true });
    await expect(noCtx(x, 10, { control: cond.control })).resolves.toBeDefined();
  });
});
