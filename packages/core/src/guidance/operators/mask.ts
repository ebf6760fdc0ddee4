import type { Tensor } from '../../tensor/tensor';
import { broadcastReader } from '../broadcast';
import type { LinearOperator } from './types';

/**
 * A = diag(m): inpainting with a mask m (1 = known pixel, 0 = missing; soft values
 * allowed), (1 | B, 1 | C, H, W) broadcast over the input. Self-adjoint.
 */
export function maskOperator(mask: Tensor): LinearOperator {
  const multiply = (x: Tensor): Tensor => {
    const m = broadcastReader(mask, x.shape, 'maskOperator');
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] * m(i);
    return { data: out, shape: [...x.shape] };
  };
  return { apply: multiply, adjoint: multiply, outputShape: (s) => [...s] };
}
