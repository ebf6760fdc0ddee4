import type { Rng } from '../random/rng';

/**
 * Below this mean CDF inversion is used (a table of ~lambda + 10 sqrt(lambda) entries, and
 * exp(-lambda) must not underflow); at or above, Hörmann's PTRS. The degradations only
 * need lambda <= 256.
 */
export const POISSON_INVERSION_LIMIT = 500;

const LOG_FACTORIAL_TABLE_SIZE = 1024;
const logFactorialTable = (() => {
  const t = new Float64Array(LOG_FACTORIAL_TABLE_SIZE);
  for (let k = 2; k < LOG_FACTORIAL_TABLE_SIZE; k++) t[k] = t[k - 1] + Math.log(k);
  return t;
})();

/** log(k!) from a table below 1024, Stirling's series above (error < 1e-15 there). */
function logFactorial(k: number): number {
  if (k < LOG_FACTORIAL_TABLE_SIZE) return logFactorialTable[k];
  const n = k + 1;
  // lgamma(n) ~ (n - 1/2) log n - n + log(2 pi)/2 + 1/(12 n) - 1/(360 n^3)
  return (n - 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n) - 1 / (360 * n * n * n);
}

/** Draws Poisson variates of one fixed mean; constants are computed once per mean. */
export type PoissonSampler = (rng: Rng) => number;

/** Uniform in [0, 1) with 53 random bits (two 32-bit draws), so inversion reaches the far tail. */
function uniform53(rng: Rng): number {
  return ((rng.nextUint32() >>> 5) * 67108864 + (rng.nextUint32() >>> 6)) / 9007199254740992;
}

/**
 * Inversion of the tabulated CDF with a guide table (Chen & Asau): one 53-bit uniform per
 * draw and O(1) expected comparisons. The table runs past the mean until the pmf falls
 * below 1e-18, so the truncated tail is invisible at double precision.
 */
function inversionSampler(lambda: number): PoissonSampler {
  const cdf: number[] = [];
  let p = Math.exp(-lambda);
  let c = 0;
  for (let k = 0; ; k++) {
    c += p;
    cdf.push(c);
    if (k > lambda && p < 1e-18) break;
    p *= lambda / (k + 1);
  }
  // Normalising by the summed mass removes the rounding deficit of the running sum.
  const table = Float64Array.from(cdf, (v) => v / c);
  const last = table.length - 1;
  const m = table.length;
  const guide = new Int32Array(m);
  let k = 0;
  for (let j = 0; j < m; j++) {
    while (k < last && table[k] <= j / m) k++;
    guide[j] = k;
  }
  return (rng) => {
    const u = uniform53(rng);
    let i = guide[Math.floor(u * m)];
    while (i < last && u >= table[i]) i++;
    return i;
  };
}

// Hörmann (1993), "The transformed rejection method for generating Poisson random variables" (PTRS).
function ptrsSampler(lambda: number): PoissonSampler {
  const logLambda = Math.log(lambda);
  const b = 0.931 + 2.53 * Math.sqrt(lambda);
  const a = -0.059 + 0.02483 * b;
  const logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
  const vr = 0.9277 - 3.6224 / (b - 2);
  return (rng) => {
    for (;;) {
      const u = uniform53(rng) - 0.5;
      const v = uniform53(rng);
      const us = 0.5 - Math.abs(u);
      if (us <= 0) continue;
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      const lhs = Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b);
      if (lhs <= -lambda + k * logLambda - logFactorial(k)) return k;
    }
  };
}

const zeroSampler: PoissonSampler = () => 0;

/**
 * A sampler of Poisson(lambda) on the seeded generator: inversion of the tabulated CDF for
 * lambda < 500, Hörmann's transformed rejection with squeeze (PTRS) at and above. Both are
 * exact samplers (no normal approximation) driven by 53-bit uniforms.
 */
export function poissonSampler(lambda: number): PoissonSampler {
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new RangeError(`Poisson mean must be finite and >= 0, got ${lambda}`);
  if (lambda === 0) return zeroSampler;
  return lambda < POISSON_INVERSION_LIMIT ? inversionSampler(lambda) : ptrsSampler(lambda);
}

/** One Poisson(lambda) draw (see {@link poissonSampler}). */
export function samplePoisson(rng: Rng, lambda: number): number {
  return poissonSampler(lambda)(rng);
}
