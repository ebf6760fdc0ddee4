import { describe, expect, it } from 'vitest';
import { fitAlpha, imageFromRgba, imageToRgba } from './image-pixels';

// 2 x 3 RGBA pixels, row-major, interleaved (ImageData's layout)
const W = 3;
const H = 2;
const rgba = Uint8ClampedArray.from([
  255, 0, 0, 255, /**/ 0, 255, 0, 128, /**/ 0, 0, 255, 0, 10, 20, 30, 255, /**/ 40, 50, 60, 255, /**/ 70, 80, 90, 1,
]);

describe('imageFromRgba', () => {
  it('splits planar RGB and alpha, each value / 255', () => {
    const { image, alpha } = imageFromRgba(rgba, W, H);
    expect(image.shape).toEqual([1, 3, H, W]);
    expect(alpha?.shape).toEqual([1, 1, H, W]);
    // R plane, then G, then B
    expect(Array.from(image.data, (v) => Math.round(v * 255))).toEqual([
      255, 0, 0, 10, 40, 70, 0, 255, 0, 20, 50, 80, 0, 0, 255, 30, 60, 90,
    ]);
    expect(Array.from(alpha!.data)).toEqual([1, 128 / 255, 0, 1, 1, 1 / 255].map(Math.fround));
  });

  it("drops an all-opaque alpha with 'auto', keeps it with 'keep', never with 'drop'", () => {
    const opaque = rgba.slice();
    for (let i = 3; i < opaque.length; i += 4) opaque[i] = 255;
    expect(imageFromRgba(opaque, W, H).alpha).toBeUndefined();
    expect(imageFromRgba(opaque, W, H, { alpha: 'keep' }).alpha?.shape).toEqual([1, 1, H, W]);
    expect(imageFromRgba(rgba, W, H, { alpha: 'drop' }).alpha).toBeUndefined();
  });

  it('refuses a buffer of the wrong length', () => {
    expect(() => imageFromRgba(new Uint8ClampedArray(5), W, H)).toThrow(/5 bytes for 3x2 RGBA/);
  });
});

describe('imageToRgba', () => {
  it('round-trips 8-bit RGBA exactly', () => {
    const out = imageToRgba(imageFromRgba(rgba, W, H, { alpha: 'keep' }));
    expect(out.width).toBe(W);
    expect(out.height).toBe(H);
    expect(Array.from(out.data)).toEqual(Array.from(rgba));
  });

  it('makes missing alpha opaque and broadcasts gray', () => {
    const gray = { data: Float32Array.of(0, 0.5, 1, 0.25, 0.75, 1), shape: [1, 1, H, W] };
    const out = imageToRgba({ image: gray });
    // 0.5 * 255 = 127.5 rounds half to even -> 128; 0.25 * 255 = 63.75 -> 64
    expect(Array.from(out.data.slice(0, 8))).toEqual([0, 0, 0, 255, 128, 128, 128, 255]);
    expect(Array.from(out.data.slice(12, 16))).toEqual([64, 64, 64, 255]);
  });

  it('fits alpha to an upscaled image', () => {
    const { image, alpha } = imageFromRgba(rgba, W, H, { alpha: 'keep' });
    const big = { data: new Float32Array(3 * 4 * 6), shape: [1, 3, 4, 6] };
    const out = imageToRgba({ image: big, alpha });
    expect(out.width).toBe(6);
    expect(out.height).toBe(4);
    expect(image.shape).toEqual([1, 3, H, W]);
  });
});

describe('fitAlpha', () => {
  it('returns the same tensor when the size fits', () => {
    const a = { data: new Float32Array(6), shape: [1, 1, 2, 3] };
    expect(fitAlpha(a, 2, 3)).toBe(a);
  });

  it('keeps a constant alpha constant and clamps bicubic overshoot into [0, 1]', () => {
    const flat = { data: new Float32Array(12).fill(0.4), shape: [1, 1, 3, 4] };
    const up = fitAlpha(flat, 9, 12);
    for (const v of up.data) expect(v).toBeCloseTo(0.4, 6);
    // a hard 0 -> 1 edge overshoots with a cubic kernel; the result must stay a valid alpha
    const edge = { data: Float32Array.of(0, 0, 1, 1, 0, 0, 1, 1), shape: [1, 1, 2, 4] };
    const r = fitAlpha(edge, 2, 16);
    expect(Math.min(...r.data)).toBe(0);
    expect(Math.max(...r.data)).toBe(1);
  });

  it('refuses more than one channel', () => {
    expect(() => fitAlpha({ data: new Float32Array(8), shape: [1, 2, 2, 2] }, 4, 4)).toThrow(/one channel/);
  });
});
