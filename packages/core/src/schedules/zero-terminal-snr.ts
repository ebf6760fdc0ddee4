/**
 * Rescales alpha_bar so the last step has zero SNR (alpha_bar[T-1] = 0 exactly) while
 * alpha_bar[0] is unchanged, as DiffBIR v2.1's base model was fine-tuned with.
 */
// Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1.
export function rescaleZeroTerminalSnr(alphasCumprod: ArrayLike<number>): Float64Array {
  const n = alphasCumprod.length;
  if (n < 2) throw new RangeError('rescaleZeroTerminalSnr: need at least two steps');
  const first = Math.sqrt(alphasCumprod[0]);
  const last = Math.sqrt(alphasCumprod[n - 1]);
  if (!(first > last)) throw new RangeError('rescaleZeroTerminalSnr: alpha_bar must decrease');
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = ((Math.sqrt(alphasCumprod[i]) - last) * first) / (first - last);
    out[i] = s * s;
  }
  return out;
}
