import type { Tensor } from '../tensor/tensor';
import { expectChannels } from './shape';

// ITU-R BT.601 luma and chroma rows as BasicSR writes them: RGB in [0,1] -> YCbCr in [0,255].
const Y_ROW = [65.481, 128.553, 24.966] as const;
const CB_ROW = [-37.797, -74.203, 112.0] as const;
const CR_ROW = [112.0, -93.786, -18.214] as const;
const OFFSET = [16, 128, 128] as const;

/** Y = 16 + 65.481 R + 128.553 G + 24.966 B for R, G, B in [0,1]; Y in [16, 235]. */
export function lumaY(r: number, g: number, b: number): number {
  return 16 + Y_ROW[0] * r + Y_ROW[1] * g + Y_ROW[2] * b;
}

function mapPixels(t: Tensor, outChannels: number, f: (px: Float64Array, out: Float64Array) => void): Tensor {
  const { n, c, h, w } = expectChannels(t, 3, 'colour conversion input');
  const hw = h * w;
  const out = new Float32Array(n * outChannels * hw);
  const px = new Float64Array(c);
  const res = new Float64Array(outChannels);
  for (let b = 0; b < n; b++) {
    const src = b * c * hw;
    const dst = b * outChannels * hw;
    for (let i = 0; i < hw; i++) {
      for (let k = 0; k < c; k++) px[k] = t.data[src + k * hw + i];
      f(px, res);
      for (let k = 0; k < outChannels; k++) out[dst + k * hw + i] = res[k];
    }
  }
  return { data: out, shape: [n, outChannels, h, w] };
}

/** Gray = 0.2989 R + 0.5870 G + 0.1140 B (the guidance weight map's formula); (N,3,H,W) -> (N,1,H,W). */
export function rgbToGray(t: Tensor): Tensor {
  return mapPixels(t, 1, (p, o) => {
    o[0] = 0.2989 * p[0] + 0.587 * p[1] + 0.114 * p[2];
  });
}

/** BT.601 luma as BasicSR's metrics use it: (N,3,H,W) RGB in [0,1] -> (N,1,H,W) Y in [0,255] (16..235). */
export function rgbToY(t: Tensor): Tensor {
  return mapPixels(t, 1, (p, o) => {
    o[0] = lumaY(p[0], p[1], p[2]);
  });
}

/**
 * Full BT.601 RGB -> YCbCr (BasicSR's `rgb2ycbcr`), both sides in [0,1] units:
 * `[Y, Cb, Cr] = (offset + M * rgb) / 255` with Y in [16/255, 235/255].
 */
export function rgbToYCbCr(t: Tensor): Tensor {
  return mapPixels(t, 3, (p, o) => {
    o[0] = (OFFSET[0] + Y_ROW[0] * p[0] + Y_ROW[1] * p[1] + Y_ROW[2] * p[2]) / 255;
    o[1] = (OFFSET[1] + CB_ROW[0] * p[0] + CB_ROW[1] * p[1] + CB_ROW[2] * p[2]) / 255;
    o[2] = (OFFSET[2] + CR_ROW[0] * p[0] + CR_ROW[1] * p[1] + CR_ROW[2] * p[2]) / 255;
  });
}

/** 3x3 inverse by cofactors; computed once so that the round trip is exact up to float rounding. */
function invert3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

const INVERSE = invert3([Y_ROW, CB_ROW, CR_ROW]);

/** Inverse of {@link rgbToYCbCr} (exact matrix inverse, not BasicSR's rounded `ycbcr2rgb` constants). */
export function yCbCrToRgb(t: Tensor): Tensor {
  return mapPixels(t, 3, (p, o) => {
    const y = p[0] * 255 - OFFSET[0];
    const cb = p[1] * 255 - OFFSET[1];
    const cr = p[2] * 255 - OFFSET[2];
    for (let k = 0; k < 3; k++) o[k] = INVERSE[k][0] * y + INVERSE[k][1] * cb + INVERSE[k][2] * cr;
  });
}
