import { float16BitsToFloat32, float32ToFloat16Bits, type Tensor, type ValueType } from '@diffrestore/core';

/** Typed arrays onnxruntime accepts for the element types diffrestore graphs use. */
export type GraphArray = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array | Float64Array;

/** A tensor in the graph's own element type, ready to wrap as an ORT tensor. */
export interface GraphValue {
  readonly type: 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';
  readonly data: GraphArray;
  readonly dims: readonly number[];
}

/** Maps an ORT element type string to the core ValueType. */
export function toValueType(ortType: string): ValueType {
  switch (ortType) {
    case 'float32':
    case 'float16':
    case 'int64':
    case 'int32':
    case 'uint8':
    case 'bool':
      return ortType;
    default:
      return 'unknown';
  }
}

function integerArray<T extends BigInt64Array | Int32Array | Uint8Array>(
  src: Float32Array,
  make: (n: number) => T,
  name: string,
  type: string,
  toElement: (v: number) => number | bigint,
): T {
  const out = make(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    // Silent truncation of e.g. a token id 3.9999 would feed the wrong embedding row.
    if (!Number.isInteger(v))
      throw new RangeError(`input '${name}' is ${type} but element ${i} is ${v}, not an integer`);
    out[i] = toElement(v) as never;
  }
  return out;
}

/**
 * Converts a float32 core tensor to the element type a graph input declares. float32 is
 * passed through without a copy; integer types require integral values.
 */
export function toGraphValue(t: Tensor, type: ValueType, name: string): GraphValue {
  const dims = [...t.shape];
  switch (type) {
    case 'float32':
    case 'unknown':
      return { type: 'float32', data: t.data, dims };
    case 'float16':
      return { type: 'float16', data: float32ToFloat16Bits(t.data), dims };
    case 'int64':
      return { type, data: integerArray(t.data, (n) => new BigInt64Array(n), name, type, BigInt), dims };
    case 'int32':
      return { type, data: integerArray(t.data, (n) => new Int32Array(n), name, type, Number), dims };
    case 'uint8':
      return { type, data: integerArray(t.data, (n) => new Uint8Array(n), name, type, Number), dims };
    case 'bool':
      return { type, data: Uint8Array.from(t.data, (v) => (v !== 0 ? 1 : 0)), dims };
  }
}

/**
 * Converts a graph output of any numeric element type to a float32 core tensor. A float32
 * output keeps its buffer (no copy).
 */
export function fromGraphValue(type: string, data: unknown, dims: readonly number[], name: string): Tensor {
  const shape = [...dims];
  if (data instanceof Float32Array) return { data, shape };
  if (type === 'float16' && data instanceof Uint16Array) return { data: float16BitsToFloat32(data), shape };
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return { data: Float32Array.from(data, (v) => Number(v)), shape };
  }
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    return { data: Float32Array.from(data as unknown as ArrayLike<number>), shape };
  }
  throw new TypeError(`output '${name}' has element type ${type}, which cannot be converted to float32`);
}
