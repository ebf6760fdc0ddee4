import type { Denoiser, DenoiserCondition } from '../denoiser/types';
import { concatBatch, splitBatch } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { type AbortSignalLike, throwIfAborted } from '../util/abort';
import { gaussianTileWeights, type TileMidpoint } from './gaussian-weights';
import { sliceWindow, TileAccumulator } from './slice';
import { type TileLayout, type TileWindow, tileGrid } from './windows';

/** Progress of a tiled call: tile `index` of `count` has finished. */
export interface TileProgress {
  readonly index: number;
  readonly count: number;
  readonly window: TileWindow;
}

export interface TiledDenoiserOptions {
  /** Tile side in latent pixels. Default 64 (512 px for the SD VAE). */
  readonly tile?: number;
  /** Step between tiles. Default 32 (half overlap). */
  readonly stride?: number;
  /** Gaussian midpoint convention (see gaussianTileWeights). Default 'symmetric'. */
  readonly midpoint?: TileMidpoint;
  /**
   * Window placement (see TileLayout). Default 'even': same tile count as the reference's
   * layout but no near-coincident last tile, whose borders leak seams (docs/tiling.md).
   */
  readonly layout?: TileLayout;
  /** Tiles run together in one call (stacked on the batch axis, context repeated). Default 1. */
  readonly batchTiles?: number;
  /** Called after each tile (each tile of a batched call in turn). */
  readonly onTile?: (progress: TileProgress) => void;
  /** Checked before every tile call; an aborted signal rejects with AbortError. */
  readonly signal?: AbortSignalLike;
}

/**
 * Tiled diffusion (StableSR/DiffBIR aggregation sampling): x larger than one tile is split
 * into overlapping latent tiles, each tile runs with its slice of cond.control and the shared
 * context/controlScales, and the raw model outputs are blended with separable Gaussian
 * weights; the sampler then takes one step on the full latent. Inputs that fit one tile go
 * straight to the wrapped denoiser.
 */
export function tiledDenoiser(denoiser: Denoiser, options: TiledDenoiserOptions = {}): Denoiser {
  const tile = options.tile ?? 64;
  const stride = options.stride ?? 32;
  const midpoint = options.midpoint ?? 'symmetric';
  const batchTiles = options.batchTiles ?? 1;
  if (!Number.isInteger(batchTiles) || batchTiles < 1)
    throw new RangeError(`tiledDenoiser: bad batchTiles ${batchTiles}`);
  return async (x, timestep, cond) => {
    if (x.shape.length !== 4) throw new RangeError(`tiledDenoiser: x must be NCHW, got [${x.shape.join(', ')}]`);
    const [b, , h, w] = x.shape;
    if (h <= tile && w <= tile) {
      throwIfAborted(options.signal);
      return denoiser(x, timestep, cond);
    }
    const control = cond.control;
    if (
      control &&
      (control.shape.length !== 4 || control.shape[0] !== b || control.shape[2] !== h || control.shape[3] !== w)
    ) {
      throw new RangeError(
        `tiledDenoiser: control [${control.shape.join(', ')}] is not on x's grid [${x.shape.join(', ')}]`,
      );
    }
    const windows = tileGrid(h, w, tile, stride, { layout: options.layout ?? 'even' });
    const weights = gaussianTileWeights(windows[0].height, windows[0].width, midpoint);
    let acc: TileAccumulator | undefined;
    for (let start = 0; start < windows.length; start += batchTiles) {
      throwIfAborted(options.signal);
      const group = windows.slice(start, start + batchTiles);
      const xs = group.map((win) => sliceWindow(x, win));
      const sub: DenoiserCondition = {
        ...cond,
        control: control ? joinTiles(group.map((win) => sliceWindow(control, win))) : undefined,
        context: cond.context && group.length > 1 ? concatBatch(group.map(() => cond.context!)) : cond.context,
      };
      const out = await denoiser(joinTiles(xs), timestep, sub);
      if (out.shape.length !== 4 || out.shape[0] !== b * group.length) {
        throw new RangeError(
          `tiledDenoiser: the denoiser returned [${out.shape.join(', ')}] for ${group.length} tile(s) of batch ${b}`,
        );
      }
      acc ??= new TileAccumulator(b, out.shape[1], h, w);
      const parts =
        group.length > 1
          ? splitBatch(
              out,
              group.map(() => b),
            )
          : [out];
      group.forEach((win, k) => {
        acc!.add(parts[k], win, weights);
        options.onTile?.({ index: start + k, count: windows.length, window: win });
      });
    }
    return acc!.result();
  };
}

function joinTiles(tiles: Tensor[]): Tensor {
  return tiles.length === 1 ? tiles[0] : concatBatch(tiles);
}
