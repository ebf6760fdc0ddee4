/**
 * IEEE 754 binary16 <-> binary32 conversion on raw bit patterns (what ONNX Runtime's float16
 * tensors hold in a Uint16Array where no Float16Array exists).
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Half bits of one float32 bit pattern, rounding to nearest, ties to even. */
function halfFromFloatBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) {
    // Inf stays Inf; NaN stays a quiet NaN keeping the top payload bits
    return abs === 0x7f800000 ? sign | 0x7c00 : sign | 0x7e00 | ((abs >>> 13) & 0x3ff);
  }
  if (abs >= 0x47800000) return sign | 0x7c00; // >= 65536 always overflows
  if (abs >= 0x38800000) {
    // normal half: rebias the exponent (127 -> 15), round away 13 mantissa bits; a carry
    // into the exponent is right, including overflow to Inf from 65520 up
    let h = ((abs - 0x38000000) >>> 13) | 0;
    const rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) !== 0)) h++;
    return sign | h;
  }
  if (abs <= 0x33000000) return sign; // <= 2^-25: rounds to (signed) zero, the tie included
  // subnormal half: value = m * 2^-24 with m = M >> (126 - e), M the 24-bit significand
  const e = abs >>> 23;
  const significand = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  let m = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && (m & 1) !== 0)) m++;
  return sign | m;
}

/** float32 values -> IEEE half bit patterns (round to nearest even; subnormals, Inf, NaN kept). */
export function float32ToFloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfFromFloatBits(bits[i]);
  return out;
}

/** One float16 bit pattern -> its exact value (every half is representable in float32). */
function halfBitsToNumber(h: number): number {
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f) {
    // keep the NaN payload by building the float32 bits
    scratchU32[0] = ((h & 0x8000) << 16) | 0x7f800000 | (man << 13);
    return scratchF32[0];
  }
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * man * 2 ** -24;
  return sign * (1024 + man) * 2 ** (exp - 25);
}

/** IEEE half bit patterns -> float32 values (exact). */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const exp = (h >>> 10) & 0x1f;
    if (exp !== 0 && exp !== 0x1f) {
      // normal: rebias the exponent and widen the mantissa, no arithmetic needed
      outBits[i] = ((h & 0x8000) << 16) | ((((h & 0x7fff) >>> 0) + 0x1c000) << 13);
    } else {
      out[i] = halfBitsToNumber(h);
    }
  }
  return out;
}
