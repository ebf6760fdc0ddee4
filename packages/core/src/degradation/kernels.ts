import { besselJ1 } from './bessel';

/**
 * A square, odd-sized 2-D filter kernel, row-major: `data[i * size + j]` is row i (y) and
 * column j (x). Applied by cross-correlation (no flip), like `F.conv2d`.
 */
export interface BlurKernel {
  readonly size: number;
  readonly data: Float64Array;
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0) {
    throw new RangeError(`kernel size must be a positive odd integer, got ${size}`);
  }
}

/** Divides by the sum so the kernel preserves flat regions. */
function normalise(data: Float64Array): Float64Array {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  if (!(sum > 0) || !Number.isFinite(sum)) throw new RangeError(`kernel sum ${sum} cannot be normalised`);
  for (let i = 0; i < data.length; i++) data[i] /= sum;
  return data;
}

/**
 * Inverse of Sigma = R diag(sx^2, sy^2) R^T, R = [[cos, -sin], [sin, cos]], as
 * [a, b, c] with Q(x, y) = a x^2 + 2 b x y + c y^2 = p^T Sigma^-1 p.
 */
function inverseCovariance(sigmaX: number, sigmaY: number, theta: number): [number, number, number] {
  if (!(sigmaX > 0) || !(sigmaY > 0)) throw new RangeError(`sigmas must be positive, got ${sigmaX}, ${sigmaY}`);
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const ix = 1 / (sigmaX * sigmaX);
  const iy = 1 / (sigmaY * sigmaY);
  // Sigma^-1 = R diag(1/sx^2, 1/sy^2) R^T
  return [c * c * ix + s * s * iy, c * s * (ix - iy), s * s * ix + c * c * iy];
}

/**
 * Evaluates f(Q) on the grid arange(-size//2 + 1, size//2 + 1) (x along columns, y along
 * rows) and normalises to sum 1.
 */
function quadraticFormKernel(
  size: number,
  sigmaX: number,
  sigmaY: number,
  theta: number,
  f: (q: number) => number,
): BlurKernel {
  checkSize(size);
  const [a, b, c] = inverseCovariance(sigmaX, sigmaY, theta);
  const half = (size - 1) / 2;
  const data = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    const y = i - half;
    for (let j = 0; j < size; j++) {
      const x = j - half;
      data[i * size + j] = f(a * x * x + 2 * b * x * y + c * y * y);
    }
  }
  return { size, data: normalise(data) };
}

/** Shape parameters of the bivariate kernels; isotropic kernels use sigmaY = sigmaX, theta = 0. */
export interface KernelShape {
  /** Standard deviation along the (rotated) x axis, pixels. */
  sigmaX: number;
  /** Standard deviation along the (rotated) y axis, pixels. Default sigmaX. */
  sigmaY?: number;
  /** Rotation angle in radians. Default 0. */
  theta?: number;
}

/** Bivariate Gaussian exp(-Q/2), normalised. */
export function gaussianKernel(size: number, shape: KernelShape): BlurKernel {
  return quadraticFormKernel(size, shape.sigmaX, shape.sigmaY ?? shape.sigmaX, shape.theta ?? 0, (q) =>
    Math.exp(-0.5 * q),
  );
}

/** Generalized Gaussian exp(-Q^beta / 2), normalised. */
export function generalizedGaussianKernel(size: number, shape: KernelShape, beta: number): BlurKernel {
  if (!(beta > 0)) throw new RangeError(`beta must be positive, got ${beta}`);
  return quadraticFormKernel(size, shape.sigmaX, shape.sigmaY ?? shape.sigmaX, shape.theta ?? 0, (q) =>
    Math.exp(-0.5 * q ** beta),
  );
}

/** Plateau kernel 1 / (1 + Q^beta), normalised. */
export function plateauKernel(size: number, shape: KernelShape, beta: number): BlurKernel {
  if (!(beta > 0)) throw new RangeError(`beta must be positive, got ${beta}`);
  return quadraticFormKernel(
    size,
    shape.sigmaX,
    shape.sigmaY ?? shape.sigmaX,
    shape.theta ?? 0,
    (q) => 1 / (1 + q ** beta),
  );
}

/**
 * The un-normalised circular low-pass value at radius r: omega J1(omega r) / (2 pi r), with
 * its limit omega^2 / (4 pi) at r = 0.
 */
export function sincKernelValue(omega: number, r: number): number {
  if (r === 0) return (omega * omega) / (4 * Math.PI);
  return (omega * besselJ1(omega * r)) / (2 * Math.PI * r);
}

/** Circular low-pass ("sinc") kernel with cut-off omega (radians/pixel), normalised. */
export function sincKernel(size: number, omega: number): BlurKernel {
  checkSize(size);
  if (!(omega > 0)) throw new RangeError(`cut-off must be positive, got ${omega}`);
  const half = (size - 1) / 2;
  const data = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      data[i * size + j] = sincKernelValue(omega, Math.hypot(i - half, j - half));
    }
  }
  return { size, data: normalise(data) };
}

/** Zero-pads a kernel symmetrically to `size` (the reference pads every blur kernel to 21). */
export function padKernel(kernel: BlurKernel, size: number): BlurKernel {
  checkSize(size);
  if (size < kernel.size) throw new RangeError(`cannot pad a ${kernel.size}-kernel to ${size}`);
  if (size === kernel.size) return kernel;
  const offset = (size - kernel.size) / 2;
  const data = new Float64Array(size * size);
  for (let i = 0; i < kernel.size; i++) {
    data.set(kernel.data.subarray(i * kernel.size, (i + 1) * kernel.size), (i + offset) * size + offset);
  }
  return { size, data };
}

/** The identity kernel (a centred unit pulse), the final step's "no sinc" case. */
export function pulseKernel(size: number): BlurKernel {
  checkSize(size);
  const data = new Float64Array(size * size);
  data[(size * size - 1) / 2] = 1;
  return { size, data };
}

/** Removes all-zero outer rings, which changes nothing under filtering but saves work. */
export function trimKernel(kernel: BlurKernel): BlurKernel {
  const { size, data } = kernel;
  let ring = 0;
  while (ring < (size - 1) / 2) {
    let zero = true;
    const last = size - 1 - ring;
    for (let t = ring; t <= last && zero; t++) {
      if (data[ring * size + t] !== 0 || data[last * size + t] !== 0) zero = false;
      if (data[t * size + ring] !== 0 || data[t * size + last] !== 0) zero = false;
    }
    if (!zero) break;
    ring++;
  }
  if (ring === 0) return kernel;
  const inner = size - 2 * ring;
  const out = new Float64Array(inner * inner);
  for (let i = 0; i < inner; i++) {
    out.set(data.subarray((i + ring) * size + ring, (i + ring) * size + ring + inner), i * inner);
  }
  return { size: inner, data: out };
}

/**
 * If the kernel is an outer product (vertical ⊗ horizontal) to relative 1e-10, returns the
 * two 1-D factors: `vertical[i] * horizontal[j] = data[i][j]`. Isotropic Gaussians and the
 * pulse are separable; rotated or non-Gaussian kernels are not.
 */
export function separableFactors(kernel: BlurKernel): { vertical: Float64Array; horizontal: Float64Array } | null {
  const { size, data } = kernel;
  const rowSums = new Float64Array(size);
  const colSums = new Float64Array(size);
  let total = 0;
  let peak = 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = data[i * size + j];
      rowSums[i] += v;
      colSums[j] += v;
      total += v;
      peak = Math.max(peak, Math.abs(v));
    }
  }
  if (total === 0 || peak === 0) return null;
  // A rank-1 matrix equals (row sums)(column sums)^T / total.
  const tolerance = 1e-10 * peak;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (Math.abs(data[i * size + j] - (rowSums[i] * colSums[j]) / total) > tolerance) return null;
    }
  }
  const horizontal = new Float64Array(size);
  for (let j = 0; j < size; j++) horizontal[j] = colSums[j] / total;
  return { vertical: rowSums, horizontal };
}
