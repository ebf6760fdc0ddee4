import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensor/tensor';
import { rgbToGray, rgbToY, rgbToYCbCr, yCbCrToRgb } from './color-space';

// pixels: black, white, red, green, blue, mid gray
const px = [
  [0, 0, 0],
  [1, 1, 1],
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [0.5, 0.5, 0.5],
];
const img: Tensor = {
  data: Float32Array.from([0, 1, 2].flatMap((c) => px.map((p) => p[c]))),
  shape: [1, 3, 1, px.length],
};

describe('colour spaces', () => {
  it('Y spans 16..235 with the BT.601 coefficients', () => {
    const y = rgbToY(img);
    expect(y.shape).toEqual([1, 1, 1, 6]);
    const want = [16, 235, 16 + 65.481, 16 + 128.553, 16 + 24.966, 16 + 219 / 2];
    want.forEach((v, i) => {
      expect(y.data[i]).toBeCloseTo(v, 4);
    });
  });

  it('gray uses 0.2989 / 0.5870 / 0.1140', () => {
    const g = rgbToGray(img);
    [0, 0.9999, 0.2989, 0.587, 0.114, 0.49995].forEach((v, i) => {
      expect(g.data[i]).toBeCloseTo(v, 6);
    });
  });

  it('YCbCr has neutral chroma for grays, BT.601 extremes for primaries, and inverts', () => {
    const ycc = rgbToYCbCr(img);
    const at = (c: number, i: number) => ycc.data[c * 6 + i] * 255;
    for (const i of [0, 1, 5]) {
      expect(at(1, i)).toBeCloseTo(128, 3);
      expect(at(2, i)).toBeCloseTo(128, 3);
    }
    expect(at(1, 4)).toBeCloseTo(240, 3); // blue: Cb max
    expect(at(2, 2)).toBeCloseTo(240, 3); // red: Cr max
    const back = yCbCrToRgb(ycc);
    for (let i = 0; i < img.data.length; i++) expect(back.data[i]).toBeCloseTo(img.data[i], 5);
  });

  it('requires three channels', () => {
    expect(() => rgbToY({ data: new Float32Array(4), shape: [1, 1, 2, 2] })).toThrow(/3 channels/);
  });
});
