import type { Tensor } from '../tensor/tensor';
import { roundHalfEven } from './rounding';

/**
 * JPEG compression simulated as in basicsr's DiffJPEG (non-differentiable mode), so float
 * qualities work and no codec is needed.
 *
 * Pixel convention: RGB in [0, 1] is scaled to [0, 255] before the colour transform; the
 * DCT sees each 8x8 block minus 128; the decoded RGB is clamped to [0, 255] and divided by 255.
 */

/** Standard (ITU-T T.81 Annex K) luma table, row = vertical frequency. */
const STANDARD_LUMA_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51,
  87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101,
  72, 92, 95, 98, 112, 100, 103, 99,
];

/** Standard chroma table (symmetric, so its orientation does not matter). */
const STANDARD_CHROMA_TABLE = (() => {
  const top = [17, 18, 24, 47, 18, 21, 26, 66, 24, 26, 56, 99, 47, 66, 99, 99];
  const t = new Array<number>(64).fill(99);
  for (let u = 0; u < 4; u++) for (let v = 0; v < 4; v++) t[u * 8 + v] = top[u * 4 + v];
  return t;
})();

/**
 * The luma table DiffJPEG actually uses: the standard one transposed (its `y_table` is built
 * with `.T`), so entry [u][v] (u vertical, v horizontal frequency) is standard[v][u].
 * Kept for fidelity to the degradations the published models were trained on.
 */
export const JPEG_LUMA_TABLE: readonly number[] = Array.from(
  { length: 64 },
  (_, i) => STANDARD_LUMA_TABLE[(i % 8) * 8 + Math.floor(i / 8)],
);
export const JPEG_CHROMA_TABLE: readonly number[] = STANDARD_CHROMA_TABLE;

/** Quality (float, > 0) to table multiplier: (q < 50 ? 5000 / q : 200 - 2q) / 100. */
export function jpegQualityFactor(quality: number): number {
  if (!(quality > 0) || quality > 100) throw new RangeError(`JPEG quality must be in (0, 100], got ${quality}`);
  return (quality < 50 ? 5000 / quality : 200 - 2 * quality) / 100;
}

/** Options of {@link jpegCompress}. */
export interface JpegOptions {
  /**
   * How the image is padded to a multiple of 16 before block coding: 'zero' (default, as
   * DiffJPEG's `F.pad(..., value=0)`) or 'replicate' (edge pixels, as a real encoder's
   * MCU padding; avoids dark bleed into the last blocks).
   */
  pad?: 'zero' | 'replicate';
}

/**
 * Scaled quantisation table: `table * factor`, kept in floating point like DiffJPEG (no
 * rounding), floored at 1 so q -> 100 (factor -> 0) divides by 1 as libjpeg's clipping does
 * instead of by 0. The floor only acts for q > 95 (smallest entry 10, factor < 0.1).
 */
export function scaledJpegTable(table: readonly number[], quality: number): Float64Array {
  const factor = jpegQualityFactor(quality);
  return Float64Array.from(table, (t) => Math.max(1, t * factor));
}

/** DCT-II basis with JPEG's normalisation: A[u][x] = alpha(u)/2 cos((2x + 1) u pi / 16). */
const DCT_BASIS = (() => {
  const a = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    const alpha = u === 0 ? Math.SQRT1_2 : 1;
    for (let x = 0; x < 8; x++) a[u * 8 + x] = (alpha / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  return a;
})();

/**
 * Quantises one plane (height, width multiples of 8) in place: per 8x8 block,
 * F = A (f - 128) A^T, F_q = round(F / T) T, f = A^T F_q A + 128.
 */
function codePlane(plane: Float64Array, height: number, width: number, table: Float64Array): void {
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  const A = DCT_BASIS;
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[(by + y) * width + bx + x] - 128;
      }
      // tmp = A block  (transform columns: tmp[u][x] = sum_y A[u][y] block[y][x])
      for (let u = 0; u < 8; u++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let y = 0; y < 8; y++) s += A[u * 8 + y] * block[y * 8 + x];
          tmp[u * 8 + x] = s;
        }
      }
      // coefficients F[u][v] = sum_x tmp[u][x] A[v][x], quantised and dequantised
      for (let u = 0; u < 8; u++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let x = 0; x < 8; x++) s += tmp[u * 8 + x] * A[v * 8 + x];
          const q = table[u * 8 + v];
          block[u * 8 + v] = roundHalfEven(s / q) * q;
        }
      }
      // inverse: tmp[u][x] = sum_v F[u][v] A[v][x]; f[y][x] = sum_u A[u][y] tmp[u][x] + 128
      for (let u = 0; u < 8; u++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let v = 0; v < 8; v++) s += block[u * 8 + v] * A[v * 8 + x];
          tmp[u * 8 + x] = s;
        }
      }
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let u = 0; u < 8; u++) s += A[u * 8 + y] * tmp[u * 8 + x];
          plane[(by + y) * width + bx + x] = s + 128;
        }
      }
    }
  }
}

/**
 * JPEG round trip of an RGB batch (N, 3, H, W) in [0, 1] at float quality in (0, 100]
 * (one quality for the whole batch). Steps: scale to [0, 255]; pad to a multiple of 16;
 * RGB -> YCbCr (JFIF full range); 4:2:0 chroma by 2x2 averaging; per 8x8 block DCT-II of
 * (value - 128), quantise with round-half-even against the quality-scaled tables, dequantise,
 * inverse DCT, + 128; nearest 2x chroma upsampling; YCbCr -> RGB; clamp to [0, 255];
 * crop; divide by 255.
 */
export function jpegCompress(image: Tensor, quality: number, options: JpegOptions = {}): Tensor {
  if (image.shape.length !== 4 || image.shape[1] !== 3) {
    throw new RangeError(`jpegCompress: expected (N, 3, H, W), got [${image.shape.join(', ')}]`);
  }
  const [n, , h, w] = image.shape;
  const replicate = (options.pad ?? 'zero') === 'replicate';
  const lumaTable = scaledJpegTable(JPEG_LUMA_TABLE, quality);
  const chromaTable = scaledJpegTable(JPEG_CHROMA_TABLE, quality);
  const H = Math.ceil(h / 16) * 16;
  const W = Math.ceil(w / 16) * 16;
  const ch = H / 2;
  const cw = W / 2;
  const plane = h * w;
  const src = image.data;
  const out = new Float32Array(src.length);
  const Y = new Float64Array(H * W);
  const fullCb = new Float64Array(H * W);
  const fullCr = new Float64Array(H * W);
  const Cb = new Float64Array(ch * cw);
  const Cr = new Float64Array(ch * cw);
  for (let b = 0; b < n; b++) {
    const o = b * 3 * plane;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let r = 0;
        let g = 0;
        let bl = 0;
        if ((y < h && x < w) || replicate) {
          const i = o + Math.min(y, h - 1) * w + Math.min(x, w - 1);
          r = src[i] * 255;
          g = src[i + plane] * 255;
          bl = src[i + 2 * plane] * 255;
        }
        const p = y * W + x;
        Y[p] = 0.299 * r + 0.587 * g + 0.114 * bl;
        fullCb[p] = -0.168736 * r - 0.331264 * g + 0.5 * bl + 128;
        fullCr[p] = 0.5 * r - 0.418688 * g - 0.081312 * bl + 128;
      }
    }
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const p = 2 * y * W + 2 * x;
        Cb[y * cw + x] = (fullCb[p] + fullCb[p + 1] + fullCb[p + W] + fullCb[p + W + 1]) / 4;
        Cr[y * cw + x] = (fullCr[p] + fullCr[p + 1] + fullCr[p + W] + fullCr[p + W + 1]) / 4;
      }
    }
    codePlane(Y, H, W, lumaTable);
    codePlane(Cb, ch, cw, chromaTable);
    codePlane(Cr, ch, cw, chromaTable);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const luma = Y[y * W + x];
        const c = (y >> 1) * cw + (x >> 1);
        const cb = Cb[c] - 128;
        const cr = Cr[c] - 128;
        const i = o + y * w + x;
        out[i] = clamp255(luma + 1.402 * cr) / 255;
        out[i + plane] = clamp255(luma - 0.344136 * cb - 0.714136 * cr) / 255;
        out[i + 2 * plane] = clamp255(luma + 1.772 * cb) / 255;
      }
    }
  }
  return { data: out, shape: [...image.shape] };
}

function clamp255(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}
