import { describe, expect, it } from 'vitest';
import { createRng } from '../random/rng';
import { REALESRGAN_DEFAULTS } from './config';
import { gaussianKernel, plateauKernel, sincKernel } from './kernels';
import {
  type BlurKernelParams,
  buildBlurKernel,
  drawBlurKernelParams,
  drawFinalSincParams,
  drawKernelBeta,
} from './random-kernels';

/** |observed - expected| within 4 standard errors of a binomial proportion. */
function expectProportion(hits: number, n: number, p: number) {
  expect(Math.abs(hits / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-12);
}

describe('drawBlurKernelParams with the Real-ESRGAN first-order distribution', () => {
  const dist = REALESRGAN_DEFAULTS.first.kernel;
  const N = 6000;
  const rng = createRng(11);
  const draws: BlurKernelParams[] = Array.from({ length: N }, () => drawBlurKernelParams(rng, dist));

  it('picks sinc with p 0.1 and the six families with .45/.25/.12/.03/.12/.03 of the rest', () => {
    const sinc = draws.filter((d) => d.type === 'sinc').length;
    expectProportion(sinc, N, 0.1);
    const rest = N - sinc;
    const probs: Record<string, number> = {
      iso: 0.45,
      aniso: 0.25,
      generalized_iso: 0.12,
      generalized_aniso: 0.03,
      plateau_iso: 0.12,
      plateau_aniso: 0.03,
    };
    for (const [type, p] of Object.entries(probs))
      expectProportion(draws.filter((d) => d.type === type).length, rest, p);
  });

  it('draws odd sizes 7..21 uniformly', () => {
    for (const s of [7, 9, 11, 13, 15, 17, 19, 21])
      expectProportion(draws.filter((d) => d.size === s).length, N, 1 / 8);
    expect(draws.every((d) => d.size % 2 === 1 && d.size >= 7 && d.size <= 21)).toBe(true);
  });

  it('keeps sigmas, angles, betas and cut-offs in their ranges', () => {
    const inside = (v: number | undefined, lo: number, hi: number) => v !== undefined && v >= lo && v <= hi;
    const bad = draws.filter((d) => {
      if (d.type === 'sinc') return !inside(d.omega, d.size < 13 ? Math.PI / 3 : Math.PI / 5, Math.PI);
      if (!inside(d.sigmaX, 0.2, 3) || !inside(d.sigmaY, 0.2, 3)) return true;
      const iso = d.type === 'iso' || d.type === 'generalized_iso' || d.type === 'plateau_iso';
      if (iso && (d.sigmaY !== d.sigmaX || d.theta !== 0)) return true;
      if (!iso && !inside(d.theta, -Math.PI, Math.PI)) return true;
      if (d.type.startsWith('generalized')) return !inside(d.beta, 0.5, 4);
      if (d.type.startsWith('plateau')) return !inside(d.beta, 1, 2);
      return d.beta !== undefined;
    });
    expect(bad).toEqual([]);
    // sinc cut-offs below pi/3 only occur for sizes >= 13
    const wide = draws.filter((d) => d.type === 'sinc' && d.omega! < Math.PI / 3);
    expect(wide.length).toBeGreaterThan(0);
    expect(wide.every((d) => d.size >= 13)).toBe(true);
  });

  it('is JSON-serialisable and rebuilds into a kernel padded to 21', () => {
    for (const d of draws.slice(0, 50)) {
      const copy = JSON.parse(JSON.stringify(d)) as BlurKernelParams;
      expect(copy).toEqual(d);
      const k = buildBlurKernel(copy, 21);
      expect(k.size).toBe(21);
      expect(k.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });
});

describe('beta rule and final sinc', () => {
  it('beta is U[lo, 1] with p 0.5, else U[1, hi]', () => {
    const rng = createRng(5);
    const N = 8000;
    const betas = Array.from({ length: N }, () => drawKernelBeta(rng, [0.5, 4]));
    const below = betas.filter((b) => b < 1);
    expectProportion(below.length, N, 0.5);
    // mean of U[0.5, 1] is 0.75, of U[1, 4] is 2.5
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean(below) - 0.75)).toBeLessThan((4 * (0.5 / Math.sqrt(12))) / Math.sqrt(below.length));
    const above = betas.filter((b) => b >= 1);
    expect(Math.abs(mean(above) - 2.5)).toBeLessThan((4 * (3 / Math.sqrt(12))) / Math.sqrt(above.length));
  });

  it('final sinc is drawn with the given probability and cut-off range', () => {
    const rng = createRng(8);
    const N = 4000;
    const draws = Array.from({ length: N }, () => drawFinalSincParams(rng, 0.8, [7, 9, 11], [Math.PI / 3, Math.PI]));
    expectProportion(draws.filter((d) => d !== null).length, N, 0.8);
    const bad = draws.filter(
      (d) =>
        d !== null &&
        (d.type !== 'sinc' || !(d.omega! >= Math.PI / 3 && d.omega! <= Math.PI) || ![7, 9, 11].includes(d.size)),
    );
    expect(bad).toEqual([]);
    expect(buildBlurKernel(null, 21).data[220]).toBe(1);
  });

  it('buildBlurKernel reproduces the family functions', () => {
    const shape = { sigmaX: 1.3, sigmaY: 0.7, theta: 0.5 };
    expect(buildBlurKernel({ type: 'aniso', size: 9, ...shape }).data).toEqual(gaussianKernel(9, shape).data);
    expect(buildBlurKernel({ type: 'plateau_aniso', size: 9, ...shape, beta: 1.5 }).data).toEqual(
      plateauKernel(9, shape, 1.5).data,
    );
    expect(buildBlurKernel({ type: 'sinc', size: 11, omega: 2 }).data).toEqual(sincKernel(11, 2).data);
    expect(() => buildBlurKernel({ type: 'plateau_iso', size: 9, sigmaX: 1 })).toThrow(/beta/);
  });
});
