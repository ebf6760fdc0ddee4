import { lumaY } from '../image/color-space';
import { expectChannels } from '../image/shape';
import type { Tensor } from '../tensor/tensor';

/** How metric inputs in [0,1] are read before the Y conversion. */
export interface MetricInputOptions {
  /** Border pixels removed on every side before measuring (usually the SR scale). Default 0. */
  readonly crop?: number;
  /**
   * Round RGB to 8-bit levels first (`round(clamp(x, 0, 1) * 255) / 255`), as BasicSR sees
   * images saved to PNG. Default `false`: the float values are used as they are.
   */
  readonly quantize?: boolean;
}

export interface Planes {
  readonly count: number;
  readonly h: number;
  readonly w: number;
  /** `count` planes of h*w values, back to back. */
  readonly data: Float64Array;
}

const quantise8 = (v: number) => Math.round(Math.min(Math.max(v, 0), 1) * 255) / 255;

function cropSize(size: number, crop: number, what: string): number {
  if (!Number.isInteger(crop) || crop < 0 || 2 * crop >= size) {
    throw new RangeError(`${what}: crop ${crop} leaves nothing of size ${size}`);
  }
  return size - 2 * crop;
}

/** Every plane (N*C) of a tensor, cropped, in float64, optionally scaled. */
export function cropPlanes(t: Tensor, crop: number, what: string, quantize = false, scale = 1): Planes {
  if (t.shape.length !== 4) throw new RangeError(`${what}: inputs must be NCHW`);
  const [n, c, h, w] = t.shape;
  const oh = cropSize(h, crop, what);
  const ow = cropSize(w, crop, what);
  const data = new Float64Array(n * c * oh * ow);
  let k = 0;
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < oh; y++) {
      const row = p * h * w + (y + crop) * w + crop;
      for (let x = 0; x < ow; x++) {
        const v = t.data[row + x];
        data[k++] = (quantize ? quantise8(v) : v) * scale;
      }
    }
  }
  return { count: n * c, h: oh, w: ow, data };
}

/** BT.601 Y in [0,255] of each image (N planes), cropped, in float64. */
export function lumaPlanes(t: Tensor, crop: number, what: string, quantize = false): Planes {
  const { n, h, w } = expectChannels(t, 3, `${what} input`);
  const oh = cropSize(h, crop, what);
  const ow = cropSize(w, crop, what);
  const hw = h * w;
  const q = quantize ? quantise8 : (v: number) => v;
  const data = new Float64Array(n * oh * ow);
  let k = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const i0 = b * 3 * hw + (y + crop) * w + crop;
      for (let x = 0; x < ow; x++) {
        const i = i0 + x;
        data[k++] = lumaY(q(t.data[i]), q(t.data[i + hw]), q(t.data[i + 2 * hw]));
      }
    }
  }
  return { count: n, h: oh, w: ow, data };
}

export function checkPair(a: Tensor, b: Tensor, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RangeError(`${what}: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
}
