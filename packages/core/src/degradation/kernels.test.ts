import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/degradation.json';
import { besselJ1 } from './bessel';
import {
  type BlurKernel,
  gaussianKernel,
  generalizedGaussianKernel,
  padKernel,
  plateauKernel,
  pulseKernel,
  separableFactors,
  sincKernel,
  sincKernelValue,
  trimKernel,
} from './kernels';

const sum = (k: BlurKernel) => k.data.reduce((a, b) => a + b, 0);
const at = (k: BlurKernel, i: number, j: number) => k.data[i * k.size + j];
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const transpose = (k: BlurKernel): Float64Array => {
  const out = new Float64Array(k.data.length);
  for (let i = 0; i < k.size; i++) for (let j = 0; j < k.size; j++) out[j * k.size + i] = at(k, i, j);
  return out;
};

/** Closed form on the centred grid, normalised: f(x, y) with x along columns. */
function closedForm(size: number, f: (x: number, y: number) => number): Float64Array {
  const half = (size - 1) / 2;
  const out = new Float64Array(size * size);
  let s = 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      out[i * size + j] = f(j - half, i - half);
      s += out[i * size + j];
    }
  }
  return out.map((v) => v / s);
}

describe('Bessel J1', () => {
  it('matches scipy.special.j1 to 1e-10 on [0, 60]', () => {
    const { x, j1 } = fixture.bessel_j1;
    for (let i = 0; i < x.length; i++) expect(Math.abs(besselJ1(x[i]) - j1[i])).toBeLessThan(1e-10);
  });
  it('vanishes at the tabulated zeros of J1 and is odd', () => {
    // First zeros of J1 (Abramowitz & Stegun table 9.5).
    for (const z of [3.8317059702, 7.0155866698, 10.1734681351, 13.3236919363, 16.4706300509]) {
      expect(Math.abs(besselJ1(z))).toBeLessThan(1e-9);
    }
    expect(besselJ1(-2.5)).toBe(-besselJ1(2.5));
    expect(besselJ1(0)).toBe(0);
  });
});

describe('kernel families', () => {
  it('all sum to 1', () => {
    const kernels = [
      gaussianKernel(21, { sigmaX: 2 }),
      gaussianKernel(15, { sigmaX: 3, sigmaY: 0.4, theta: 1 }),
      generalizedGaussianKernel(13, { sigmaX: 1.2, sigmaY: 2, theta: -0.3 }, 0.6),
      plateauKernel(9, { sigmaX: 1.1 }, 1.7),
      sincKernel(17, 1.3),
    ];
    for (const k of kernels) expect(Math.abs(sum(k) - 1)).toBeLessThan(1e-12);
  });

  it('isotropic Gaussian equals the closed form and is separable', () => {
    const s = 1.7;
    const k = gaussianKernel(11, { sigmaX: s });
    expect(
      maxDiff(
        k.data,
        closedForm(11, (x, y) => Math.exp(-(x * x + y * y) / (2 * s * s))),
      ),
    ).toBeLessThan(1e-15);
    const f = separableFactors(k);
    expect(f).not.toBeNull();
    const g = closedForm(11, (x) => Math.exp(-(x * x) / (2 * s * s))).slice(0, 11);
    const gs = g.reduce((a, b) => a + b, 0);
    expect(
      maxDiff(
        f!.horizontal,
        g.map((v) => v / gs),
      ),
    ).toBeLessThan(1e-14);
  });

  it('axis-aligned anisotropic Gaussian, generalized and plateau equal their closed forms', () => {
    const [sx, sy, beta] = [2.4, 0.9, 1.6];
    const q = (x: number, y: number) => (x * x) / (sx * sx) + (y * y) / (sy * sy);
    const shape = { sigmaX: sx, sigmaY: sy, theta: 0 };
    expect(
      maxDiff(
        gaussianKernel(13, shape).data,
        closedForm(13, (x, y) => Math.exp(-q(x, y) / 2)),
      ),
    ).toBeLessThan(1e-15);
    expect(
      maxDiff(
        generalizedGaussianKernel(13, shape, beta).data,
        closedForm(13, (x, y) => Math.exp(-(q(x, y) ** beta) / 2)),
      ),
    ).toBeLessThan(1e-15);
    expect(
      maxDiff(
        plateauKernel(13, shape, beta).data,
        closedForm(13, (x, y) => 1 / (1 + q(x, y) ** beta)),
      ),
    ).toBeLessThan(1e-15);
    // beta = 1 reduces the generalized Gaussian to the Gaussian.
    expect(maxDiff(generalizedGaussianKernel(13, shape, 1).data, gaussianKernel(13, shape).data)).toBeLessThan(1e-15);
  });

  it('sigma_x lies along columns (x) at theta = 0', () => {
    const k = gaussianKernel(9, { sigmaX: 3, sigmaY: 0.5, theta: 0 });
    // Wide along a row, narrow along a column.
    expect(at(k, 4, 0)).toBeGreaterThan(100 * at(k, 0, 4));
  });

  it('rotation: theta + pi/2 with swapped sigmas is the same kernel; transposing maps theta to pi/2 - theta', () => {
    for (const [sx, sy, theta] of [
      [2.5, 0.7, 0.4],
      [1.1, 3, -2.1],
    ]) {
      const k = gaussianKernel(15, { sigmaX: sx, sigmaY: sy, theta });
      expect(
        maxDiff(k.data, gaussianKernel(15, { sigmaX: sy, sigmaY: sx, theta: theta + Math.PI / 2 }).data),
      ).toBeLessThan(1e-15);
      expect(
        maxDiff(transpose(k), gaussianKernel(15, { sigmaX: sx, sigmaY: sy, theta: Math.PI / 2 - theta }).data),
      ).toBeLessThan(1e-15);
      expect(maxDiff(k.data, gaussianKernel(15, { sigmaX: sx, sigmaY: sy, theta: theta + Math.PI }).data)).toBeLessThan(
        1e-15,
      );
      const p = plateauKernel(15, { sigmaX: sx, sigmaY: sy, theta }, 1.3);
      expect(
        maxDiff(transpose(p), plateauKernel(15, { sigmaX: sx, sigmaY: sy, theta: Math.PI / 2 - theta }, 1.3).data),
      ).toBeLessThan(1e-15);
    }
  });

  it('every family is point-symmetric; isotropic ones are also transpose-symmetric; rotated ones are not', () => {
    const kernels = [
      gaussianKernel(15, { sigmaX: 2.5, sigmaY: 0.7, theta: 0.4 }),
      generalizedGaussianKernel(11, { sigmaX: 1.5, sigmaY: 0.8, theta: 1.1 }, 2.2),
      plateauKernel(11, { sigmaX: 1.5, sigmaY: 0.8, theta: -0.5 }, 1.2),
      sincKernel(13, 1.4),
    ];
    for (const k of kernels) {
      const n = k.size;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) expect(at(k, i, j)).toBeCloseTo(at(k, n - 1 - i, n - 1 - j), 15);
      }
    }
    const iso = plateauKernel(11, { sigmaX: 1.5 }, 1.2);
    expect(maxDiff(iso.data, transpose(iso))).toBeLessThan(1e-16);
    expect(maxDiff(kernels[0].data, transpose(kernels[0]))).toBeGreaterThan(1e-3);
  });

  it('matches the NumPy reference kernels (tools/fixtures/gen_degradation.py)', () => {
    for (const c of fixture.kernels) {
      const shape = { sigmaX: c.sigmaX, sigmaY: c.sigmaY, theta: c.theta };
      const k =
        c.kind === 'gaussian'
          ? gaussianKernel(c.size, shape)
          : c.kind === 'generalized'
            ? generalizedGaussianKernel(c.size, shape, c.beta as number)
            : plateauKernel(c.size, shape, c.beta as number);
      expect(maxDiff(k.data, c.data), `${c.kind} ${c.size}`).toBeLessThan(1e-13);
    }
  });
});

describe('sinc (circular low-pass) kernel', () => {
  it('has centre value omega^2 / (4 pi) before normalisation, the limit of the formula at r -> 0', () => {
    for (const omega of [Math.PI / 5, 1.3, Math.PI]) {
      expect(sincKernelValue(omega, 0)).toBe((omega * omega) / (4 * Math.PI));
      expect(sincKernelValue(omega, 1e-5)).toBeCloseTo((omega * omega) / (4 * Math.PI), 9);
    }
  });
  it('matches scipy.special.j1-based kernels, including the centre value', () => {
    for (const c of fixture.sinc) {
      expect(sincKernelValue(c.omega, 0)).toBeCloseTo(c.centre, 15);
      expect(maxDiff(sincKernel(c.size, c.omega).data, c.data), `sinc ${c.size}`).toBeLessThan(1e-11);
    }
  });
  it('is not separable', () => {
    expect(separableFactors(sincKernel(11, 1.2))).toBeNull();
  });
});

describe('padding and trimming', () => {
  it('zero-pads symmetrically to 21 and trims back', () => {
    const k = gaussianKernel(7, { sigmaX: 1.2, sigmaY: 0.6, theta: 0.3 });
    const p = padKernel(k, 21);
    expect(p.size).toBe(21);
    expect(sum(p)).toBeCloseTo(1, 14);
    expect(at(p, 7, 7)).toBe(at(k, 0, 0));
    expect(at(p, 10, 10)).toBe(at(k, 3, 3));
    expect(at(p, 6, 10)).toBe(0);
    const t = trimKernel(p);
    expect(t.size).toBe(7);
    expect(Array.from(t.data)).toEqual(Array.from(k.data));
  });
  it('the pulse is the identity kernel', () => {
    const p = pulseKernel(21);
    expect(sum(p)).toBe(1);
    expect(at(p, 10, 10)).toBe(1);
    expect(trimKernel(p).size).toBe(1);
  });
});
