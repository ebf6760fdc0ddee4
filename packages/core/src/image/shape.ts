import type { Tensor } from '../tensor/tensor';

/** Sizes of an NCHW image tensor. */
export interface ImageDims {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/** Reads the four sizes of an NCHW tensor, throwing a readable error for any other rank. */
export function imageDims(t: Tensor, what = 'image'): ImageDims {
  if (t.shape.length !== 4) {
    throw new RangeError(`${what} must be NCHW (4 dimensions), got shape [${t.shape.join(', ')}]`);
  }
  const [n, c, h, w] = t.shape;
  return { n, c, h, w };
}

/** Throws unless the tensor is NCHW with exactly `channels` channels. */
export function expectChannels(t: Tensor, channels: number, what = 'image'): ImageDims {
  const d = imageDims(t, what);
  if (d.c !== channels) {
    throw new RangeError(`${what} must have ${channels} channels, got shape [${t.shape.join(', ')}]`);
  }
  return d;
}
