/**
 * Names of the beta schedules, as diffusers spells them:
 * - 'linear': betas = linspace(b0, b1, T);
 * - 'scaled_linear': betas = linspace(sqrt(b0), sqrt(b1), T)^2, which is what the LDM /
 *   Stable Diffusion code calls "linear" (see ldmLinearSchedule);
 * - 'cosine': Nichol & Dhariwal's squared-cosine alpha_bar, betas capped at 0.999.
 */
export type BetaScheduleKind = 'linear' | 'scaled_linear' | 'cosine';

export interface BetaScheduleOptions {
  /** Number of training steps T. Default 1000. */
  readonly steps?: number;
  /** First beta (linear kinds). Default 0.00085 (Stable Diffusion). */
  readonly betaStart?: number;
  /** Last beta (linear kinds). Default 0.012 (Stable Diffusion). */
  readonly betaEnd?: number;
}

function linspace(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = a;
    return out;
  }
  const step = (b - a) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = a + i * step;
  out[n - 1] = b;
  return out;
}

// Improved DDPM (Nichol & Dhariwal 2021) eq. 17: alpha_bar(t) = cos^2(((t/T + s)/(1 + s)) pi/2), s = 0.008.
function cosineAlphaBar(u: number): number {
  return Math.cos(((u + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
}

/** Betas of a named schedule, float64. */
export function betaSchedule(kind: BetaScheduleKind, options: BetaScheduleOptions = {}): Float64Array {
  const steps = options.steps ?? 1000;
  const b0 = options.betaStart ?? 0.00085;
  const b1 = options.betaEnd ?? 0.012;
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`betaSchedule: steps must be a positive integer, got ${steps}`);
  switch (kind) {
    case 'linear':
      return linspace(b0, b1, steps);
    case 'scaled_linear':
      return linspace(Math.sqrt(b0), Math.sqrt(b1), steps).map((v) => v * v);
    case 'cosine': {
      const out = new Float64Array(steps);
      for (let i = 0; i < steps; i++) {
        out[i] = Math.min(1 - cosineAlphaBar((i + 1) / steps) / cosineAlphaBar(i / steps), 0.999);
      }
      return out;
    }
    default:
      throw new RangeError(`betaSchedule: unknown kind '${kind as string}'`);
  }
}

/** alpha_bar = cumprod(1 - beta), float64. */
export function alphasCumprodFromBetas(betas: ArrayLike<number>): Float64Array {
  const out = new Float64Array(betas.length);
  let p = 1;
  for (let i = 0; i < betas.length; i++) {
    p *= 1 - betas[i];
    out[i] = p;
  }
  return out;
}

/** Inverse of alphasCumprodFromBetas: beta_t = 1 - ab_t / ab_{t-1} (ab_{-1} = 1). */
export function betasFromAlphasCumprod(alphasCumprod: ArrayLike<number>): Float64Array {
  const out = new Float64Array(alphasCumprod.length);
  let prev = 1;
  for (let i = 0; i < alphasCumprod.length; i++) {
    out[i] = 1 - alphasCumprod[i] / prev;
    prev = alphasCumprod[i];
  }
  return out;
}
