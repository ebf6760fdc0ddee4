import type { Tensor } from '../../tensor/tensor';

/**
 * A known linear degradation A (y = A x + e) with its exact adjoint, so that
 * <A x, y> = <x, A^T y> for every x, y. Operators act on NCHW tensors.
 */
export interface LinearOperator {
  apply(x: Tensor): Tensor;
  adjoint(y: Tensor): Tensor;
  /** Shape of apply(x) for an x of the given shape (the adjoint maps it back). */
  outputShape(inputShape: readonly number[]): number[];
}
