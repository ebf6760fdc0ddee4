import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensor/tensor';
import { cropImage, padImage, padToMultiple } from './pad';

const row = (t: Tensor, plane: number, y: number) => {
  const [, , h, w] = t.shape;
  return Array.from(t.data.subarray((plane * h + y) * w, (plane * h + y + 1) * w));
};

// 1 x 2 x 3 x 4, values 100*channel + 10*y + x
const img: Tensor = {
  data: Float32Array.from({ length: 24 }, (_, i) => 100 * Math.floor(i / 12) + 10 * Math.floor((i % 12) / 4) + (i % 4)),
  shape: [1, 2, 3, 4],
};

describe('padImage', () => {
  it('zero pads like F.pad constant 0', () => {
    const p = padImage(img, { top: 1, bottom: 0, left: 2, right: 1 }, 'zero');
    expect(p.shape).toEqual([1, 2, 4, 7]);
    expect(row(p, 0, 0)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(row(p, 1, 1)).toEqual([0, 0, 100, 101, 102, 103, 0]);
  });

  it('replicates edges', () => {
    const p = padImage(img, { top: 2, bottom: 1, left: 1, right: 2 }, 'replicate');
    expect(row(p, 0, 0)).toEqual([0, 0, 1, 2, 3, 3, 3]);
    expect(row(p, 1, 5)).toEqual([120, 120, 121, 122, 123, 123, 123]);
  });

  it('reflects without repeating the edge (F.pad reflect), and keeps going past the size', () => {
    const p = padImage(img, { top: 2, bottom: 2, left: 3, right: 3 }, 'reflect');
    // rows -2,-1 mirror to 2,1; rows 3,4 mirror to 1,0
    expect(row(p, 0, 0)).toEqual([23, 22, 21, 20, 21, 22, 23, 22, 21, 20]);
    expect(row(p, 0, 1)).toEqual([13, 12, 11, 10, 11, 12, 13, 12, 11, 10]);
    expect(row(p, 0, 6)).toEqual([3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    const far = padImage(img, { top: 0, bottom: 0, left: 5, right: 0 }, 'reflect');
    expect(row(far, 0, 0)).toEqual([1, 2, 3, 2, 1, 0, 1, 2, 3]); // period 2(n-1) = 6
  });

  it('pad then crop restores the image in every mode', () => {
    for (const mode of ['zero', 'replicate', 'reflect'] as const) {
      const p = padImage(img, { top: 1, bottom: 2, left: 3, right: 1 }, mode);
      expect(Array.from(cropImage(p, 1, 3, 3, 4).data)).toEqual(Array.from(img.data));
    }
  });

  it('rejects negative or fractional padding', () => {
    expect(() => padImage(img, { top: -1, bottom: 0, left: 0, right: 0 })).toThrow(RangeError);
    expect(() => padImage(img, { top: 0.5, bottom: 0, left: 0, right: 0 })).toThrow(RangeError);
  });
});

describe('padToMultiple / cropImage', () => {
  it('pads bottom and right only, to the next multiple', () => {
    const { image, padding } = padToMultiple(img, 4);
    expect(padding).toEqual({ top: 0, bottom: 1, left: 0, right: 0 });
    expect(image.shape).toEqual([1, 2, 4, 4]);
    expect(row(image, 1, 3)).toEqual([0, 0, 0, 0]);
    const big = padToMultiple({ data: new Float32Array(2 * 65 * 70), shape: [2, 1, 65, 70] }, 64, 'replicate');
    expect(big.image.shape).toEqual([2, 1, 128, 128]);
    expect(big.padding).toEqual({ top: 0, bottom: 63, left: 0, right: 58 });
  });

  it('leaves an aligned image unchanged', () => {
    const { image, padding } = padToMultiple(img, 1);
    expect(padding).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    expect(Array.from(image.data)).toEqual(Array.from(img.data));
  });

  it('crops the requested window and refuses windows outside the image', () => {
    const c = cropImage(img, 1, 1, 2, 2);
    expect(Array.from(c.data)).toEqual([11, 12, 21, 22, 111, 112, 121, 122]);
    expect(() => cropImage(img, 2, 0, 2, 4)).toThrow(RangeError);
  });
});
