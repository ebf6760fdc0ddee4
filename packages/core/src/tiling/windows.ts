/** One tile: top-left corner and size, in the tiled tensor's own pixels. */
export interface TileWindow {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/**
 * How windows are placed. 'reference' (DiffBIR/StableSR): starts 0, stride, 2 stride, ...
 * plus a last window moved back to end at the edge, which can nearly coincide with the one
 * before it. 'even': the same number of windows, spread evenly from 0 to length - tile
 * (every gap <= stride), so no tile border falls where the other tiles are also near theirs.
 */
export type TileLayout = 'reference' | 'even';

/** Where windows go: the layout, and a grid their starts must sit on. */
export interface TilePlacement {
  /** Default 'reference'. */
  readonly layout?: TileLayout;
  /**
   * Every start is a multiple of this (tile, stride and length - tile must be too), e.g. 8
   * for pixel tiles that a VAE encoder maps to latent tiles. Default 1.
   */
  readonly align?: number;
}

/**
 * Start offsets of sliding windows of size `tile` and step at most `stride` over `length`,
 * the first at 0 and the last ending exactly at the edge; a single window [0] when
 * length <= tile (that window is then only `length` long).
 */
export function tileStarts(length: number, tile: number, stride: number, options: TilePlacement = {}): number[] {
  const layout = options.layout ?? 'reference';
  const align = options.align ?? 1;
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`tileStarts: bad length ${length}`);
  if (!Number.isInteger(tile) || tile < 1) throw new RangeError(`tileStarts: bad tile ${tile}`);
  if (!Number.isInteger(stride) || stride < 1 || stride > tile) {
    throw new RangeError(`tileStarts: stride must be an integer in [1, tile], got ${stride}`);
  }
  if (!Number.isInteger(align) || align < 1 || tile % align !== 0 || stride % align !== 0) {
    throw new RangeError(`tileStarts: tile ${tile} and stride ${stride} must be multiples of align ${align}`);
  }
  if (length <= tile) return [0];
  if ((length - tile) % align !== 0) {
    throw new RangeError(`tileStarts: length ${length} minus tile ${tile} must be a multiple of align ${align}`);
  }
  if (layout === 'even') {
    const count = Math.ceil((length - tile) / stride) + 1;
    const units = (length - tile) / align;
    return Array.from({ length: count }, (_, k) => Math.round((k * units) / (count - 1)) * align);
  }
  const starts: number[] = [];
  for (let s = 0; s + tile <= length; s += stride) starts.push(s);
  const last = length - tile;
  if (starts[starts.length - 1] !== last) starts.push(last);
  return starts;
}

/** Row-major grid of tiles covering an h x w plane (see tileStarts). */
export function tileGrid(
  h: number,
  w: number,
  tile: number,
  stride: number,
  placement: TilePlacement = {},
): TileWindow[] {
  const rows = tileStarts(h, tile, stride, placement);
  const cols = tileStarts(w, tile, stride, placement);
  const height = Math.min(tile, h);
  const width = Math.min(tile, w);
  const out: TileWindow[] = [];
  for (const top of rows) for (const left of cols) out.push({ top, left, height, width });
  return out;
}
