import type { Tensor as OrtTensor } from 'onnxruntime-common';
import { float16BitsToFloat32, float32ToFloat16Bits } from './float16';
import { sizeOf, type Tensor } from './tensor';

/**
 * The shape of a scijs `ndarray` (or any strided view): element (i0, i1, ...) lives at
 * `data[offset + i0*stride[0] + i1*stride[1] + ...]`. Strides may be negative.
 */
export interface NdarrayLike<D = ArrayLike<number>> {
  readonly data: D;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly offset: number;
}

/** The parts of an ONNX Runtime tensor that conversion needs (`new ort.Tensor(type, data, dims)`). */
export interface OrtTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** Element types {@link toOrtLike} can produce. */
export type OrtFloatType = 'float32' | 'float16';

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = s;
    s *= shape[i];
  }
  return stride;
}

/**
 * Copies any strided numeric view (transposed, sliced, flipped, any typed array or plain
 * array) into a contiguous float32 tensor of the same shape.
 */
export function fromNdarray(nd: NdarrayLike): Tensor {
  const { data, shape, stride, offset } = nd;
  if (stride.length !== shape.length) {
    throw new RangeError(`fromNdarray: ${shape.length} dimensions but ${stride.length} strides`);
  }
  const total = sizeOf(shape);
  const out = new Float32Array(total);
  const dims = shape.length;
  if (dims === 0) {
    out[0] = Number(data[offset]);
    return { data: out, shape: [] };
  }
  if (total === 0) return { data: out, shape: [...shape] };
  const last = dims - 1;
  const innerSize = shape[last];
  const innerStride = stride[last];
  const counter = new Array<number>(dims).fill(0);
  let base = offset;
  let k = 0;
  // walk the outer indices like an odometer; the innermost axis is a tight loop
  while (k < total) {
    for (let i = 0, j = base; i < innerSize; i++, j += innerStride) out[k++] = data[j];
    let d = last - 1;
    while (d >= 0) {
      counter[d]++;
      base += stride[d];
      if (counter[d] < shape[d]) break;
      base -= stride[d] * shape[d];
      counter[d] = 0;
      d--;
    }
  }
  return { data: out, shape: [...shape] };
}

/**
 * Views a tensor as an ndarray-shaped object (shares the data; contiguous strides, offset 0).
 * Pass the fields to `ndarray(data, shape, stride, offset)` to get a real scijs ndarray.
 */
export function toNdarray(t: Tensor): { data: Float32Array; shape: number[]; stride: number[]; offset: number } {
  return { data: t.data, shape: [...t.shape], stride: contiguousStrides(t.shape), offset: 0 };
}

type NumericArray = ArrayLike<number> | BigInt64Array | BigUint64Array;

/**
 * ONNX Runtime tensor (or any `{ type, data, dims }`) -> float32 core tensor (a copy). float16
 * data may be raw bits in a Uint16Array or a Float16Array of values; int64/uint64 are
 * converted with Number(); bool becomes 0/1. Strings are refused.
 */
export function fromOrtLike(value: OrtTensorLike | OrtTensor): Tensor {
  const { type, dims } = value;
  const data = value.data as NumericArray;
  const shape = [...dims];
  const n = sizeOf(shape);
  if (type === 'string' || !data || typeof (data as ArrayLike<unknown>).length !== 'number') {
    throw new TypeError(`fromOrtLike: cannot convert a '${type}' tensor (data must be a numeric array on the CPU)`);
  }
  if (data.length !== n) throw new RangeError(`fromOrtLike: ${data.length} elements for dims [${shape.join(', ')}]`);
  if (type === 'float16' && data instanceof Uint16Array) return { data: float16BitsToFloat32(data), shape };
  if (type === 'float32' && data instanceof Float32Array) return { data: data.slice(), shape };
  const out = new Float32Array(n);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[i] = Number(data[i]);
  } else {
    for (let i = 0; i < n; i++) out[i] = Number(data[i]);
  }
  return { data: out, shape };
}

/**
 * Core tensor -> `{ type, data, dims }` ready for `new ort.Tensor(type, data, dims)`. float32
 * shares the data; float16 produces raw bits in a Uint16Array (ORT's float16 storage).
 */
export function toOrtLike(
  t: Tensor,
  type: OrtFloatType = 'float32',
): { type: OrtFloatType; data: Float32Array | Uint16Array; dims: number[] } {
  if (type === 'float16') return { type, data: float32ToFloat16Bits(t.data), dims: [...t.shape] };
  if (type !== 'float32') throw new RangeError(`toOrtLike: unsupported type '${String(type)}'`);
  return { type, data: t.data, dims: [...t.shape] };
}
