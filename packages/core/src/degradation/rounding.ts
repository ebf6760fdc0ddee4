/**
 * Round half to even, as `torch.round` and NumPy do (Math.round rounds halves up), so
 * 8-bit quantisation and JPEG coefficients match the reference on exact ties.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Quantise [0, 1] values to the 8-bit grid: clamp(round(255 x), 0, 255) / 255. */
export function quantize8bit(x: number): number {
  const v = roundHalfEven(x * 255);
  return (v < 0 ? 0 : Math.min(v, 255)) / 255;
}
