import { combine } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { discreteVpTime } from './discrete-vp-time';
import type { Sampler, SamplerRun, SamplerSetup, StepPoint } from './types';

export interface DpmSolverPlusPlusOptions {
  /** Multistep order, 1 or 2. Default 2 (the reference's "dpm++_m2"). */
  readonly order?: 1 | 2;
  /**
   * Drop trailing schedule entries with lambda below this (reference: -5.1). Under zero
   * terminal SNR this removes 14 entries and stretches the time axis over 986 steps, as the
   * reference does; `null` uses the whole table. Default -5.1.
   */
  readonly lambdaClip?: number | null;
  /** Use first order on the last step when steps < 10 (reference behaviour). Default true. */
  readonly lowerOrderFinal?: boolean;
}

/** Solver times of a run: linspace(1, 1/N, steps + 1) (DPM-Solver's 'time_uniform'). */
export function dpmSolverTimes(totalN: number, steps: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`dpm-solver++: steps must be a positive integer, got ${steps}`);
  const out = new Float64Array(steps + 1);
  const end = 1 / totalN;
  for (let i = 0; i <= steps; i++) out[i] = 1 + (i * (end - 1)) / steps;
  out[steps] = end;
  return out;
}

/**
 * Multistep DPM-Solver++ (Lu et al. 2022) in data-prediction form with time-uniform steps
 * from t = 1 to t = 1/N over NoiseScheduleVP('discrete'). The network is fed the
 * (fractional) time (t - 1/N) * T. The run ends at alpha_bar(1/N) = alpha_bar[0], as the
 * reference. No noise is drawn.
 */
export function dpmSolverPlusPlusSampler(options: DpmSolverPlusPlusOptions = {}): Sampler {
  const order = options.order ?? 2;
  if (order !== 1 && order !== 2) throw new RangeError(`dpm-solver++: order must be 1 or 2, got ${order}`);
  const lowerOrderFinal = options.lowerOrderFinal ?? true;
  return {
    name: `dpm-solver++(${order}M)`,
    start(setup: SamplerSetup): SamplerRun {
      const trainingSteps = setup.schedule.alphasCumprod.length;
      const vp = discreteVpTime(
        setup.schedule.alphasCumprod,
        options.lambdaClip === undefined ? -5.1 : options.lambdaClip,
      );
      const steps = setup.steps;
      const ts = dpmSolverTimes(vp.totalN, steps);
      const modelTime = (t: number) => (t - 1 / vp.totalN) * trainingSteps;
      const timesteps = Array.from(ts.subarray(0, steps), modelTime);
      let prevX0: Tensor | null = null;
      let prevLambda = 0;
      return {
        timesteps,
        init: (noise) => noise,
        async step(x, i, predict) {
          const s = ts[i];
          const t = ts[i + 1];
          const at: StepPoint = {
            step: i,
            steps,
            timestep: timesteps[i],
            alphaBar: vp.alphaBar(s),
            alphaBarNext: vp.alphaBar(t),
          };
          const { x0 } = await predict(x, at);
          const lambdaS = vp.lambda(s);
          const h = vp.lambda(t) - lambdaS;
          const alphaT = Math.exp(vp.logAlpha(t));
          const ratio = vp.sigma(t) / vp.sigma(s);
          const phi1 = Math.expm1(-h);
          let stepOrder: number = i === 0 || prevX0 === null ? 1 : order;
          if (lowerOrderFinal && steps < 10) stepOrder = Math.min(stepOrder, steps - i);
          let out: Tensor;
          if (stepOrder === 1 || prevX0 === null) {
            // Lu et al. 2022 (DPM-Solver++) eq. 8, first order: x_t = (sigma_t/sigma_s) x_s - alpha_t (e^-h - 1) x0_s.
            out = combine([ratio, -alphaT * phi1], [x, x0]);
          } else {
            // DPM-Solver++(2M), Algorithm 2: D = (1 + 1/(2r)) x0_s - 1/(2r) x0_prev, r = h_prev / h.
            const r = (lambdaS - prevLambda) / h;
            const c = 0.5 / r;
            out = combine([ratio, -alphaT * phi1 * (1 + c), alphaT * phi1 * c], [x, x0, prevX0]);
          }
          prevX0 = x0;
          prevLambda = lambdaS;
          return out;
        },
      };
    },
  };
}
