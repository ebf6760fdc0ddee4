import type { LinearOperator } from './types';

/**
 * composeOperators(A, B, C) = A B C: C is applied first; the adjoint is C^T B^T A^T.
 */
export function composeOperators(...ops: LinearOperator[]): LinearOperator {
  if (ops.length === 0) throw new RangeError('composeOperators: need at least one operator');
  return {
    apply(x) {
      let y = x;
      for (let i = ops.length - 1; i >= 0; i--) y = ops[i].apply(y);
      return y;
    },
    adjoint(y) {
      let x = y;
      for (let i = 0; i < ops.length; i++) x = ops[i].adjoint(x);
      return x;
    },
    outputShape(shape) {
      let s = [...shape];
      for (let i = ops.length - 1; i >= 0; i--) s = ops[i].outputShape(s);
      return s;
    },
  };
}
