/**
 * Continuous time over a discrete VP schedule, as DPM-Solver's NoiseScheduleVP('discrete'):
 * step n sits at t_n = (n + 1) / N and log(alpha_t) = 0.5 log(alpha_bar) is interpolated
 * piecewise-linearly in t (extrapolated linearly outside [1/N, 1]).
 */
export interface DiscreteVpTime {
  /** Entries kept after the lambda clip; t = 1 is step N - 1. */
  readonly totalN: number;
  /** Entries removed from the end by the lambda clip. */
  readonly clipped: number;
  logAlpha(t: number): number;
  /** alpha_bar(t) = exp(2 log alpha_t). */
  alphaBar(t: number): number;
  /** sigma_t = sqrt(1 - alpha_t^2). */
  sigma(t: number): number;
  /** Half log-SNR: lambda_t = log alpha_t - log sigma_t. */
  lambda(t: number): number;
}

/**
 * @param lambdaClip drop trailing entries whose lambda is below this value (the reference's
 *   numerical_clip_alpha, -5.1; under zero terminal SNR it drops 14 entries). `null` keeps
 *   the whole table (alpha_bar = 0 at the end is handled exactly: lambda = -Infinity).
 */
export function discreteVpTime(alphasCumprod: ArrayLike<number>, lambdaClip: number | null = -5.1): DiscreteVpTime {
  const full = Array.from(alphasCumprod, (ab) => 0.5 * Math.log(ab));
  const lambdaOf = (la: number) => la - 0.5 * Math.log(-Math.expm1(2 * la));
  let clipped = 0;
  if (lambdaClip !== null) {
    while (clipped < full.length && lambdaOf(full[full.length - 1 - clipped]) < lambdaClip) clipped++;
  }
  const ys = full.slice(0, full.length - clipped);
  const n = ys.length;
  if (n < 2) throw new RangeError('discreteVpTime: fewer than two schedule entries survive the lambda clip');
  const knot = (i: number) => (i + 1) / n;
  const logAlpha = (t: number): number => {
    // Segment k spans knots k and k + 1; the end segments extend linearly beyond the knots.
    const pos = t * n - 1;
    const k = Math.min(Math.max(Math.floor(pos), 0), n - 2);
    if (pos === k) return ys[k];
    if (pos === k + 1) return ys[k + 1];
    const x0 = knot(k);
    return ys[k] + ((t - x0) * (ys[k + 1] - ys[k])) / (knot(k + 1) - x0);
  };
  return {
    totalN: n,
    clipped,
    logAlpha,
    alphaBar: (t) => Math.exp(2 * logAlpha(t)),
    sigma: (t) => Math.sqrt(-Math.expm1(2 * logAlpha(t))),
    lambda: (t) => lambdaOf(logAlpha(t)),
  };
}
