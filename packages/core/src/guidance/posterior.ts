/**
 * Coefficients of the DDPM posterior q(x_next | x_t, x0) for a step from alpha_bar `ab`
 * (the input's level) to `abNext` (the step's target level), for any step size.
 */
export interface GuidanceStepCoefficients {
  /** Weight of x0-hat in the posterior mean: sqrt(abNext) * beta / (1 - ab). */
  readonly coef1: number;
  /** Weight of x_t in the posterior mean: sqrt(ab / abNext) * (1 - abNext) / (1 - ab). */
  readonly coef2: number;
  /** Posterior ("fixed small") variance: beta * (1 - abNext) / (1 - ab). */
  readonly variance: number;
  /** Effective beta of the step: 1 - ab / abNext. */
  readonly beta: number;
}

/**
 * Posterior coefficients of one sampler step, in float64. A correction d added to x0-hat
 * moves the posterior mean by coef1 * d, which is how guidance written as "shift the mean
 * by delta" becomes an x0 correction (divide by coef1) that every sampler honours.
 */
export function guidanceStepCoefficients(ab: number, abNext: number): GuidanceStepCoefficients {
  if (!(ab > 0 && ab <= 1 && abNext > 0 && abNext <= 1)) {
    throw new RangeError(`guidanceStepCoefficients: alpha_bar values must lie in (0, 1], got ${ab} and ${abNext}`);
  }
  const beta = 1 - ab / abNext;
  // mean = sqrt(abNext) beta / (1 - ab) x0 + sqrt(alpha) (1 - abNext) / (1 - ab) x_t  (Ho et al. 2020, eq. 7)
  const oneMinus = 1 - ab;
  const coef1 = (Math.sqrt(abNext) * beta) / oneMinus;
  const coef2 = (Math.sqrt(ab / abNext) * (1 - abNext)) / oneMinus;
  const variance = (beta * (1 - abNext)) / oneMinus;
  return { coef1, coef2, variance, beta };
}
