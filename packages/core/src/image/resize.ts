import type { Tensor } from '../tensor/tensor';
import { imageDims } from './shape';

/** Interpolation kernel of {@link resize}; names follow PyTorch's `F.interpolate` modes. */
export type ResizeMode = 'bicubic' | 'bilinear' | 'area' | 'nearest';

export interface ResizeOptions {
  /** Interpolation kernel. Default `'bicubic'`. */
  readonly mode?: ResizeMode;
  /**
   * Antialiased (PIL-style) resampling for `'bicubic'` and `'bilinear'`, as
   * `F.interpolate(..., antialias=True)`: when shrinking, the kernel support is stretched by
   * the shrink factor; weights are renormalised at the borders instead of clamping indices,
   * and the antialiased cubic uses a = -0.5 (PyTorch's choice). Ignored for `'area'` and
   * `'nearest'`. Default `false`.
   */
  readonly antialias?: boolean;
}

export interface ResizeByOptions extends ResizeOptions {
  /**
   * PyTorch's `recompute_scale_factor`: when true the kernel uses input/output size as its
   * scale (what {@link resize} does); when false (PyTorch's default for `scale_factor=`) it
   * uses exactly `1 / factor`. Default `false`.
   */
  readonly recomputeScale?: boolean;
}

/**
 * Per-output-index taps along one axis: output i reads input indices
 * `index[start[i] .. start[i+1])` with the matching `weight`s.
 */
interface AxisTaps {
  readonly start: Int32Array;
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

const f32 = Math.fround;

function buildTaps(
  outSize: number,
  maxTaps: number,
  fill: (i: number, idx: number[], wts: number[]) => void,
): AxisTaps {
  const start = new Int32Array(outSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const idx: number[] = [];
  const wts: number[] = [];
  for (let i = 0; i < outSize; i++) {
    idx.length = 0;
    wts.length = 0;
    fill(i, idx, wts);
    if (idx.length > maxTaps) throw new Error('resize: internal tap overflow');
    for (let k = 0; k < idx.length; k++) {
      index.push(idx[k]);
      weight.push(wts[k]);
    }
    start[i + 1] = index.length;
  }
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

const clampIndex = (i: number, size: number) => (i < 0 ? 0 : i >= size ? size - 1 : i);

/** Keys cubic convolution kernel with parameter a. */
function cubicKernel(x: number, a: number): number {
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

const triangleKernel = (x: number) => {
  x = Math.abs(x);
  return x < 1 ? 1 - x : 0;
};

/** Half-pixel source coordinate `scale * (dst + 0.5) - 0.5`, in float32 as PyTorch computes it. */
const sourceCoordinate = (scale: number, dst: number) => f32(f32(scale * f32(dst + 0.5)) - 0.5);

function cubicTaps(inSize: number, outSize: number, scale: number): AxisTaps {
  return buildTaps(outSize, 4, (i, idx, wts) => {
    const src = sourceCoordinate(scale, i);
    const base = Math.min(Math.floor(src), inSize - 1);
    const t = Math.min(Math.max(f32(src - base), 0), 1);
    for (let k = 0; k < 4; k++) {
      idx.push(clampIndex(base + k - 1, inSize));
      wts.push(cubicKernel(t - (k - 1), -0.75));
    }
  });
}

function linearTaps(inSize: number, outSize: number, scale: number): AxisTaps {
  return buildTaps(outSize, 2, (i, idx, wts) => {
    if (inSize === outSize) {
      idx.push(i);
      wts.push(1);
      return;
    }
    const src = Math.max(sourceCoordinate(scale, i), 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const lambda1 = Math.min(Math.max(f32(src - i0), 0), 1);
    idx.push(i0, i0 < inSize - 1 ? i0 + 1 : i0);
    wts.push(1 - lambda1, lambda1);
  });
}

function nearestTaps(inSize: number, outSize: number, scale: number): AxisTaps {
  return buildTaps(outSize, 1, (i, idx, wts) => {
    idx.push(Math.min(Math.floor(f32(scale * i)), inSize - 1));
    wts.push(1);
  });
}

/** Adaptive average pooling bins: [floor(i*in/out), ceil((i+1)*in/out)). */
function areaTaps(inSize: number, outSize: number): AxisTaps {
  return buildTaps(outSize, inSize, (i, idx, wts) => {
    const lo = Math.floor((i * inSize) / outSize);
    const hi = Math.ceil(((i + 1) * inSize) / outSize);
    for (let k = lo; k < hi; k++) {
      idx.push(k);
      wts.push(1 / (hi - lo));
    }
  });
}

/** PIL-style antialiased taps (PyTorch `_compute_indices_min_size_weights_aa`). */
function antialiasTaps(
  inSize: number,
  outSize: number,
  scale: number,
  interpSize: number,
  filter: (x: number) => number,
): AxisTaps {
  const support = f32(scale >= 1 ? interpSize * 0.5 * scale : interpSize * 0.5);
  const maxTaps = Math.ceil(support) * 2 + 1;
  const invScale = scale >= 1 ? f32(1 / scale) : 1;
  return buildTaps(outSize, maxTaps, (i, idx, wts) => {
    const center = f32(scale * (i + 0.5));
    const lo = Math.max(Math.trunc(f32(center - support) + 0.5), 0);
    const hi = Math.min(Math.trunc(f32(center + support) + 0.5), inSize);
    const size = Math.min(Math.max(hi - lo, 0), maxTaps);
    let total = 0;
    for (let j = 0; j < size; j++) {
      const w = filter(f32((f32(j + lo - center) + 0.5) * invScale));
      idx.push(lo + j);
      wts.push(w);
      total += w;
    }
    if (total !== 0) for (let j = 0; j < size; j++) wts[j] /= total;
  });
}

function axisTaps(mode: ResizeMode, antialias: boolean, inSize: number, outSize: number, scale: number): AxisTaps {
  switch (mode) {
    case 'bicubic':
      return antialias
        ? antialiasTaps(inSize, outSize, scale, 4, (x) => cubicKernel(x, -0.5))
        : cubicTaps(inSize, outSize, scale);
    case 'bilinear':
      return antialias ? antialiasTaps(inSize, outSize, scale, 2, triangleKernel) : linearTaps(inSize, outSize, scale);
    case 'nearest':
      return nearestTaps(inSize, outSize, scale);
    case 'area':
      return areaTaps(inSize, outSize);
    default:
      throw new RangeError(`resize: unknown mode '${String(mode)}'`);
  }
}

/** Resamples the last axis: (planes*rows, inW) -> (planes*rows, outW). */
function horizontalPass(src: Float32Array, rows: number, inW: number, taps: AxisTaps): Float32Array {
  const outW = taps.start.length - 1;
  const out = new Float32Array(rows * outW);
  const { start, index, weight } = taps;
  for (let r = 0; r < rows; r++) {
    const srcRow = r * inW;
    const dstRow = r * outW;
    for (let x = 0; x < outW; x++) {
      let s = 0;
      for (let k = start[x]; k < start[x + 1]; k++) s += src[srcRow + index[k]] * weight[k];
      out[dstRow + x] = s;
    }
  }
  return out;
}

/** Resamples rows: (planes, inH, w) -> (planes, outH, w), accumulating whole rows for locality. */
function verticalPass(src: Float32Array, planes: number, inH: number, w: number, taps: AxisTaps): Float32Array {
  const outH = taps.start.length - 1;
  const out = new Float32Array(planes * outH * w);
  const acc = new Float64Array(w);
  const { start, index, weight } = taps;
  for (let p = 0; p < planes; p++) {
    const srcPlane = p * inH * w;
    for (let y = 0; y < outH; y++) {
      acc.fill(0);
      for (let k = start[y]; k < start[y + 1]; k++) {
        const row = srcPlane + index[k] * w;
        const wk = weight[k];
        for (let x = 0; x < w; x++) acc[x] += src[row + x] * wk;
      }
      out.set(acc, (p * outH + y) * w);
    }
  }
  return out;
}

function resizeWithScales(
  image: Tensor,
  height: number,
  width: number,
  scaleH: number,
  scaleW: number,
  options: ResizeOptions,
): Tensor {
  const { n, c, h, w } = imageDims(image, 'resize input');
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`resize: output size must be positive integers, got ${height}x${width}`);
  }
  if (h < 1 || w < 1) throw new RangeError('resize: input has an empty spatial dimension');
  const mode = options.mode ?? 'bicubic';
  const antialias = (options.antialias ?? false) && (mode === 'bicubic' || mode === 'bilinear');
  const planes = n * c;
  let data = image.data;
  // PyTorch's separable antialiased kernel skips an axis whose size does not change.
  if (!(antialias && width === w))
    data = horizontalPass(data, planes * h, w, axisTaps(mode, antialias, w, width, scaleW));
  if (!(antialias && height === h))
    data = verticalPass(data, planes, h, width, axisTaps(mode, antialias, h, height, scaleH));
  if (data === image.data) data = data.slice();
  return { data, shape: [n, c, height, width] };
}

/**
 * Resizes an NCHW image to `height` x `width`, matching
 * `F.interpolate(x, size=(height, width), mode, align_corners=False, antialias)` on float32:
 * the scale per axis is `in / out`. Default mode bicubic (a = -0.75, indices clamped at the border).
 */
export function resize(image: Tensor, height: number, width: number, options: ResizeOptions = {}): Tensor {
  const { h, w } = imageDims(image, 'resize input');
  return resizeWithScales(image, height, width, f32(h / height), f32(w / width), options);
}

/**
 * Resizes by a factor (one for both axes or `[fh, fw]`), matching
 * `F.interpolate(x, scale_factor=factor, ...)`: output size `floor(in * factor)`, and the kernel
 * scale `1 / factor` unless `recomputeScale` is set.
 */
export function resizeBy(
  image: Tensor,
  factor: number | readonly [number, number],
  options: ResizeByOptions = {},
): Tensor {
  const { h, w } = imageDims(image, 'resize input');
  const [fh, fw] = typeof factor === 'number' ? [factor, factor] : factor;
  if (!(fh > 0 && fw > 0 && Number.isFinite(fh) && Number.isFinite(fw))) {
    throw new RangeError(`resizeBy: factors must be positive and finite, got ${fh}, ${fw}`);
  }
  const height = Math.floor(h * fh);
  const width = Math.floor(w * fw);
  if (options.recomputeScale) return resize(image, height, width, options);
  return resizeWithScales(image, height, width, f32(1 / fh), f32(1 / fw), options);
}
