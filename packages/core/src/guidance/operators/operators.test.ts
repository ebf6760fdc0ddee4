import { describe, expect, it } from 'vitest';
import fixture from '../../../test/fixtures/guidance_tiling.json';
import { gaussianNoise } from '../../random/noise';
import type { Tensor } from '../../tensor/tensor';
import { blurOperator, boxKernel, gaussianBlurKernel } from './blur';
import { composeOperators } from './compose';
import { antiAliasKernel, downsampleOperator, subsampleOperator, superResolutionOperator } from './downsample';
import { identityOperator } from './identity';
import { maskOperator } from './mask';
import type { LinearOperator } from './types';

const t = (o: { shape: number[]; data: number[] }): Tensor => ({ data: Float32Array.from(o.data), shape: o.shape });
const noise = gaussianNoise(2024);

// float64 inner product, so the test's own rounding stays far below the tolerance.
function inner(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}

function expectAdjoint(A: LinearOperator, inputShape: number[], trials = 3): void {
  for (let k = 0; k < trials; k++) {
    const x = noise.randn(inputShape);
    const y = noise.randn(A.outputShape(inputShape));
    const Ax = A.apply(x);
    expect(Ax.shape).toEqual(A.outputShape(inputShape));
    const ATy = A.adjoint(y);
    expect(ATy.shape).toEqual(inputShape);
    const lhs = inner(Ax, y);
    const rhs = inner(x, ATy);
    // Relative to the Cauchy-Schwarz scale |Ax| |y|: the inner products themselves may cancel to ~0.
    const scale = Math.sqrt(inner(Ax, Ax) * inner(y, y));
    expect(scale).toBeGreaterThan(0);
    expect(Math.abs(lhs - rhs) / scale).toBeLessThan(1e-6);
  }
}

const maxDiff = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
};

describe('linear operators pass the adjoint test <Ax, y> = <x, A^T y>', () => {
  const soft = { data: noise.randn([1, 1, 10, 13]).data.map((v) => 1 / (1 + Math.exp(-v))), shape: [1, 1, 10, 13] };
  const asym = { data: noise.randn([3, 5]).data, shape: [3, 5] };
  const cases: [string, LinearOperator, number[]][] = [
    ['identity', identityOperator(), [2, 3, 10, 13]],
    ['mask (soft, broadcast)', maskOperator(soft), [2, 3, 10, 13]],
    ['blur 5x5 box', blurOperator(boxKernel(5)), [1, 3, 10, 13]],
    ['blur asymmetric 3x5 random', blurOperator(asym), [2, 2, 9, 7]],
    ['blur Gaussian larger than the image', blurOperator(gaussianBlurKernel(3)), [1, 1, 6, 8]],
    ['subsample x3 offset 2', subsampleOperator(3, { offset: 2 }), [1, 2, 12, 9]],
    [
      'subsample x2 with explicit odd input size',
      subsampleOperator(2, { offset: 0, inputSize: [11, 9] }),
      [1, 1, 11, 9],
    ],
    ['downsample x2', downsampleOperator(2), [1, 3, 12, 16]],
    ['super-resolution x4', superResolutionOperator(4), [2, 3, 16, 24]],
    [
      'compose(mask, blur, identity)',
      composeOperators(maskOperator(soft), blurOperator(asym), identityOperator()),
      [1, 2, 10, 13],
    ],
    [
      'compose(downsample x2, blur)',
      composeOperators(downsampleOperator(2), blurOperator(boxKernel(3))),
      [1, 1, 12, 10],
    ],
  ];
  it.each(cases)('%s', (_name, A, shape) => expectAdjoint(A, shape));
});

describe('operators match PyTorch', () => {
  it('blur = F.conv2d with zero padding; adjoint = conv_transpose2d', () => {
    const A = blurOperator(t(fixture.blur.kernel));
    expect(maxDiff(A.apply(t(fixture.blur.x)), t(fixture.blur.y))).toBeLessThan(1e-5);
    expect(maxDiff(A.adjoint(t(fixture.blur.v)), t(fixture.blur.adjointV))).toBeLessThan(1e-5);
  });
  it('downsample x4 = Gaussian(sigma 2) conv then [1::4, 1::4]; adjoint by autograd', () => {
    const { factor, offset } = fixture.downsample;
    expect(maxDiff(antiAliasKernel(factor), t(fixture.downsample.kernel))).toBeLessThan(1e-7);
    const A = downsampleOperator(factor, { offset });
    expect(maxDiff(A.apply(t(fixture.downsample.x)), t(fixture.downsample.y))).toBeLessThan(1e-5);
    expect(maxDiff(A.adjoint(t(fixture.downsample.v)), t(fixture.downsample.adjointV))).toBeLessThan(1e-5);
    // default phase for x4 is floor(3 / 2) = 1, as in the fixture
    expect(maxDiff(superResolutionOperator(4).apply(t(fixture.downsample.x)), t(fixture.downsample.y))).toBeLessThan(
      1e-5,
    );
  });
});

describe('operator shapes and errors', () => {
  it('compose applies right to left', () => {
    const A = composeOperators(
      subsampleOperator(2, { offset: 0 }),
      maskOperator({ data: new Float32Array([0, 1, 1, 0]), shape: [1, 1, 2, 2] }),
    );
    const x: Tensor = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
    expect(Array.from(A.apply(x).data)).toEqual([0]);
    expect(A.outputShape([1, 1, 2, 2])).toEqual([1, 1, 1, 1]);
  });
  it('rejects even kernels, bad factors and mismatched adjoint sizes', () => {
    expect(() => blurOperator({ data: new Float32Array(4), shape: [2, 2] })).toThrow(/odd/);
    expect(() => subsampleOperator(2, { offset: 2 })).toThrow(/offset/);
    expect(() => subsampleOperator(2, { inputSize: [9, 9] }).adjoint(noise.randn([1, 1, 4, 4]))).toThrow(
      /does not come from/,
    );
    expect(() => maskOperator(noise.randn([1, 1, 3, 3])).apply(noise.randn([1, 1, 4, 4]))).toThrow(/broadcast/);
  });
});
