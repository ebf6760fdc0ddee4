import { fromOrtLike, toOrtLike } from '../tensor/interop';
import type { Tensor } from '../tensor/tensor';
import type { ValueInfo, ValueType } from './types';

/** Element types a graph feed can be converted to (the numeric ValueTypes). */
export type GraphFeedType = Exclude<ValueType, 'unknown'>;

/** Typed arrays ONNX Runtime takes for those element types (float16 as raw bits). */
export type GraphFeedArray = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

/** A core tensor in a graph input's own element type: `new ort.Tensor(type, data, dims)`. */
export interface GraphFeed {
  readonly type: GraphFeedType;
  readonly data: GraphFeedArray;
  readonly dims: number[];
}

function integral<T extends BigInt64Array | Int32Array | Uint8Array>(
  t: Tensor,
  out: T,
  name: string,
  type: string,
  lo: number,
  hi: number,
  convert: (v: number) => number | bigint,
): T {
  const src = t.data;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    // Truncating 3.9999 to 3 would pick the wrong token or class silently.
    if (!Number.isInteger(v)) throw new RangeError(`input '${name}' is ${type}, but element ${i} is ${v}`);
    if (v < lo || v > hi) throw new RangeError(`input '${name}' is ${type}, but element ${i} (${v}) is out of range`);
    out[i] = convert(v) as never;
  }
  return out;
}

/**
 * Converts a float32 core tensor to the element type a graph input declares. float32 (and
 * 'unknown') shares the data; float16 becomes raw half bits (round to nearest even); integer
 * types require integral, in-range values; bool maps nonzero to 1.
 */
export function toGraphFeed(t: Tensor, type: ValueType, name = 'input'): GraphFeed {
  const dims = [...t.shape];
  const n = t.data.length;
  switch (type) {
    case 'float32':
    case 'unknown':
      return { type: 'float32', data: t.data, dims };
    case 'float16':
      return { type, data: toOrtLike(t, 'float16').data, dims };
    case 'int64':
      // float32 holds integers exactly only up to 2^24, so that is the bound that matters
      return { type, data: integral(t, new BigInt64Array(n), name, type, -(2 ** 24), 2 ** 24, BigInt), dims };
    case 'int32':
      return { type, data: integral(t, new Int32Array(n), name, type, -(2 ** 31), 2 ** 31 - 1, Number), dims };
    case 'uint8':
      return { type, data: integral(t, new Uint8Array(n), name, type, 0, 255, Number), dims };
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = t.data[i] !== 0 ? 1 : 0;
      return { type, data: out, dims };
    }
  }
}

/**
 * Converts a graph output of any numeric element type back to a float32 core tensor (a
 * copy). float16 may be raw bits (Uint16Array) or a Float16Array of values.
 */
export function fromGraphOutput(type: string, data: unknown, dims: readonly number[], name = 'output'): Tensor {
  try {
    return fromOrtLike({ type, data, dims });
  } catch (e) {
    throw new TypeError(`output '${name}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Checks that feeds name exactly the graph's inputs, with the rank (and fixed sizes) they
 * declare; throws one error listing every problem, naming the graph by `what`.
 */
export function checkGraphFeeds(
  inputs: readonly ValueInfo[],
  feeds: Readonly<Record<string, Tensor>>,
  what = 'graph',
): void {
  const problems: string[] = [];
  const missing = inputs.filter((i) => !(i.name in feeds)).map((i) => i.name);
  const unknown = Object.keys(feeds).filter((n) => !inputs.some((i) => i.name === n));
  if (missing.length > 0) problems.push(`missing input(s) ${missing.join(', ')}`);
  if (unknown.length > 0) problems.push(`unknown input(s) ${unknown.join(', ')}`);
  for (const info of inputs) {
    const t = feeds[info.name];
    if (!t || info.shape.length === 0) continue;
    const fits =
      t.shape.length === info.shape.length && info.shape.every((d, k) => typeof d !== 'number' || d === t.shape[k]);
    if (!fits) {
      const want = info.shape.map((d) => (typeof d === 'number' ? String(d) : (d ?? '?'))).join(', ');
      problems.push(`input '${info.name}' has shape [${t.shape.join(', ')}], the graph wants [${want}]`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`${what}: ${problems.join('; ')} (inputs: ${inputs.map((i) => i.name).join(', ')})`);
  }
}
