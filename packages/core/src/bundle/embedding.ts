import { sizeOf, type Tensor } from '../tensor/tensor';
import type { EmbeddingRef } from './manifest';

/** IEEE 754 binary16 bits -> number. */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Decodes a bundle embedding file (raw little-endian float32 or float16, row-major) into a
 * float32 tensor of the manifest's shape; throws if the byte count does not match.
 */
export function decodeBundleEmbedding(bytes: Uint8Array, ref: Pick<EmbeddingRef, 'dtype' | 'shape' | 'file'>): Tensor {
  const n = sizeOf(ref.shape);
  const width = ref.dtype === 'float16' ? 2 : 4;
  if (bytes.byteLength !== n * width) {
    throw new RangeError(
      `embedding ${ref.file}: ${bytes.byteLength} bytes, expected ${n * width} (${ref.dtype} [${ref.shape.join(', ')}])`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(n);
  if (ref.dtype === 'float16') {
    for (let i = 0; i < n; i++) data[i] = float16BitsToNumber(view.getUint16(2 * i, true));
  } else {
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
  }
  return { data, shape: [...ref.shape] };
}
