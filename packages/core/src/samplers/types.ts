import type { NoiseSource } from '../random/noise';
import type { NoiseSchedule } from '../schedules/types';
import type { Tensor } from '../tensor/tensor';

/** Where in the trajectory a model evaluation happens. */
export interface StepPoint {
  /** Sampler step this evaluation belongs to, 0-based. */
  readonly step: number;
  /** Total number of sampler steps. */
  readonly steps: number;
  /** Training timestep index fed to the network (may be fractional). */
  readonly timestep: number;
  /** alpha_bar of the input: x = sqrt(ab) x0 + sqrt(1-ab) eps (1/(1+sigma^2) for EDM samplers). */
  readonly alphaBar: number;
  /** alpha_bar the current step moves to (1 when it ends on clean data; DDIM and DPM-Solver end at alpha_bar[0]). */
  readonly alphaBarNext: number;
}

/** Clean-sample and noise estimates for one evaluation. */
export interface Prediction {
  readonly x0: Tensor;
  readonly eps: Tensor;
}

/**
 * The model as a sampler calls it: VP-scaled input and where it is. The sampling loop
 * builds it from a Denoiser, the schedule's prediction type and the guidance hook, so
 * samplers never see prediction types, CFG or guidance.
 */
export type Predictor = (x: Tensor, at: StepPoint) => Promise<Prediction>;

export interface SamplerSetup {
  readonly schedule: NoiseSchedule;
  readonly steps: number;
  /** Every random draw of the run comes from here. */
  readonly noise: NoiseSource;
}

/** One sampling run: the state a multistep sampler keeps lives in here. */
export interface SamplerRun {
  /** Training timesteps of the steps' first evaluations, in order. */
  readonly timesteps: readonly number[];
  /** Starting sample in the sampler's own parameterisation, from unit Gaussian noise. */
  init(noise: Tensor): Tensor;
  /** Advance from step i to step i + 1; may call predict more than once. */
  step(x: Tensor, i: number, predict: Predictor): Promise<Tensor>;
}

/** A sampler: a name and a factory of runs. A new sampler is one file implementing this. */
export interface Sampler {
  readonly name: string;
  start(setup: SamplerSetup): SamplerRun;
}
