import { describe, expect, it } from 'vitest';
import type { Denoiser, DenoiserCondition } from '../denoiser/types';
import type { Guidance } from '../guidance/types';
import { gaussianNoise } from '../random/noise';
import { ldmLinearSchedule } from '../schedules/ldm-schedule';
import type { PredictionType } from '../schedules/types';
import { maxAbsDiff } from '../tensor/ops';
import { full, type Tensor } from '../tensor/tensor';
import { isAbortError } from '../util/abort';
import { gaussianDataDenoiser, gaussianDataPredictor } from './gaussian-oracle';
import { NonFiniteModelOutputError, type SampleStepEvent, sample, sampleWithPredictor } from './loop';
import { createSampler } from './registry';

const DATA = { mean: 0.5, std: 0.3 };
const shape = [1, 2, 4, 4];

describe('sample() with a denoiser', () => {
  for (const prediction of ['epsilon', 'v', 'x0'] as PredictionType[]) {
    for (const kind of ['ddim', 'spaced'] as const) {
      it(`converts ${prediction} outputs exactly like the x0/eps oracle (${kind})`, async () => {
        const schedule = ldmLinearSchedule({ prediction, zeroTerminalSnr: prediction === 'v' });
        const sampler = createSampler({ kind });
        const viaDenoiser = await sample({
          sampler,
          schedule,
          steps: 20,
          denoiser: gaussianDataDenoiser(DATA, schedule),
          noise: gaussianNoise(5),
          shape,
        });
        const viaPredictor = await sampleWithPredictor({
          sampler,
          schedule,
          steps: 20,
          predict: gaussianDataPredictor(DATA),
          noise: gaussianNoise(5),
          shape,
        });
        expect(maxAbsDiff(viaDenoiser, viaPredictor)).toBeLessThan(1e-5);
      });
    }
  }

  it('passes the condition through and draws x_T from the noise source first', async () => {
    const cond: DenoiserCondition = { context: full([1, 3, 8], 1) };
    const seen: unknown[] = [];
    const denoiser: Denoiser = async (x, _t, c) => {
      seen.push(c);
      return full(x.shape, 0);
    };
    const schedule = ldmLinearSchedule();
    const xT = gaussianNoise(11).randn(shape);
    const firstInputs: Tensor[] = [];
    await sample({
      sampler: createSampler({ kind: 'ddim' }),
      schedule,
      steps: 4,
      denoiser: async (x, t, c) => {
        if (firstInputs.length === 0) firstInputs.push(x);
        return denoiser(x, t, c);
      },
      cond,
      noise: gaussianNoise(11),
      shape,
    });
    expect(seen.every((c) => c === cond)).toBe(true);
    expect(maxAbsDiff(firstInputs[0], xT)).toBe(0);
  });

  it('applies guidance to x0 and recomputes eps from it', async () => {
    // One DDIM step from t = 1 to alpha_bar[0] with x0 forced to c: x' = sqrt(ab0) c + sqrt(1-ab0) (x - sqrt(ab1) c)/sqrt(1-ab1).
    const schedule = ldmLinearSchedule();
    const [ab0, ab1] = [schedule.alphasCumprod[0], schedule.alphasCumprod[1]];
    const c = 0.25;
    const points: { timestep: number; x: Tensor }[] = [];
    const guidance: Guidance = async (x0, at) => {
      points.push({ timestep: at.timestep, x: at.x });
      return full(x0.shape, c);
    };
    const initial = gaussianNoise(2).randn(shape);
    const out = await sample({
      sampler: createSampler({ kind: 'ddim' }),
      schedule,
      steps: 1,
      denoiser: gaussianDataDenoiser(DATA, schedule),
      guidance,
      noise: gaussianNoise(3),
      initial,
    });
    expect(points).toHaveLength(1);
    expect(points[0].timestep).toBe(1);
    expect(points[0].x).toBe(initial);
    const expected = initial.data.map(
      (v) => Math.sqrt(ab0) * c + (Math.sqrt(1 - ab0) * (v - Math.sqrt(ab1) * c)) / Math.sqrt(1 - ab1),
    );
    expect(maxAbsDiff(out, { data: expected, shape })).toBeLessThan(1e-5);
  });

  it('reports every step with its timestep and x0 preview', async () => {
    const events: SampleStepEvent[] = [];
    const schedule = ldmLinearSchedule();
    await sample({
      sampler: createSampler({ kind: 'heun' }),
      schedule,
      steps: 5,
      denoiser: gaussianDataDenoiser(DATA, schedule),
      noise: gaussianNoise(1),
      shape,
      onStep: (e) => events.push(e),
    });
    expect(events.map((e) => e.step)).toEqual([0, 1, 2, 3, 4]);
    expect(events.map((e) => e.timestep)).toEqual([999, 799, 599, 399, 199]);
    expect(events.every((e) => e.steps === 5 && e.x0?.shape.join() === shape.join())).toBe(true);
  });

  it('stops with an AbortError between steps', async () => {
    const controller = new AbortController();
    const schedule = ldmLinearSchedule();
    let calls = 0;
    const run = sample({
      sampler: createSampler({ kind: 'euler' }),
      schedule,
      steps: 10,
      denoiser: async (x) => {
        calls++;
        return full(x.shape, 0);
      },
      noise: gaussianNoise(1),
      shape,
      signal: controller.signal,
      onStep: (e) => {
        if (e.step === 2) controller.abort();
      },
    });
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isAbortError(err)).toBe(true);
    expect(calls).toBe(3);
  });

  it('names step and timestep when the network returns NaN', async () => {
    const schedule = ldmLinearSchedule();
    const run = sample({
      sampler: createSampler({ kind: 'ddim' }),
      schedule,
      steps: 10,
      denoiser: async (x, t) => {
        const out = full(x.shape, 0);
        if (t === 701) out.data[5] = Number.NaN;
        return out;
      },
      noise: gaussianNoise(1),
      shape,
    });
    await expect(run).rejects.toBeInstanceOf(NonFiniteModelOutputError);
    await expect(run).rejects.toThrow(/step 3\/10, timestep 701/);
  });

  it('needs a shape or an initial tensor', async () => {
    const schedule = ldmLinearSchedule();
    await expect(
      sample({
        sampler: createSampler({ kind: 'ddim' }),
        schedule,
        steps: 10,
        denoiser: async (x) => x,
        noise: gaussianNoise(1),
      }),
    ).rejects.toThrow(/shape/);
  });
});
