import type { Tensor } from '../tensor/tensor';
import { type AbortSignalLike, throwIfAborted } from '../util/abort';
import { featherTileWeights, gaussianTileWeights } from './gaussian-weights';
import { sliceWindow, TileAccumulator } from './slice';
import type { TileProgress } from './tiled-denoiser';
import { type TileLayout, type TileWindow, tileGrid } from './windows';

/**
 * Blending of overlapping output tiles: 'gaussian' (the section-9 weights, symmetric
 * midpoint), 'feather' (linear ramps over the overlap), 'uniform' (plain average; a
 * baseline that shows seams).
 */
export type TileBlend = 'gaussian' | 'feather' | 'uniform';

export interface RunTiledOptions {
  /** Input tile side in pixels. Default 512 (cleaner; 256 for low memory or the VAE). */
  readonly tile?: number;
  /** Input step between tiles. Default 256. */
  readonly stride?: number;
  /**
   * Output size / input size of fn: 4 for an x4 cleaner, 1 / 8 for a VAE encoder, 8 for a
   * decoder. Tile starts and sizes times scale must be integers. Default 1.
   */
  readonly scale?: number;
  /** Window placement (see TileLayout). Default 'even', as for tiledDenoiser. */
  readonly layout?: TileLayout;
  /** Default 'gaussian'. */
  readonly weights?: TileBlend;
  readonly signal?: AbortSignalLike;
  readonly onTile?: (progress: TileProgress) => void;
}

function scaled(v: number, scale: number, what: string): number {
  const s = v * scale;
  const r = Math.round(s);
  if (Math.abs(s - r) > 1e-6) throw new RangeError(`runTiled: ${what} ${v} times scale ${scale} is not an integer`);
  return r;
}

/** Smallest input step whose output size is whole: 8 for scale 1 / 8, 1 for integer scales. */
function alignmentFor(scale: number): number {
  for (let q = 1; q <= 1024; q++) if (Math.abs(q * scale - Math.round(q * scale)) < 1e-9) return q;
  throw new RangeError(`runTiled: scale ${scale} maps no input step below 1024 pixels to a whole output size`);
}

/**
 * Runs fn over overlapping tiles of an NCHW image and blends the outputs: a bounded-memory
 * way to apply a cleaner or a VAE to a large image. Exact for pointwise fns; for fns with a
 * receptive field or global statistics (the VAE's GroupNorm) it approximates the untiled
 * result, with the error documented in docs/tiling.md.
 */
export async function runTiled(
  image: Tensor,
  fn: (tile: Tensor) => Promise<Tensor>,
  options: RunTiledOptions = {},
): Promise<Tensor> {
  if (image.shape.length !== 4) throw new RangeError(`runTiled: image must be NCHW, got [${image.shape.join(', ')}]`);
  const tile = options.tile ?? 512;
  const stride = options.stride ?? 256;
  const scale = options.scale ?? 1;
  const blend = options.weights ?? 'gaussian';
  if (!(scale > 0)) throw new RangeError(`runTiled: bad scale ${scale}`);
  const [b, , h, w] = image.shape;
  const oh = scaled(h, scale, 'height');
  const ow = scaled(w, scale, 'width');
  const windows = tileGrid(h, w, tile, stride, { layout: options.layout ?? 'even', align: alignmentFor(scale) });
  const outWindows: TileWindow[] = windows.map((win) => ({
    top: scaled(win.top, scale, 'tile top'),
    left: scaled(win.left, scale, 'tile left'),
    height: scaled(win.height, scale, 'tile height'),
    width: scaled(win.width, scale, 'tile width'),
  }));
  const { height: th, width: tw } = outWindows[0];
  const ramp = scaled(tile - stride, scale, 'overlap');
  const weights =
    blend === 'gaussian'
      ? gaussianTileWeights(th, tw)
      : blend === 'feather'
        ? featherTileWeights(th, tw, ramp)
        : new Float32Array(th * tw).fill(1);
  let acc: TileAccumulator | undefined;
  for (let k = 0; k < windows.length; k++) {
    throwIfAborted(options.signal);
    const input =
      windows.length === 1 && windows[0].height === h && windows[0].width === w
        ? image
        : sliceWindow(image, windows[k]);
    const out = await fn(input);
    const win = outWindows[k];
    if (out.shape.length !== 4 || out.shape[0] !== b || out.shape[2] !== win.height || out.shape[3] !== win.width) {
      throw new RangeError(
        `runTiled: fn returned [${out.shape.join(', ')}] for a ${windows[k].height}x${windows[k].width} tile, expected [${b}, C, ${win.height}, ${win.width}]`,
      );
    }
    if (windows.length === 1) {
      options.onTile?.({ index: 0, count: 1, window: windows[0] });
      return out;
    }
    acc ??= new TileAccumulator(b, out.shape[1], oh, ow);
    acc.add(out, win, weights);
    options.onTile?.({ index: k, count: windows.length, window: windows[k] });
  }
  return acc!.result();
}
