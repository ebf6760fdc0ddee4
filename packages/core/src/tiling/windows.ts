/** One tile: top-left corner and size, in the tiled tensor's own pixels. */
export interface TileWindow {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Start offsets of sliding windows of size `tile` and step `stride` over `length`, with a
 * last window moved back to end exactly at the edge; a single window [0] when
 * length <= tile (that window is then only `length` long).
 */
export function tileStarts(length: number, tile: number, stride: number): number[] {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`tileStarts: bad length ${length}`);
  if (!Number.isInteger(tile) || tile < 1) throw new RangeError(`tileStarts: bad tile ${tile}`);
  if (!Number.isInteger(stride) || stride < 1 || stride > tile) {
    throw new RangeError(`tileStarts: stride must be an integer in [1, tile], got ${stride}`);
  }
  if (length <= tile) return [0];
  const starts: number[] = [];
  for (let s = 0; s + tile <= length; s += stride) starts.push(s);
  const last = length - tile;
  if (starts[starts.length - 1] !== last) starts.push(last);
  return starts;
}

/** Row-major grid of tiles covering an h x w plane (see tileStarts). */
export function tileGrid(h: number, w: number, tile: number, stride: number): TileWindow[] {
  const rows = tileStarts(h, tile, stride);
  const cols = tileStarts(w, tile, stride);
  const height = Math.min(tile, h);
  const width = Math.min(tile, w);
  const out: TileWindow[] = [];
  for (const top of rows) for (const left of cols) out.push({ top, left, height, width });
  return out;
}
