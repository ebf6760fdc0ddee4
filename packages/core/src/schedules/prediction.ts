import { combine } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import type { PredictionType } from './types';

// Conversions under x = sqrt(ab) x0 + sqrt(1-ab) eps and v = sqrt(ab) eps - sqrt(1-ab) x0
// (Salimans & Ho 2022, "Progressive Distillation", section 4 and appendix D).

function check(alphaBar: number): void {
  if (!(alphaBar >= 0 && alphaBar <= 1)) throw new RangeError(`alphaBar must be in [0, 1], got ${alphaBar}`);
}

/** x0 = (x - sqrt(1-ab) eps) / sqrt(ab); undefined at ab = 0 (pure noise carries no x0). */
export function x0FromEpsilon(x: Tensor, eps: Tensor, alphaBar: number): Tensor {
  check(alphaBar);
  if (alphaBar === 0)
    throw new RangeError(
      'x0FromEpsilon: alphaBar = 0 (zero SNR); an epsilon prediction cannot give x0 there, use v-prediction',
    );
  const a = Math.sqrt(alphaBar);
  return combine([1 / a, -Math.sqrt(1 - alphaBar) / a], [x, eps]);
}

/** eps = (x - sqrt(ab) x0) / sqrt(1-ab); undefined at ab = 1. */
export function epsilonFromX0(x: Tensor, x0: Tensor, alphaBar: number): Tensor {
  check(alphaBar);
  if (alphaBar === 1) throw new RangeError('epsilonFromX0: alphaBar = 1 (no noise); epsilon is undefined');
  const b = Math.sqrt(1 - alphaBar);
  return combine([1 / b, -Math.sqrt(alphaBar) / b], [x, x0]);
}

/** x0 = sqrt(ab) x - sqrt(1-ab) v. */
export function x0FromV(x: Tensor, v: Tensor, alphaBar: number): Tensor {
  check(alphaBar);
  return combine([Math.sqrt(alphaBar), -Math.sqrt(1 - alphaBar)], [x, v]);
}

/** eps = sqrt(ab) v + sqrt(1-ab) x. */
export function epsilonFromV(x: Tensor, v: Tensor, alphaBar: number): Tensor {
  check(alphaBar);
  return combine([Math.sqrt(alphaBar), Math.sqrt(1 - alphaBar)], [v, x]);
}

/** v = sqrt(ab) eps - sqrt(1-ab) x0. */
export function vFromX0Epsilon(x0: Tensor, eps: Tensor, alphaBar: number): Tensor {
  check(alphaBar);
  return combine([Math.sqrt(alphaBar), -Math.sqrt(1 - alphaBar)], [eps, x0]);
}

/** Clean-sample and noise estimates from a raw network output of the given type. */
export function x0EpsilonFromPrediction(
  raw: Tensor,
  x: Tensor,
  alphaBar: number,
  type: PredictionType,
): { x0: Tensor; eps: Tensor } {
  switch (type) {
    case 'epsilon':
      return { x0: x0FromEpsilon(x, raw, alphaBar), eps: raw };
    case 'v':
      return { x0: x0FromV(x, raw, alphaBar), eps: epsilonFromV(x, raw, alphaBar) };
    case 'x0':
      // At ab = 1 the noise is undefined and irrelevant: report zeros rather than NaN.
      return { x0: raw, eps: alphaBar === 1 ? combine([0], [raw]) : epsilonFromX0(x, raw, alphaBar) };
    default:
      throw new RangeError(`unknown prediction type '${type as string}'`);
  }
}

/** The raw network output of the given type that corresponds to (x0, eps). */
export function predictionFromX0Epsilon(x0: Tensor, eps: Tensor, alphaBar: number, type: PredictionType): Tensor {
  switch (type) {
    case 'epsilon':
      return eps;
    case 'v':
      return vFromX0Epsilon(x0, eps, alphaBar);
    case 'x0':
      return x0;
    default:
      throw new RangeError(`unknown prediction type '${type as string}'`);
  }
}
