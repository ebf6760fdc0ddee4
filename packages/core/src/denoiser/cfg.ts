import { combine, concatBatch, splitBatch } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import type { Denoiser, DenoiserCondition } from './types';

export interface ClassifierFreeGuidanceOptions {
  /** Guidance scale s: out = uncond + s (cond - uncond). 1 = off (one call). */
  readonly scale: number;
  /**
   * The unconditional pass's condition (the negative prompt's context). Fields it leaves out
   * come from the conditional pass, so the control latent c is shared as in the reference.
   */
  readonly uncond: DenoiserCondition;
  /**
   * Ramp the scale with the timestep: s_t = 1 + s (1 - cos(pi ((T - t)/T)^5)) / 2 (only when
   * s > 1, as the reference). Default false.
   */
  readonly rescale?: boolean;
  /** T of the rescale ramp. Default 1000. */
  readonly trainingSteps?: number;
  /**
   * One network call on the batch concatenation of both passes instead of two calls
   * (conditional first). Default false.
   */
  readonly batched?: boolean;
  /**
   * Batch order in batched mode: the reference's DDIM uses 'cond-first', its DPM-Solver
   * 'uncond-first'. Only the order of rows in the call changes. Default 'cond-first'.
   */
  readonly batchOrder?: 'cond-first' | 'uncond-first';
}

/** The ramped guidance scale at training timestep t (s itself when s <= 1). */
export function rescaledGuidanceScale(scale: number, timestep: number, trainingSteps = 1000): number {
  if (!(scale > 1)) return scale;
  // DiffBIR's rescale_cfg: s_t = 1 + s (1 - cos(pi ((T - t) / T)^5)) / 2.
  return 1 + (scale * (1 - Math.cos(Math.PI * ((trainingSteps - timestep) / trainingSteps) ** 5))) / 2;
}

function mergeCondition(cond: DenoiserCondition, uncond: DenoiserCondition): DenoiserCondition {
  return {
    context: uncond.context ?? cond.context,
    control: uncond.control ?? cond.control,
    controlScales: uncond.controlScales ?? cond.controlScales,
  };
}

function sameScales(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((v, i) => v === b[i]);
}

function pair(a: Tensor | undefined, b: Tensor | undefined, what: string): Tensor | undefined {
  if (!a && !b) return undefined;
  if (!a || !b) throw new RangeError(`classifier-free guidance (batched): ${what} is given for one pass only`);
  return concatBatch([a, b]);
}

/**
 * Classifier-free guidance (Ho & Salimans 2022) as a Denoiser wrapper. Linear in the raw
 * output, so guiding epsilon, v or x0 predictions is the same as guiding the denoised
 * estimate. The scale-1 shortcut is decided from the base scale (as the reference's EDM
 * samplers), so a rescaled s_t of exactly 1 still makes both calls.
 */
export function withClassifierFreeGuidance(denoiser: Denoiser, options: ClassifierFreeGuidanceOptions): Denoiser {
  const { scale } = options;
  if (!Number.isFinite(scale)) throw new RangeError(`classifier-free guidance: scale must be finite, got ${scale}`);
  const trainingSteps = options.trainingSteps ?? 1000;
  const uncondFirst = options.batchOrder === 'uncond-first';
  return async (x, timestep, cond) => {
    if (scale === 1) return denoiser(x, timestep, cond);
    const s = options.rescale ? rescaledGuidanceScale(scale, timestep, trainingSteps) : scale;
    const un = mergeCondition(cond, options.uncond);
    let outCond: Tensor;
    let outUncond: Tensor;
    if (options.batched) {
      if (!sameScales(cond.controlScales, un.controlScales)) {
        throw new RangeError('classifier-free guidance (batched): both passes must use the same control scales');
      }
      const [first, second] = uncondFirst ? [un, cond] : [cond, un];
      const both: DenoiserCondition = {
        context: pair(first.context, second.context, 'context'),
        control: pair(first.control, second.control, 'control'),
        controlScales: cond.controlScales,
      };
      const out = await denoiser(concatBatch([x, x]), timestep, both);
      const b = x.shape[0];
      const [a, c] = splitBatch(out, [b, b]);
      [outCond, outUncond] = uncondFirst ? [c, a] : [a, c];
    } else {
      outCond = await denoiser(x, timestep, cond);
      outUncond = await denoiser(x, timestep, un);
    }
    return combine([1 - s, s], [outUncond, outCond]);
  };
}
