import type { Tensor } from '../tensor/tensor';
import { broadcastReader } from './broadcast';

/** Value and analytic gradient of a guidance loss. */
export interface LossAndGradient {
  readonly loss: number;
  /** dloss/dpred, same shape as pred. */
  readonly gradient: Tensor;
}

/**
 * The reference's (weighted) MSE guidance loss, mean over C, H, W per sample and summed
 * over the batch: loss = sum_b mean_CHW(W (pred - target)^2), gradient
 * 2 W (pred - target) / (C H W). `target` and `weight` broadcast over batch (size 1) and,
 * for the weight, over channels; an absent weight is 1 everywhere.
 */
export function weightedMseLoss(pred: Tensor, target: Tensor, weight?: Tensor): LossAndGradient {
  if (pred.shape.length !== 4)
    throw new RangeError(`weightedMseLoss: pred must be NCHW, got [${pred.shape.join(', ')}]`);
  const tgt = broadcastReader(target, pred.shape, 'weightedMseLoss target');
  const wt = weight ? broadcastReader(weight, pred.shape, 'weightedMseLoss weight') : () => 1;
  const perSample = pred.shape[1] * pred.shape[2] * pred.shape[3];
  const g = new Float32Array(pred.data.length);
  let loss = 0;
  for (let i = 0; i < g.length; i++) {
    const d = pred.data[i] - tgt(i);
    const w = wt(i);
    loss += w * d * d;
    g[i] = (2 * w * d) / perSample;
  }
  return { loss: loss / perSample, gradient: { data: g, shape: [...pred.shape] } };
}
