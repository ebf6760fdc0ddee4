/**
 * Where the Gaussian peaks: 'symmetric' puts it at (n - 1) / 2 on both axes; 'reference'
 * copies DiffBIR/StableSR, (W - 1) / 2 for x but H / 2 for y (half a pixel low).
 */
export type TileMidpoint = 'symmetric' | 'reference';

/** w(i) = exp(-(i - mid)^2 / n^2 / (2 * 0.01)) / sqrt(2 pi 0.01): a Gaussian of sigma 0.1 n (StableSR). */
export function gaussianWeights1d(n: number, mid: number): Float64Array {
  const variance = 0.01;
  const norm = 1 / Math.sqrt(2 * Math.PI * variance);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(-((i - mid) ** 2) / (n * n) / (2 * variance)) * norm;
  return out;
}

/**
 * Separable Gaussian blending weights of a height x width tile, row-major. Default
 * 'symmetric': the reference's y midpoint H / 2 is an off-by-half slip, not a design choice
 * (it skews every blend slightly downwards and breaks flip symmetry); 'reference' exists for
 * parity runs against the reference's outputs.
 */
export function gaussianTileWeights(height: number, width: number, midpoint: TileMidpoint = 'symmetric'): Float32Array {
  const wy = gaussianWeights1d(height, midpoint === 'reference' ? height / 2 : (height - 1) / 2);
  const wx = gaussianWeights1d(width, (width - 1) / 2);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = wy[y] * wx[x];
  return out;
}

/**
 * Feathered weights: a linear ramp over `ramp` pixels from each side, then flat,
 * w(i) = min(1, (min(i, n - 1 - i) + 1) / (ramp + 1)); ramp <= 0 gives all ones.
 */
export function featherTileWeights(height: number, width: number, ramp: number): Float32Array {
  const axis = (n: number) =>
    Float64Array.from({ length: n }, (_, i) => (ramp > 0 ? Math.min(1, (Math.min(i, n - 1 - i) + 1) / (ramp + 1)) : 1));
  const wy = axis(height);
  const wx = axis(width);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = wy[y] * wx[x];
  return out;
}
