import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensor/tensor';
import { imageFromPixels, imageToPixels, mergeAlpha, splitAlpha, toRgb } from './convert';

describe('imageFromPixels / imageToPixels', () => {
  it('reads interleaved HWC into planar NCHW in [0,1]', () => {
    // 2x1 RGB: (10,20,30), (40,50,60)
    const t = imageFromPixels(Uint8Array.from([10, 20, 30, 40, 50, 60]), 2, 1, 3);
    expect(t.shape).toEqual([1, 3, 1, 2]);
    expect(Array.from(t.data)).toEqual([10, 40, 20, 50, 30, 60].map((v) => Math.fround(v / 255)));
    const t16 = imageFromPixels(Uint16Array.from([0, 65535, 32768]), 1, 1, 3);
    expect(Array.from(t16.data)).toEqual([0, 1, Math.fround(32768 / 65535)]);
  });

  it('round-trips every 8-bit level with both rounding modes and every sampled 16-bit level', () => {
    const all = Uint8ClampedArray.from({ length: 256 * 3 }, (_, i) => i % 256);
    const t = imageFromPixels(all, 256, 1, 3);
    expect(Array.from(imageToPixels(t, { rounding: 'round' }))).toEqual(Array.from(all));
    expect(Array.from(imageToPixels(t, { rounding: 'truncate' }))).toEqual(Array.from(all));
    const levels = Uint16Array.from({ length: 4096 }, (_, i) => (i * 16 + (i % 16)) % 65536);
    const t16 = imageFromPixels(levels, 4096, 1, 1);
    expect(Array.from(imageToPixels(t16, { bitDepth: 16 }))).toEqual(Array.from(levels));
  });

  it("'truncate' floors like the reference's uint8 cast, 'round' rounds, both clamp", () => {
    const t: Tensor = { data: Float32Array.from([0.999, 0.5, 0.0021, -0.3, 1.7, Number.NaN]), shape: [1, 1, 1, 6] };
    // 0.999*255 = 254.745, 0.5*255 = 127.5 (tie -> even 128), 0.0021*255 = 0.5355
    expect(Array.from(imageToPixels(t, { rounding: 'truncate' }))).toEqual([254, 127, 0, 0, 255, 0]);
    expect(Array.from(imageToPixels(t, { rounding: 'round' }))).toEqual([255, 128, 1, 0, 255, 0]);
    const t16 = imageToPixels(t, { bitDepth: 16, rounding: 'truncate' });
    expect(t16).toBeInstanceOf(Uint16Array);
    expect(Array.from(t16)).toEqual([65469, 32767, 137, 0, 65535, 0]);
  });

  it('writes interleaved output for the chosen batch image', () => {
    const t: Tensor = { data: Float32Array.from([0, 1, 0, 1, 1, 0, 1, 0]), shape: [2, 2, 1, 2] };
    expect(Array.from(imageToPixels(t, { batchIndex: 1 }))).toEqual([255, 255, 0, 0]);
    expect(() => imageToPixels(t, { batchIndex: 2 })).toThrow(RangeError);
  });

  it('checks the buffer length', () => {
    expect(() => imageFromPixels(new Uint8Array(5), 2, 1, 3)).toThrow(RangeError);
  });
});

describe('alpha and channel helpers', () => {
  const rgba = imageFromPixels(Uint8Array.from([255, 0, 0, 128, 0, 255, 0, 255]), 2, 1, 4);

  it('splits RGBA into RGB + alpha and merges back', () => {
    const { rgb, alpha } = splitAlpha(rgba);
    expect(rgb.shape).toEqual([1, 3, 1, 2]);
    expect(alpha?.shape).toEqual([1, 1, 1, 2]);
    expect(Array.from(alpha?.data ?? [])).toEqual([128 / 255, 1].map(Math.fround));
    expect(Array.from(mergeAlpha(rgb, alpha as Tensor).data)).toEqual(Array.from(rgba.data));
  });

  it('gives no alpha for RGB or gray', () => {
    const rgb = toRgb(rgba);
    expect(splitAlpha(rgb).alpha).toBeUndefined();
    expect(splitAlpha(rgb).rgb).toBe(rgb);
  });

  it('broadcasts gray to RGB and drops alpha from gray+alpha, batch by batch', () => {
    const ga: Tensor = { data: Float32Array.from([0.1, 0.2, 0.9, 0.9, 0.3, 0.4, 0.8, 0.8]), shape: [2, 2, 1, 2] };
    const rgb = toRgb(ga);
    expect(rgb.shape).toEqual([2, 3, 1, 2]);
    expect(Array.from(rgb.data)).toEqual([0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.3, 0.4, 0.3, 0.4, 0.3, 0.4].map(Math.fround));
    expect(() => toRgb({ data: new Float32Array(5), shape: [1, 5, 1, 1] })).toThrow(RangeError);
  });

  it('mergeAlpha checks sizes', () => {
    expect(() => mergeAlpha(toRgb(rgba), { data: new Float32Array(3), shape: [1, 1, 1, 3] })).toThrow(RangeError);
  });
});
