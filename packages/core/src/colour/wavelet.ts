import { imageDims } from '../image/shape';
import { sameShape, type Tensor } from '../tensor/tensor';

export interface WaveletOptions {
  /** Number of à-trous levels; level i blurs with dilation 2^i. Default 5 (dilations 1..16). */
  readonly levels?: number;
}

/** Frequency split of an image: `image = high + low`. */
export interface WaveletBands {
  /** Sum of the detail bands, `image - low`. */
  readonly high: Tensor;
  /** The image after all blur levels. */
  readonly low: Tensor;
}

/** One 1-D pass of [1, 2, 1] / 4 with dilation r along an axis, indices clamped (replicate padding). */
function blurAxis(
  src: Float32Array,
  planes: number,
  h: number,
  w: number,
  r: number,
  horizontal: boolean,
): Float32Array {
  const out = new Float32Array(src.length);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let y = 0; y < h; y++) {
      const row = base + y * w;
      if (horizontal) {
        // clamped index only near the borders; the interior runs without branches
        const inner0 = Math.min(r, w);
        const inner1 = Math.max(w - r, inner0);
        for (let x = 0; x < w; x++) {
          if (x === inner0 && inner1 > inner0) {
            for (; x < inner1; x++) {
              out[row + x] = 0.25 * src[row + x - r] + 0.5 * src[row + x] + 0.25 * src[row + x + r];
            }
            if (x >= w) break;
          }
          const l = Math.max(x - r, 0);
          const rr = Math.min(x + r, w - 1);
          out[row + x] = 0.25 * src[row + l] + 0.5 * src[row + x] + 0.25 * src[row + rr];
        }
      } else {
        const up = base + Math.max(y - r, 0) * w;
        const down = base + (y + r >= h ? h - 1 : y + r) * w;
        for (let x = 0; x < w; x++) out[row + x] = 0.25 * src[up + x] + 0.5 * src[row + x] + 0.25 * src[down + x];
      }
    }
  }
  return out;
}

/**
 * Depthwise 3x3 blur with kernel [[1,2,1],[2,4,2],[1,2,1]] / 16, dilation `radius`, replicate
 * padding `radius` (the reference's `wavelet_blur`), done as two exact separable passes.
 */
export function waveletBlur(image: Tensor, radius: number): Tensor {
  if (!Number.isInteger(radius) || radius < 1) throw new RangeError(`waveletBlur: radius must be a positive integer`);
  const { n, c, h, w } = imageDims(image, 'waveletBlur input');
  const planes = n * c;
  const data = blurAxis(blurAxis(image.data, planes, h, w, radius, true), planes, h, w, radius, false);
  return { data, shape: [...image.shape] };
}

/** Splits an image into low frequencies (blurred at dilations 1, 2, 4, ...) and the rest. */
export function waveletDecompose(image: Tensor, options: WaveletOptions = {}): WaveletBands {
  const levels = options.levels ?? 5;
  if (!Number.isInteger(levels) || levels < 1) throw new RangeError(`waveletDecompose: levels must be >= 1`);
  let low = image;
  for (let i = 0; i < levels; i++) low = waveletBlur(low, 2 ** i);
  const high = new Float32Array(image.data.length);
  for (let k = 0; k < high.length; k++) high[k] = image.data[k] - low.data[k];
  return { high: { data: high, shape: [...image.shape] }, low };
}

/**
 * Wavelet colour fix (diffbir-inference.md section 8): keep the image's detail bands and take
 * the low frequencies (colour, shading) from the reference, usually the stage-1 output.
 */
export function waveletColourFix(image: Tensor, reference: Tensor, options: WaveletOptions = {}): Tensor {
  if (!sameShape(image.shape, reference.shape)) {
    throw new RangeError(
      `waveletColourFix: image [${image.shape.join(', ')}] and reference [${reference.shape.join(', ')}] differ`,
    );
  }
  // out = x - low(x) + low(ref)
  const { high } = waveletDecompose(image, options);
  const { low } = waveletDecompose(reference, options);
  const out = high.data;
  for (let k = 0; k < out.length; k++) out[k] += low.data[k];
  return { data: out, shape: [...image.shape] };
}
