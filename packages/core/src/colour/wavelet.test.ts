import { describe, expect, it } from 'vitest';
import { fixtureTensor, imageOps } from '../../test/fixtures/image-ops-fixture';
import type { Tensor } from '../tensor/tensor';
import { waveletBlur, waveletColourFix, waveletDecompose } from './wavelet';

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

interface BlurCase {
  radius: number;
  image: string;
  output: string;
}
interface WaveletCase {
  levels: number;
  image: string;
  reference: string;
  low: string;
  output: string;
}
const blurCases: BlurCase[] = imageOps.waveletBlur;
const waveletCases: WaveletCase[] = imageOps.wavelet;

describe('wavelet colour fix against the reference (F.pad replicate + dilated depthwise F.conv2d)', () => {
  it.each(blurCases.map((c) => [c.radius, c] as const))('blur at dilation %i', (_r, c) => {
    const out = waveletBlur(fixtureTensor(c.image), c.radius);
    expect(maxDiff(out, fixtureTensor(c.output))).toBeLessThan(1e-6);
  });

  it.each(waveletCases.map((c, i) => [i, c.levels, c] as const))(
    'case %i, %i levels: low band and fixed image',
    (_i, levels, c) => {
      const image = fixtureTensor(c.image);
      const reference = fixtureTensor(c.reference);
      const bands = waveletDecompose(image, { levels });
      expect(maxDiff(bands.low, fixtureTensor(c.low))).toBeLessThan(1e-5);
      expect(maxDiff(waveletColourFix(image, reference, { levels }), fixtureTensor(c.output))).toBeLessThan(1e-5);
    },
  );
});

describe('wavelet colour fix properties', () => {
  const noise = (seed: number, shape: number[]): Tensor => {
    let s = seed;
    const n = shape.reduce((a, b) => a * b, 1);
    return {
      data: Float32Array.from({ length: n }, () => {
        s = (s * 1103515245 + 12345) % 2147483648;
        return s / 2147483648;
      }),
      shape,
    };
  };

  it('bands add back to the image', () => {
    const x = noise(7, [2, 3, 17, 23]);
    const { high, low } = waveletDecompose(x);
    for (let i = 0; i < x.data.length; i++) expect(high.data[i] + low.data[i]).toBeCloseTo(x.data[i], 6);
  });

  it('fixing against itself is the identity; a constant reference sets the mean colour', () => {
    const x = noise(3, [1, 3, 20, 20]);
    expect(maxDiff(waveletColourFix(x, x), x)).toBeLessThan(1e-6);
    const grey: Tensor = { data: new Float32Array(x.data.length).fill(0.25), shape: [1, 3, 20, 20] };
    const out = waveletColourFix(x, grey);
    // the blur is mean-preserving (replicate padding aside), so the high band has ~zero mean
    const hw = 400;
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let i = 0; i < hw; i++) s += out.data[c * hw + i];
      expect(Math.abs(s / hw - 0.25)).toBeLessThan(0.05);
    }
  });

  it('rejects mismatched shapes', () => {
    expect(() => waveletColourFix(noise(1, [1, 3, 8, 8]), noise(1, [1, 3, 8, 9]))).toThrow(RangeError);
  });
});
