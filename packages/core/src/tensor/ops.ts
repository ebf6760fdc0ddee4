import { sameShape, sizeOf, type Tensor } from './tensor';

function checkSame(a: Tensor, b: Tensor, op: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new RangeError(`${op}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
}

export function add(a: Tensor, b: Tensor): Tensor {
  checkSame(a, b, 'add');
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + b.data[i];
  return { data: out, shape: [...a.shape] };
}

export function sub(a: Tensor, b: Tensor): Tensor {
  checkSame(a, b, 'sub');
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] - b.data[i];
  return { data: out, shape: [...a.shape] };
}

export function mul(a: Tensor, b: Tensor): Tensor {
  checkSame(a, b, 'mul');
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * b.data[i];
  return { data: out, shape: [...a.shape] };
}

export function scale(a: Tensor, s: number): Tensor {
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * s;
  return { data: out, shape: [...a.shape] };
}

/**
 * sum_k c_k * t_k, evaluated per element in float64 (JS numbers) and stored once as
 * float32, so sampler updates with large, nearly cancelling coefficients lose no more
 * precision than one rounding.
 */
export function combine(coefficients: readonly number[], tensors: readonly Tensor[]): Tensor {
  if (coefficients.length !== tensors.length || tensors.length === 0) {
    throw new RangeError('combine: need as many coefficients as tensors, at least one');
  }
  for (let k = 1; k < tensors.length; k++) checkSame(tensors[0], tensors[k], 'combine');
  const n = tensors[0].data.length;
  const out = new Float32Array(n);
  const arrays = tensors.map((t) => t.data);
  const m = arrays.length;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += coefficients[k] * arrays[k][i];
    out[i] = s;
  }
  return { data: out, shape: [...tensors[0].shape] };
}

export function map(a: Tensor, f: (v: number, i: number) => number): Tensor {
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i], i);
  return { data: out, shape: [...a.shape] };
}

/** Concatenate along the first (batch) axis. */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  if (parts.length === 0) throw new RangeError('concatBatch: nothing to concatenate');
  const rest = parts[0].shape.slice(1);
  let batch = 0;
  for (const p of parts) {
    if (!sameShape(p.shape.slice(1), rest)) throw new RangeError('concatBatch: trailing shapes differ');
    batch += p.shape[0];
  }
  const out = new Float32Array(batch * sizeOf(rest));
  let offset = 0;
  for (const p of parts) {
    out.set(p.data, offset);
    offset += p.data.length;
  }
  return { data: out, shape: [batch, ...rest] };
}

/** Split along the batch axis into pieces of the given batch sizes (views, no copy). */
export function splitBatch(t: Tensor, sizes: readonly number[]): Tensor[] {
  const per = sizeOf(t.shape.slice(1));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== t.shape[0]) throw new RangeError(`splitBatch: sizes sum to ${total}, batch is ${t.shape[0]}`);
  const out: Tensor[] = [];
  let offset = 0;
  for (const s of sizes) {
    out.push({ data: t.data.subarray(offset * per, (offset + s) * per), shape: [s, ...t.shape.slice(1)] });
    offset += s;
  }
  return out;
}

/** Repeat a tensor along the batch axis. */
export function repeatBatch(t: Tensor, times: number): Tensor {
  return concatBatch(Array.from({ length: times }, () => t));
}

/** Index of the first NaN or infinite element, or -1. */
export function firstNonFinite(a: Tensor): number {
  const d = a.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}

export function mean(a: Tensor): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i];
  return s / a.data.length;
}

export function dot(a: Tensor, b: Tensor): number {
  checkSame(a, b, 'dot');
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  checkSame(a, b, 'maxAbsDiff');
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}
