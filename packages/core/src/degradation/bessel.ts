/**
 * Bessel function of the first kind, order one, for the circular low-pass (sinc) kernel.
 *
 * Two regimes, both evaluated in double precision:
 * - |x| <= 15: the power series; its largest term at x = 15 is ~7e4, so cancellation
 *   costs at most ~1e-11 absolute accuracy;
 * - |x| > 15: Hankel's asymptotic expansion, summed until its terms stop shrinking or
 *   fall below 1e-17 (the smallest term there is ~e^-30).
 */

const SERIES_LIMIT = 15;

function seriesJ1(x: number): number {
  // J1(x) = sum_k (-1)^k (x/2)^(2k+1) / (k! (k+1)!)   (Abramowitz & Stegun 9.1.10)
  const half = x / 2;
  const q = -half * half;
  let term = half;
  let sum = term;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * (k + 1));
    sum += term;
    if (Math.abs(term) < 1e-18 * Math.max(1, Math.abs(sum))) break;
  }
  return sum;
}

function asymptoticJ1(x: number): number {
  // J1(x) ~ sqrt(2/(pi x)) (P cos chi - Q sin chi), chi = x - 3pi/4   (A&S 9.2.5, 9.2.9-10, mu = 4)
  const mu = 4;
  let p = 1;
  let q = 0;
  let term = 1;
  let previous = Number.POSITIVE_INFINITY;
  for (let k = 1; k < 100; k++) {
    const odd = 2 * k - 1;
    term *= (mu - odd * odd) / (k * 8 * x);
    const magnitude = Math.abs(term);
    if (magnitude > previous) break;
    previous = magnitude;
    // Terms alternate between Q (odd k) and P (even k), each with sign (-1)^floor(k/2).
    const sign = Math.floor(k / 2) % 2 === 0 ? 1 : -1;
    if (k % 2 === 1) q += sign * term;
    else p += sign * term;
    if (magnitude < 1e-17) break;
  }
  const chi = x - 0.75 * Math.PI;
  return Math.sqrt(2 / (Math.PI * x)) * (p * Math.cos(chi) - q * Math.sin(chi));
}

/** J1(x) for any finite x (odd function), absolute error below ~1e-10. */
export function besselJ1(x: number): number {
  const ax = Math.abs(x);
  const value = ax <= SERIES_LIMIT ? seriesJ1(ax) : asymptoticJ1(ax);
  return x < 0 ? -value : value;
}
