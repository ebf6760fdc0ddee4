import { describe, expect, it } from 'vitest';
import { gaussianNoise } from '../random/noise';
import type { StepPoint } from '../samplers/types';
import type { Tensor } from '../tensor/tensor';
import { latentMseGuidance } from './latent-mse';
import { weightedMseLoss } from './mse-loss';
import { inGuidanceWindow } from './window';

const at = (timestep: number, alphaBar = 0.5, alphaBarNext = 0.55): StepPoint & { x: Tensor } => ({
  step: 0,
  steps: 1,
  timestep,
  alphaBar,
  alphaBarNext,
  x: { data: new Float32Array(2 * 4 * 3 * 5), shape: [2, 4, 3, 5] },
});

// Loss evaluated independently in float64: sum_b mean_CHW(W (p - c)^2).
function loss64(p: Float64Array, c: Float32Array, w: Float32Array | undefined, per: number): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const wi = w ? w[i % w.length] : 1;
    s += wi * (p[i] - c[i % c.length]) ** 2;
  }
  return s / per;
}

describe('weightedMseLoss gradient', () => {
  const noise = gaussianNoise(11);
  const pred = noise.randn([2, 4, 3, 5]);
  const target = noise.randn([1, 4, 3, 5]); // broadcast over batch
  const weight: Tensor = { data: noise.randn([1, 1, 3, 5]).data.map((v) => Math.abs(v)), shape: [1, 1, 3, 5] };
  it.each([
    ['unweighted', undefined],
    ['weighted', weight],
  ])('equals central finite differences (%s)', (_name, w) => {
    const { loss, gradient } = weightedMseLoss(pred, target, w);
    const per = 60;
    const wFull = w ? Float32Array.from({ length: 60 }, (_, i) => w.data[i % 15]) : undefined;
    const p = Float64Array.from(pred.data);
    expect(loss).toBeCloseTo(loss64(p, target.data, wFull, per), 5);
    const h = 1e-4;
    for (const i of [0, 7, 33, 59, 60, 97, 119]) {
      const up = Float64Array.from(p);
      const dn = Float64Array.from(p);
      up[i] += h;
      dn[i] -= h;
      const fd = (loss64(up, target.data, wFull, per) - loss64(dn, target.data, wFull, per)) / (2 * h);
      expect(gradient.data[i]).toBeCloseTo(fd, 6);
    }
  });
});

describe('latentMseGuidance', () => {
  const noise = gaussianNoise(5);
  const x0 = noise.randn([2, 4, 3, 5]);
  const c = noise.randn([2, 4, 3, 5]);

  it('moves x0 toward the target by (1 - 2 s / N)^repeat of the gap', async () => {
    const scale = 7;
    const repeat = 3;
    const out = await latentMseGuidance({ target: c, scale, repeat, tStart: 1001 })(x0, at(500));
    const shrink = (1 - (2 * scale) / 60) ** repeat;
    for (let i = 0; i < x0.data.length; i++) {
      expect(out.data[i] - c.data[i]).toBeCloseTo((x0.data[i] - c.data[i]) * shrink, 5);
    }
  });

  it('caps each step at the target by default; clampAtTarget: false overshoots as the reference does', async () => {
    // 2 s / N = 3: the reference's step carries x0 to c - 2 (x0 - c), past c and farther away.
    const scale = 90;
    const capped = await latentMseGuidance({ target: c, scale, repeat: 1, tStart: 1001 })(x0, at(500));
    const uncapped = await latentMseGuidance({ target: c, scale, repeat: 1, tStart: 1001, clampAtTarget: false })(
      x0,
      at(500),
    );
    for (let i = 0; i < x0.data.length; i++) {
      expect(capped.data[i]).toBeCloseTo(c.data[i], 6);
      expect(uncapped.data[i] - c.data[i]).toBeCloseTo(-2 * (x0.data[i] - c.data[i]), 4);
    }
  });

  it("with rescale 'posterior' divides the step by coef1 = sqrt(abNext) beta / (1 - ab)", async () => {
    const ab = 0.5;
    const abNext = 0.6;
    const coef1 = (Math.sqrt(abNext) * (1 - ab / abNext)) / (1 - ab);
    const out = await latentMseGuidance({ target: c, scale: 2, repeat: 1, tStart: 1001, rescale: 'posterior' })(
      x0,
      at(500, ab, abNext),
    );
    for (let i = 0; i < x0.data.length; i++) {
      expect(out.data[i]).toBeCloseTo(x0.data[i] - (((2 * 2) / 60) * (x0.data[i] - c.data[i])) / coef1, 5);
    }
  });

  it('runs only inside tStop < t + 1 < tStart (default: t + 1 < 200) and reports its losses', async () => {
    const losses: number[] = [];
    const g = latentMseGuidance({ target: c, scale: 10, onLoss: (l) => losses.push(l) });
    expect(await g(x0, at(199))).toBe(x0);
    expect(await g(x0, at(198))).not.toBe(x0);
    expect(losses).toHaveLength(5);
    for (let k = 1; k < 5; k++) expect(losses[k]).toBeLessThan(losses[k - 1]);
    expect(inGuidanceWindow(0, 1001, -1)).toBe(true);
    expect(inGuidanceWindow(-2, 1001, -1)).toBe(false);
    expect(inGuidanceWindow(5, 10, 5)).toBe(true);
    expect(inGuidanceWindow(4, 10, 5)).toBe(false);
    expect(inGuidanceWindow(999, 1001, -1)).toBe(true);
    expect(inGuidanceWindow(1000, 1001, -1)).toBe(false);
  });
});
