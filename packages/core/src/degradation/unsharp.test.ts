import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/degradation.json';
import type { Tensor } from '../tensor/tensor';
import { opencvGaussianWindow, unsharpMask } from './unsharp';

describe('unsharpMask', () => {
  it('uses OpenCV sigma 0.3 ((n - 1)/2 - 1) + 0.8 = 8 for the 51 window', () => {
    const g = opencvGaussianWindow(51);
    const expected = Array.from({ length: 51 }, (_, i) => Math.exp(-((i - 25) ** 2) / (2 * 64)));
    const s = expected.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 51; i++) expect(g[i]).toBeCloseTo(expected[i] / s, 15);
  });

  it('matches the NumPy/SciPy reference (basicsr USMSharp formula)', () => {
    const im = fixture.images.usm;
    const img: Tensor = { data: Float32Array.from(im.data), shape: im.shape };
    const out = unsharpMask(img);
    let m = 0;
    for (let i = 0; i < out.data.length; i++) m = Math.max(m, Math.abs(out.data[i] - fixture.usm.output[i]));
    expect(m).toBeLessThan(2e-6);
  });

  it('leaves a flat image unchanged and sharpens an edge (overshoot on both sides)', () => {
    const flat: Tensor = { data: new Float32Array(3 * 30 * 30).fill(0.4), shape: [1, 3, 30, 30] };
    const f = unsharpMask(flat);
    for (let i = 0; i < f.data.length; i++) expect(f.data[i]).toBeCloseTo(0.4, 6);
    const edge: Tensor = { data: new Float32Array(64 * 64), shape: [1, 1, 64, 64] };
    for (let y = 0; y < 64; y++) for (let x = 32; x < 64; x++) edge.data[y * 64 + x] = 0.3;
    for (let y = 0; y < 64; y++) for (let x = 0; x < 32; x++) edge.data[y * 64 + x] = 0.6;
    const s = unsharpMask(edge);
    expect(s.data[32 * 64 + 31]).toBeGreaterThan(0.6);
    expect(s.data[32 * 64 + 32]).toBeLessThan(0.3);
  });
});
