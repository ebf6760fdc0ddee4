import type { Tensor } from '../../tensor/tensor';
import { nchw } from './nchw';
import type { LinearOperator } from './types';

function checkKernel(kernel: Tensor): [number, number] {
  if (kernel.shape.length !== 2 || kernel.shape[0] % 2 !== 1 || kernel.shape[1] % 2 !== 1) {
    throw new RangeError(`blurOperator: kernel must be 2-D with odd sides, got [${kernel.shape.join(', ')}]`);
  }
  return [kernel.shape[0], kernel.shape[1]];
}

/**
 * Per-channel 'same' correlation with zero padding, out[y, x] = sum k[u, v] in[y + u - ry, x + v - rx]
 * (what F.conv2d computes); `flip` correlates with the kernel rotated by 180 degrees.
 */
function correlate(x: Tensor, kernel: Tensor, flip: boolean): Tensor {
  const [b, c, h, w] = nchw(x.shape, 'blurOperator');
  const [kh, kw] = checkKernel(kernel);
  const ry = (kh - 1) / 2;
  const rx = (kw - 1) / 2;
  const k = kernel.data;
  const out = new Float32Array(x.data.length);
  for (let p = 0; p < b * c; p++) {
    const off = p * h * w;
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        let s = 0;
        for (let u = 0; u < kh; u++) {
          const sy = y + u - ry;
          if (sy < 0 || sy >= h) continue;
          const row = off + sy * w;
          for (let v = 0; v < kw; v++) {
            const sx = xx + v - rx;
            if (sx < 0 || sx >= w) continue;
            const kv = flip ? k[(kh - 1 - u) * kw + (kw - 1 - v)] : k[u * kw + v];
            s += kv * x.data[row + sx];
          }
        }
        out[off + y * w + xx] = s;
      }
    }
  }
  return { data: out, shape: [...x.shape] };
}

/**
 * A = blur by a 2-D kernel (odd sides, shape (kh, kw)), applied per channel with zero
 * padding and 'same' output size. Zero padding keeps A a plain matrix, so the exact adjoint
 * is correlation with the flipped kernel, zero-padded the same way.
 */
export function blurOperator(kernel: Tensor): LinearOperator {
  checkKernel(kernel);
  return {
    apply: (x) => correlate(x, kernel, false),
    adjoint: (y) => correlate(y, kernel, true),
    outputShape: (s) => {
      nchw(s, 'blurOperator');
      return [...s];
    },
  };
}

/** A normalised box kernel of odd size, e.g. ADIR's 5x5 deblurring. */
export function boxKernel(size: number): Tensor {
  if (!Number.isInteger(size) || size < 1 || size % 2 !== 1)
    throw new RangeError(`boxKernel: size must be odd, got ${size}`);
  return { data: new Float32Array(size * size).fill(1 / (size * size)), shape: [size, size] };
}

/** A normalised isotropic Gaussian kernel; default size 2 * ceil(3 sigma) + 1. */
export function gaussianBlurKernel(sigma: number, size = 2 * Math.ceil(3 * sigma) + 1): Tensor {
  if (!(sigma > 0) || !Number.isInteger(size) || size % 2 !== 1) {
    throw new RangeError(`gaussianBlurKernel: need sigma > 0 and an odd size, got ${sigma}, ${size}`);
  }
  const r = (size - 1) / 2;
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const data = new Float32Array(size * size);
  let s = 0;
  for (let u = 0; u < size; u++) for (let v = 0; v < size; v++) s += g[u] * g[v];
  for (let u = 0; u < size; u++) for (let v = 0; v < size; v++) data[u * size + v] = (g[u] * g[v]) / s;
  return { data, shape: [size, size] };
}
