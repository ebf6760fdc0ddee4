import { describe, expect, it } from 'vitest';
import { fixtureTensor, imageOps } from '../../test/fixtures/image-ops-fixture';
import type { Tensor } from '../tensor/tensor';
import { type ResizeMode, resize, resizeBy } from './resize';

interface ResizeCase {
  input: string;
  mode: ResizeMode;
  antialias: boolean;
  height: number;
  width: number;
  factor?: [number, number];
  recomputeScale?: boolean;
  output: string;
}

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

const cases: ResizeCase[] = imageOps.resize;
const label = (c: ResizeCase) =>
  `${c.input.slice(-1)} ${c.mode}${c.antialias ? '+aa' : ''} -> ${c.height}x${c.width}` +
  (c.factor ? ` (factor ${c.factor.join('x')}${c.recomputeScale ? ', recomputed' : ''})` : '');

describe('resize matches F.interpolate(align_corners=False)', () => {
  it('covers every mode, both directions and antialias', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => `${c.mode}${c.antialias}`)).size).toBe(6);
  });

  it.each(cases.filter((c) => !c.factor).map((c) => [label(c), c] as const))('size= %s', (_l, c) => {
    const out = resize(fixtureTensor(c.input), c.height, c.width, { mode: c.mode, antialias: c.antialias });
    expect(maxDiff(out, fixtureTensor(c.output))).toBeLessThan(1e-5);
  });

  it.each(cases.filter((c) => c.factor).map((c) => [label(c), c] as const))('scale_factor= %s', (_l, c) => {
    const out = resizeBy(fixtureTensor(c.input), c.factor as [number, number], {
      mode: c.mode,
      antialias: c.antialias,
      recomputeScale: c.recomputeScale,
    });
    expect(maxDiff(out, fixtureTensor(c.output))).toBeLessThan(1e-5);
  });
});

describe('resize analytic properties', () => {
  const ramp: Tensor = {
    data: Float32Array.from({ length: 2 * 9 * 11 }, (_, i) => (i % 99) * 0.01),
    shape: [1, 2, 9, 11],
  };

  it('is the identity at the same size for every mode', () => {
    for (const mode of ['bicubic', 'bilinear', 'area', 'nearest'] as const) {
      for (const antialias of [false, true]) {
        const out = resize(ramp, 9, 11, { mode, antialias });
        expect(Array.from(out.data)).toEqual(Array.from(ramp.data));
        expect(out.data).not.toBe(ramp.data);
      }
    }
  });

  it('keeps constants constant (weights sum to one)', () => {
    const c: Tensor = { data: new Float32Array(3 * 7 * 5).fill(0.37), shape: [1, 3, 7, 5] };
    for (const mode of ['bicubic', 'bilinear', 'area', 'nearest'] as const) {
      for (const [h, w] of [
        [19, 3],
        [2, 13],
      ]) {
        const out = resize(c, h, w, { mode, antialias: true });
        for (const v of out.data) expect(v).toBeCloseTo(0.37, 6);
      }
    }
  });

  it('area by an integer factor is a block mean and nearest x2 repeats pixels', () => {
    const x: Tensor = {
      data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
      shape: [1, 1, 4, 4],
    };
    expect(Array.from(resize(x, 2, 2, { mode: 'area' }).data)).toEqual([3.5, 5.5, 11.5, 13.5]);
    const up = resize({ data: Float32Array.from([1, 2, 3, 4]), shape: [1, 1, 2, 2] }, 4, 4, { mode: 'nearest' });
    expect(Array.from(up.data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('rejects bad sizes and ranks', () => {
    expect(() => resize(ramp, 0, 4)).toThrow(RangeError);
    expect(() => resize(ramp, 2.5, 4)).toThrow(RangeError);
    expect(() => resize({ data: new Float32Array(4), shape: [2, 2] }, 2, 2)).toThrow(/NCHW/);
  });
});
