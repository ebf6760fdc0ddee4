import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/schedules.json';
import { replayNoise } from '../random/noise';
import { ldmLinearSchedule } from '../schedules/ldm-schedule';
import type { Tensor } from '../tensor/tensor';
import { gaussianDataPredictor } from './gaussian-oracle';
import { sampleWithPredictor } from './loop';
import { createSampler, type SamplerSpec } from './registry';

// Final samples of an independent float64 NumPy implementation of each update rule
// (tools/fixtures/gen_schedules.py) on the exact Gaussian denoiser, with the same x_T and
// the same noise tensors in the same order.
const T = fixture.trajectories;
const CASES: [string, SamplerSpec, number][] = [
  ['spaced', { kind: 'spaced' }, T.steps],
  ['ddim', { kind: 'ddim' }, T.steps],
  ['ddim-eta1', { kind: 'ddim', eta: 1 }, T.steps],
  ['dpm-solver++', { kind: 'dpm-solver++' }, T.steps],
  ['dpm-solver++-6', { kind: 'dpm-solver++' }, 6],
  ['euler', { kind: 'euler' }, T.steps],
  ['euler-churn', { kind: 'euler', sChurn: 4, sTmax: 50, sNoise: 1.003 }, T.steps],
  ['heun', { kind: 'heun' }, T.steps],
  ['dpm2', { kind: 'dpm2' }, T.steps],
  ['euler-ancestral', { kind: 'euler-ancestral' }, T.steps],
  ['dpmpp-2m', { kind: 'dpmpp-2m' }, T.steps],
  ['dpmpp-2m-sde', { kind: 'dpmpp-2m-sde' }, T.steps],
  ['dpmpp-3m-sde', { kind: 'dpmpp-3m-sde' }, T.steps],
];
const SCHEDULES = [
  ['ldm', ldmLinearSchedule()],
  ['zeroSnr', ldmLinearSchedule({ prediction: 'v', zeroTerminalSnr: true })],
] as const;

const vec = (v: number[]): Tensor => ({ data: Float32Array.from(v), shape: [1, v.length] });

describe('sampler trajectories equal an independent NumPy implementation', () => {
  for (const [name, schedule] of SCHEDULES) {
    const ref = T[name];
    it.each(CASES)(`%s (${name})`, async (key, spec, steps) => {
      const expected = ref.final[key as keyof typeof ref.final];
      const noise = replayNoise(ref.noise.map(vec));
      const out = await sampleWithPredictor({
        sampler: createSampler(spec),
        schedule,
        steps,
        noise,
        initial: vec(ref.xT),
        predict: gaussianDataPredictor({ mean: T.mean, std: T.std }),
      });
      expect(noise.used).toBe(expected.draws);
      for (let i = 0; i < out.data.length; i++)
        expect(Math.abs(out.data[i] - expected.x[i]), `element ${i}`).toBeLessThan(2e-5);
    });
  }
});
