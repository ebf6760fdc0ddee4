import { clone } from '../../tensor/tensor';
import type { LinearOperator } from './types';

/** A = I: denoising. */
export function identityOperator(): LinearOperator {
  return {
    apply: (x) => clone(x),
    adjoint: (y) => clone(y),
    outputShape: (s) => [...s],
  };
}
