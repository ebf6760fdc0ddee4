import { describe, expect, it } from 'vitest';
import { replayNoise } from '../random/noise';
import { ldmLinearSchedule } from '../schedules/ldm-schedule';
import { full, type Tensor } from '../tensor/tensor';
import { gaussianDataPredictor } from './gaussian-oracle';
import { sampleWithPredictor } from './loop';
import { createSampler, type SamplerSpec } from './registry';
import type { Predictor } from './types';

// Draws per run of k steps (besides x_T, which the loop draws first when no `initial` is
// given) and model evaluations, as documented in docs/samplers.md. The reference pattern is
// kept on purpose: euler / heun / dpm2 draw every step even without churn, DDIM (eta 0) and
// the last spaced step draw noise that is multiplied by zero.
const CASES: [SamplerSpec, (k: number) => number, (k: number) => number][] = [
  [{ kind: 'spaced' }, (k) => k, (k) => k],
  [{ kind: 'ddim' }, (k) => k, (k) => k],
  [{ kind: 'ddim', eta: 1 }, (k) => k, (k) => k],
  [{ kind: 'dpm-solver++' }, () => 0, (k) => k],
  [{ kind: 'euler' }, (k) => k, (k) => k],
  [{ kind: 'euler-ancestral' }, (k) => k - 1, (k) => k],
  [{ kind: 'heun' }, (k) => k, (k) => 2 * k - 1],
  [{ kind: 'dpm2' }, (k) => k, (k) => 2 * k - 1],
  [{ kind: 'dpmpp-2m' }, () => 0, (k) => k],
  [{ kind: 'dpmpp-2m-sde' }, (k) => k - 1, (k) => k],
  [{ kind: 'dpmpp-2m-sde', eta: 0 }, () => 0, (k) => k],
  [{ kind: 'dpmpp-3m-sde' }, (k) => k - 1, (k) => k],
];

const schedule = ldmLinearSchedule();
const shape = [1, 4, 2, 2];

async function draws(spec: SamplerSpec, steps: number, available: number) {
  const tensors: Tensor[] = Array.from({ length: available }, () => full(shape, 0.1));
  const noise = replayNoise(tensors);
  const exact = gaussianDataPredictor({ mean: 0, std: 1 });
  let evaluations = 0;
  const predict: Predictor = (x, at) => {
    evaluations++;
    return exact(x, at);
  };
  await sampleWithPredictor({ sampler: createSampler(spec), schedule, steps, noise, shape, predict });
  return { used: noise.used, evaluations };
}

describe('noise draws and model evaluations per sampler', () => {
  it.each(CASES.map(([spec, d, e]) => [JSON.stringify(spec), spec, d, e] as const))(
    '%s',
    async (_name, spec, drawCount, evalCount) => {
      for (const k of [1, 2, 10]) {
        const expected = 1 + drawCount(k);
        const { used, evaluations } = await draws(spec, k, expected);
        expect(used, `k=${k}`).toBe(expected);
        expect(evaluations, `k=${k}`).toBe(evalCount(k));
        if (expected > 1) await expect(draws(spec, k, expected - 1)).rejects.toThrow(/replayNoise/);
      }
    },
  );
});
