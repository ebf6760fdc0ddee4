import { describe, expect, it } from 'vitest';
import { fixtureTensor, imageOps } from '../../test/fixtures/image-ops-fixture';
import { adainColourFix } from './adain';

describe('adainColourFix', () => {
  it('matches the reference adaptive_instance_normalization (unbiased var + 1e-5), reference of another size', () => {
    const c = imageOps.adain;
    const out = adainColourFix(fixtureTensor(c.image), fixtureTensor(c.reference));
    const want = fixtureTensor(c.output);
    expect(out.shape).toEqual(want.shape);
    let m = 0;
    for (let i = 0; i < out.data.length; i++) m = Math.max(m, Math.abs(out.data[i] - want.data[i]));
    expect(m).toBeLessThan(1e-5);
  });

  it('moves each channel to the reference mean and std (closed form on a two-value image)', () => {
    // channel values {0, 1} x 2: mean 0.5, unbiased var 1/3; reference {2, 4} x 2: mean 3, var 4/3
    const image = { data: Float32Array.from([0, 1, 0, 1]), shape: [1, 1, 2, 2] };
    const reference = { data: Float32Array.from([2, 4, 2, 4]), shape: [1, 1, 2, 2] };
    const gain = Math.sqrt(4 / 3 + 1e-5) / Math.sqrt(1 / 3 + 1e-5);
    const out = adainColourFix(image, reference);
    expect(out.data[0]).toBeCloseTo(3 - 0.5 * gain, 6);
    expect(out.data[1]).toBeCloseTo(3 + 0.5 * gain, 6);
  });

  it('rejects other batch or channel counts', () => {
    const a = { data: new Float32Array(12), shape: [1, 3, 2, 2] };
    expect(() => adainColourFix(a, { data: new Float32Array(8), shape: [1, 2, 2, 2] })).toThrow(RangeError);
  });
});
