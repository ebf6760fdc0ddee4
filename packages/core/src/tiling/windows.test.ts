import { describe, expect, it } from 'vitest';
import { tileGrid, tileStarts } from './windows';

// The reference's sliding_windows: range(0, n - tile + 1, stride), plus n - tile when it is off-grid.
function referenceStarts(n: number, tile: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = 0; s <= n - tile; s += stride) out.push(s);
  if ((n - tile) % stride !== 0) out.push(n - tile);
  return out;
}

describe('tileStarts', () => {
  it('matches the reference windows and covers every pixel with the last tile at the edge', () => {
    for (const [tile, stride] of [
      [64, 32],
      [64, 48],
      [16, 16],
      [7, 3],
      [5, 1],
    ]) {
      for (let n = tile + 1; n < tile + 70; n++) {
        const starts = tileStarts(n, tile, stride);
        expect(starts).toEqual(referenceStarts(n, tile, stride));
        expect(starts[0]).toBe(0);
        expect(starts[starts.length - 1]).toBe(n - tile);
        const covered = new Uint8Array(n);
        for (const s of starts) covered.fill(1, s, s + tile);
        expect(covered.every((c) => c === 1)).toBe(true);
        for (let k = 1; k < starts.length; k++) {
          expect(starts[k] - starts[k - 1]).toBeGreaterThan(0);
          expect(starts[k] - starts[k - 1]).toBeLessThanOrEqual(stride);
        }
      }
    }
  });
  it("'even' keeps the count and the edges, spaces windows evenly, and honours align", () => {
    for (const [tile, stride, align] of [
      [64, 32, 1],
      [64, 48, 1],
      [256, 128, 8],
      [24, 16, 8],
    ]) {
      for (let n = tile + align; n < tile + 300; n += align) {
        const ref = tileStarts(n, tile, stride);
        const even = tileStarts(n, tile, stride, { layout: 'even', align });
        expect(even.length).toBe(ref.length);
        expect(even[0]).toBe(0);
        expect(even[even.length - 1]).toBe(n - tile);
        const gaps = even.slice(1).map((s, k) => s - even[k]);
        expect(Math.max(...gaps)).toBeLessThanOrEqual(stride);
        expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(align);
        expect(even.every((s) => s % align === 0)).toBe(true);
      }
    }
    expect(tileStarts(130, 64, 32)).toEqual([0, 32, 64, 66]);
    expect(tileStarts(130, 64, 32, { layout: 'even' })).toEqual([0, 22, 44, 66]);
    expect(() => tileStarts(130, 64, 32, { align: 8 })).toThrow(/multiple/);
  });
  it('gives one window when the length fits in a tile', () => {
    expect(tileStarts(64, 64, 32)).toEqual([0]);
    expect(tileStarts(10, 64, 32)).toEqual([0]);
  });
  it('rejects a stride larger than the tile (gaps) and bad sizes', () => {
    expect(() => tileStarts(100, 32, 40)).toThrow(/stride/);
    expect(() => tileStarts(0, 32, 16)).toThrow(/length/);
  });
});

describe('tileGrid', () => {
  it('is row-major, clips the tile to small sides, and covers the plane', () => {
    const grid = tileGrid(40, 150, 64, 32);
    expect(grid.map((g) => g.left)).toEqual([0, 32, 64, 86]);
    expect(grid.every((g) => g.top === 0 && g.height === 40 && g.width === 64)).toBe(true);
    const g2 = tileGrid(100, 70, 64, 32);
    expect(g2.map((g) => [g.top, g.left])).toEqual([
      [0, 0],
      [0, 6],
      [32, 0],
      [32, 6],
      [36, 0],
      [36, 6],
    ]);
  });
});
