import type { Tensor } from '../tensor/tensor';
import { type BlurKernel, separableFactors, trimKernel } from './kernels';

/**
 * Index into [0, n) under reflect padding without repeating the edge sample
 * (`F.pad(mode='reflect')`, OpenCV BORDER_REFLECT_101, SciPy 'mirror'). Offsets beyond one
 * image width fold again, so small images work where PyTorch would refuse.
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

function planesOf(image: Tensor): { planes: number; height: number; width: number } {
  const rank = image.shape.length;
  if (rank < 2) throw new RangeError(`filter: need at least 2 dimensions, got [${image.shape.join(', ')}]`);
  const height = image.shape[rank - 2];
  const width = image.shape[rank - 1];
  return { planes: height * width === 0 ? 0 : image.data.length / (height * width), height, width };
}

/** Copies one plane into a (height + 2r) x (width + 2r) reflect-padded buffer. */
function padPlane(
  src: Float32Array,
  offset: number,
  height: number,
  width: number,
  r: number,
  out: Float32Array,
): void {
  const pw = width + 2 * r;
  for (let py = 0; py < height + 2 * r; py++) {
    const srcRow = offset + reflectIndex(py - r, height) * width;
    const dstRow = py * pw;
    for (let px = 0; px < r; px++) out[dstRow + px] = src[srcRow + reflectIndex(px - r, width)];
    out.set(src.subarray(srcRow, srcRow + width), dstRow + r);
    for (let px = width + r; px < pw; px++) out[dstRow + px] = src[srcRow + reflectIndex(px - r, width)];
  }
}

/**
 * Direct 2-D correlation of a padded plane. Register-blocked: two output rows by four
 * output columns share every loaded input sample (row y + ki feeds output row y with kernel
 * row ki and output row y + 1 with kernel row ki - 1), which is ~4x faster in V8 than one
 * accumulator row updated per kernel tap. Sums are float64.
 */
function filterPlaneDirect(
  padded: Float32Array,
  height: number,
  width: number,
  k: number,
  kd: Float64Array,
  dst: Float32Array,
  dstOffset: number,
): void {
  const pw = width + k - 1;
  let y = 0;
  for (; y + 1 < height; y += 2) {
    let x = 0;
    for (; x + 3 < width; x += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      let b3 = 0;
      // input row y (kernel row 0 for output row y only)
      {
        const base = y * pw + x;
        let p0 = padded[base];
        let p1 = padded[base + 1];
        let p2 = padded[base + 2];
        for (let kj = 0; kj < k; kj++) {
          const p3 = padded[base + kj + 3];
          const w = kd[kj];
          a0 += w * p0;
          a1 += w * p1;
          a2 += w * p2;
          a3 += w * p3;
          p0 = p1;
          p1 = p2;
          p2 = p3;
        }
      }
      for (let ki = 1; ki < k; ki++) {
        const base = (y + ki) * pw + x;
        const ka = ki * k;
        const kb = ka - k;
        let p0 = padded[base];
        let p1 = padded[base + 1];
        let p2 = padded[base + 2];
        for (let kj = 0; kj < k; kj++) {
          const p3 = padded[base + kj + 3];
          const wa = kd[ka + kj];
          const wb = kd[kb + kj];
          a0 += wa * p0;
          a1 += wa * p1;
          a2 += wa * p2;
          a3 += wa * p3;
          b0 += wb * p0;
          b1 += wb * p1;
          b2 += wb * p2;
          b3 += wb * p3;
          p0 = p1;
          p1 = p2;
          p2 = p3;
        }
      }
      // input row y + k (kernel row k - 1 for output row y + 1 only)
      {
        const base = (y + k) * pw + x;
        const kb = (k - 1) * k;
        let p0 = padded[base];
        let p1 = padded[base + 1];
        let p2 = padded[base + 2];
        for (let kj = 0; kj < k; kj++) {
          const p3 = padded[base + kj + 3];
          const w = kd[kb + kj];
          b0 += w * p0;
          b1 += w * p1;
          b2 += w * p2;
          b3 += w * p3;
          p0 = p1;
          p1 = p2;
          p2 = p3;
        }
      }
      const o = dstOffset + y * width + x;
      dst[o] = a0;
      dst[o + 1] = a1;
      dst[o + 2] = a2;
      dst[o + 3] = a3;
      dst[o + width] = b0;
      dst[o + width + 1] = b1;
      dst[o + width + 2] = b2;
      dst[o + width + 3] = b3;
    }
    for (; x < width; x++) {
      dst[dstOffset + y * width + x] = pointSum(padded, pw, y, x, k, kd);
      dst[dstOffset + (y + 1) * width + x] = pointSum(padded, pw, y + 1, x, k, kd);
    }
  }
  for (; y < height; y++) {
    let x = 0;
    for (; x + 3 < width; x += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let ki = 0; ki < k; ki++) {
        const base = (y + ki) * pw + x;
        const ka = ki * k;
        let p0 = padded[base];
        let p1 = padded[base + 1];
        let p2 = padded[base + 2];
        for (let kj = 0; kj < k; kj++) {
          const p3 = padded[base + kj + 3];
          const w = kd[ka + kj];
          a0 += w * p0;
          a1 += w * p1;
          a2 += w * p2;
          a3 += w * p3;
          p0 = p1;
          p1 = p2;
          p2 = p3;
        }
      }
      const o = dstOffset + y * width + x;
      dst[o] = a0;
      dst[o + 1] = a1;
      dst[o + 2] = a2;
      dst[o + 3] = a3;
    }
    for (; x < width; x++) dst[dstOffset + y * width + x] = pointSum(padded, pw, y, x, k, kd);
  }
}

function pointSum(padded: Float32Array, pw: number, y: number, x: number, k: number, kd: Float64Array): number {
  let s = 0;
  for (let ki = 0; ki < k; ki++) {
    const base = (y + ki) * pw + x;
    for (let kj = 0; kj < k; kj++) s += kd[ki * k + kj] * padded[base + kj];
  }
  return s;
}

/**
 * 1-D correlation of each of `rows` rows (length `cols`, stride `cols`) with `w`, reflect
 * padded, written transposed (dst is cols x rows). Applied twice it filters both axes and
 * restores the layout. Four outputs share each loaded sample.
 */
function rowsFilterTransposed(
  src: Float32Array | Float64Array,
  srcOffset: number,
  rows: number,
  cols: number,
  w: Float64Array,
  dst: Float32Array | Float64Array,
  dstOffset: number,
  line: Float64Array,
): void {
  const k = w.length;
  const r = (k - 1) / 2;
  for (let row = 0; row < rows; row++) {
    const s = srcOffset + row * cols;
    for (let i = 0; i < cols + 2 * r; i++) line[i] = src[s + reflectIndex(i - r, cols)];
    let x = 0;
    for (; x + 3 < cols; x += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let p0 = line[x];
      let p1 = line[x + 1];
      let p2 = line[x + 2];
      for (let j = 0; j < k; j++) {
        const p3 = line[x + j + 3];
        const wj = w[j];
        a0 += wj * p0;
        a1 += wj * p1;
        a2 += wj * p2;
        a3 += wj * p3;
        p0 = p1;
        p1 = p2;
        p2 = p3;
      }
      const o = dstOffset + x * rows + row;
      dst[o] = a0;
      dst[o + rows] = a1;
      dst[o + 2 * rows] = a2;
      dst[o + 3 * rows] = a3;
    }
    for (; x < cols; x++) {
      let a = 0;
      for (let j = 0; j < k; j++) a += w[j] * line[x + j];
      dst[dstOffset + x * rows + row] = a;
    }
  }
}

/**
 * 2-D cross-correlation of every H x W plane of `image` (any leading dims, e.g. NCHW) with
 * `kernel`, reflect-padded so the output has the input's size (basicsr `filter2D`).
 * Zero outer rings are trimmed first and separable kernels run as two 1-D passes; both
 * are exact rewrites of the same sum.
 */
export function filter2dReflect(image: Tensor, kernel: BlurKernel): Tensor {
  const trimmed = trimKernel(kernel);
  const factors = separableFactors(trimmed);
  if (factors) return filterSeparableReflect(image, factors.vertical, factors.horizontal);
  const { planes, height, width } = planesOf(image);
  const r = (trimmed.size - 1) / 2;
  const out = new Float32Array(image.data.length);
  const padded = new Float32Array((height + 2 * r) * (width + 2 * r));
  for (let p = 0; p < planes; p++) {
    const offset = p * height * width;
    padPlane(image.data, offset, height, width, r, padded);
    filterPlaneDirect(padded, height, width, trimmed.size, trimmed.data, out, offset);
  }
  return { data: out, shape: [...image.shape] };
}

/**
 * Separable filtering: `vertical` along rows (y) and `horizontal` along columns (x), both
 * odd-length and centred, reflect padding. Equals filter2dReflect with their outer product
 * up to float64 summation order.
 */
export function filterSeparableReflect(image: Tensor, vertical: Float64Array, horizontal: Float64Array): Tensor {
  if (vertical.length % 2 === 0 || horizontal.length % 2 === 0) {
    throw new RangeError('filterSeparableReflect: factors must have odd length');
  }
  const { planes, height, width } = planesOf(image);
  const out = new Float32Array(image.data.length);
  const temp = new Float64Array(height * width);
  const line = new Float64Array(Math.max(height, width) + Math.max(vertical.length, horizontal.length));
  for (let p = 0; p < planes; p++) {
    const offset = p * height * width;
    rowsFilterTransposed(image.data, offset, height, width, horizontal, temp, 0, line);
    rowsFilterTransposed(temp, 0, width, height, vertical, out, offset, line);
  }
  return { data: out, shape: [...image.shape] };
}
