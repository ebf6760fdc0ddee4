import { float16BitsToFloat32 } from '../tensor/float16';
import { sizeOf, type Tensor } from '../tensor/tensor';
import type { EmbeddingRef } from './manifest';

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
  if (ref.dtype === 'float16') {
    const bits = new Uint16Array(n);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true);
    return { data: float16BitsToFloat32(bits), shape: [...ref.shape] };
  }
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
  return { data, shape: [...ref.shape] };
}
