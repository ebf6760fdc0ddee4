import type { Tensor } from '../tensor/tensor';
import type { TileWindow } from './windows';

/** Copies a spatial window of an NCHW tensor. */
export function sliceWindow(t: Tensor, win: TileWindow): Tensor {
  const [b, c, h, w] = t.shape;
  if (win.top < 0 || win.left < 0 || win.top + win.height > h || win.left + win.width > w) {
    throw new RangeError(`sliceWindow: window outside the ${h}x${w} plane`);
  }
  const out = new Float32Array(b * c * win.height * win.width);
  for (let p = 0; p < b * c; p++) {
    for (let y = 0; y < win.height; y++) {
      const src = (p * h + win.top + y) * w + win.left;
      out.set(t.data.subarray(src, src + win.width), (p * win.height + y) * win.width);
    }
  }
  return { data: out, shape: [b, c, win.height, win.width] };
}

/**
 * Weighted accumulation of tiles into a full plane: sum_k w_k * tile_k and sum_k w_k, in
 * float64, then the normalised blend.
 */
export class TileAccumulator {
  private readonly acc: Float64Array;
  private readonly wsum: Float64Array;
  constructor(
    private readonly batch: number,
    private readonly channels: number,
    private readonly height: number,
    private readonly width: number,
  ) {
    this.acc = new Float64Array(batch * channels * height * width);
    this.wsum = new Float64Array(height * width);
  }

  add(tile: Tensor, win: TileWindow, weights: Float32Array): void {
    const { batch, channels, height: h, width: w } = this;
    const [tb, tc, th, tw] = tile.shape;
    if (tb !== batch || tc !== channels || th !== win.height || tw !== win.width) {
      throw new RangeError(
        `tile output [${tile.shape.join(', ')}] does not match [${batch}, ${channels}, ${win.height}, ${win.width}]`,
      );
    }
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) this.wsum[(win.top + y) * w + win.left + x] += weights[y * tw + x];
    }
    for (let p = 0; p < batch * channels; p++) {
      for (let y = 0; y < th; y++) {
        const dst = (p * h + win.top + y) * w + win.left;
        const src = (p * th + y) * tw;
        const wrow = y * tw;
        for (let x = 0; x < tw; x++) this.acc[dst + x] += weights[wrow + x] * tile.data[src + x];
      }
    }
  }

  result(): Tensor {
    const { batch, channels, height: h, width: w } = this;
    const out = new Float32Array(this.acc.length);
    const hw = h * w;
    for (let i = 0; i < out.length; i++) {
      const s = this.wsum[i % hw];
      if (!(s > 0)) throw new RangeError('TileAccumulator: a pixel was not covered by any tile');
      out[i] = this.acc[i] / s;
    }
    return { data: out, shape: [batch, channels, h, w] };
  }
}
