import { describe, expect, it } from 'vitest';
import { gaussianNoise } from '../random/noise';
import type { StepPoint } from '../samplers/types';
import type { Tensor } from '../tensor/tensor';
import { resolveGuidance } from './guidance-choice';
import type { VaeCodec } from './vae';

const noise = gaussianNoise(5);
const cleaned: Tensor = {
  data: Float32Array.from(noise.randn([1, 3, 16, 16]).data, (v) => 0.5 + 0.2 * v),
  shape: [1, 3, 16, 16],
};
const condition = noise.randn([1, 4, 2, 2]);
const x0 = noise.randn([1, 4, 2, 2]);
const point: StepPoint & { readonly x: Tensor } = {
  step: 0,
  steps: 10,
  timestep: 500,
  alphaBar: 0.3,
  alphaBarNext: 0.5,
  x: x0,
};
const unusedVae = {} as VaeCodec;
const distance = (t: Tensor) => Math.hypot(...t.data.map((v, i) => v - condition.data[i]));

describe('resolveGuidance (region-adaptive)', () => {
  it('caps the latent step at the condition by default; clampAtTarget: false is the unbounded reference step', async () => {
    const targets = { cleaned, condition, vae: unusedVae };
    const choice = { kind: 'region-adaptive', space: 'latent', scale: 50 } as const;
    const capped = await resolveGuidance(choice, targets)?.(x0, point);
    const reference = await resolveGuidance({ ...choice, clampAtTarget: false }, targets)?.(x0, point);
    if (!capped || !reference) throw new Error('no guidance');
    // 16 latent elements: the reference's k = 2 * 3000 * 50 * W / 16 / coef1 is far above 2 where W is not ~0.
    expect(distance(reference)).toBeGreaterThan(distance(x0));
    expect(distance(capped)).toBeLessThan(distance(x0));
  });

  it('refuses clampAtTarget in pixel space, where it would do nothing', () => {
    expect(() =>
      resolveGuidance(
        { kind: 'region-adaptive', space: 'pixel', scale: 1, clampAtTarget: true },
        { cleaned, condition, vae: unusedVae },
      ),
    ).toThrow(/latent' only/);
  });
});
