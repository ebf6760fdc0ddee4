import type { Denoiser, DenoiserCondition } from '../denoiser/types';
import type { Guidance } from '../guidance/types';
import type { NoiseSource } from '../random/noise';
import { epsilonFromX0, x0EpsilonFromPrediction } from '../schedules/prediction';
import type { NoiseSchedule } from '../schedules/types';
import { firstNonFinite } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { type AbortSignalLike, throwIfAborted } from '../util/abort';
import type { Prediction, Predictor, Sampler, StepPoint } from './types';

/** Reported after every sampler step. */
export interface SampleStepEvent {
  /** Step just finished, 0-based. */
  readonly step: number;
  readonly steps: number;
  /** Training timestep of the step's first model evaluation. */
  readonly timestep: number;
  /** x0 estimate of the step's first evaluation (after guidance), for previews. */
  readonly x0?: Tensor;
}

/** Thrown when the network returns NaN or Infinity. */
export class NonFiniteModelOutputError extends Error {
  override readonly name = 'NonFiniteModelOutputError';
  constructor(
    readonly step: number,
    readonly steps: number,
    readonly timestep: number,
    readonly index: number,
  ) {
    super(
      `the denoiser returned a non-finite value (element ${index}) at step ${step + 1}/${steps}, timestep ${timestep}; ` +
        'check the model bundle, its precision (fp16 overflow) and the prediction type of the schedule',
    );
  }
}

export interface SamplerLoopOptions {
  readonly sampler: Sampler;
  readonly schedule: NoiseSchedule;
  /** Requested steps; the run may use a different count (DDIM when steps does not divide T). */
  readonly steps: number;
  /** Every random draw: x_T first (unless `initial` is given), then the sampler's. */
  readonly noise: NoiseSource;
  /** Shape of x_T, e.g. [1, 4, h/8, w/8]; needed unless `initial` is given. */
  readonly shape?: readonly number[];
  /**
   * x_T on the VP scale (unit Gaussian noise for a plain start, or q_sample(c, T-1) for the
   * reference's 'cond' start point). Default: drawn from `noise`.
   */
  readonly initial?: Tensor;
  readonly signal?: AbortSignalLike;
  readonly onStep?: (event: SampleStepEvent) => void;
}

/** Runs a sampler against a Predictor (the model already in x0/eps form). */
export async function sampleWithPredictor(
  options: SamplerLoopOptions & { readonly predict: Predictor },
): Promise<Tensor> {
  const { sampler, schedule, steps, noise, signal, onStep, predict } = options;
  throwIfAborted(signal);
  const run = sampler.start({ schedule, steps, noise });
  let unit = options.initial;
  if (!unit) {
    if (!options.shape) throw new RangeError('sample: give either `shape` or `initial`');
    unit = noise.randn(options.shape);
  }
  let x = run.init(unit);
  const total = run.timesteps.length;
  for (let i = 0; i < total; i++) {
    throwIfAborted(signal);
    let first: Tensor | undefined;
    const recording: Predictor = async (xi, at) => {
      throwIfAborted(signal);
      const p = await predict(xi, at);
      first ??= p.x0;
      return p;
    };
    x = await run.step(x, i, recording);
    onStep?.({ step: i, steps: total, timestep: run.timesteps[i], x0: first });
  }
  return x;
}

export interface SampleOptions extends SamplerLoopOptions {
  /** The network (or a CFG / tiling wrapper of it). */
  readonly denoiser: Denoiser;
  /** Text context, control latent, control scales. Default {}. */
  readonly cond?: DenoiserCondition;
  /** Training-free guidance on x0-hat, applied at every evaluation. */
  readonly guidance?: Guidance;
}

/**
 * The Predictor of a denoiser: raw output -> (x0, eps) by the schedule's prediction type at
 * the sampler's alphaBar (not the table's: EDM samplers and DPM-Solver evaluate between
 * table entries), then guidance on x0 with eps recomputed from it.
 */
export function denoiserPredictor(
  denoiser: Denoiser,
  schedule: NoiseSchedule,
  cond: DenoiserCondition = {},
  guidance?: Guidance,
): Predictor {
  return async (x: Tensor, at: StepPoint): Promise<Prediction> => {
    const raw = await denoiser(x, at.timestep, cond);
    const bad = firstNonFinite(raw);
    if (bad >= 0) throw new NonFiniteModelOutputError(at.step, at.steps, at.timestep, bad);
    let { x0, eps } = x0EpsilonFromPrediction(raw, x, at.alphaBar, schedule.prediction);
    if (guidance) {
      x0 = await guidance(x0, { ...at, x });
      if (at.alphaBar < 1) eps = epsilonFromX0(x, x0, at.alphaBar);
    }
    return { x0, eps };
  };
}

/**
 * Samples with a denoiser: x_T from `initial` or `noise`, then the sampler's steps. Checks
 * the abort signal before every model evaluation and throws NonFiniteModelOutputError on a
 * NaN / Infinity network output.
 */
export async function sample(options: SampleOptions): Promise<Tensor> {
  const predict = denoiserPredictor(options.denoiser, options.schedule, options.cond, options.guidance);
  return sampleWithPredictor({ ...options, predict });
}
