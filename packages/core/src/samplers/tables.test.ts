import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/schedules.json';
import { gaussianNoise } from '../random/noise';
import { ldmLinearSchedule } from '../schedules/ldm-schedule';
import { ddimTimesteps } from './ddim';
import { discreteVpTime } from './discrete-vp-time';
import { dpmSolverTimes } from './dpm-solver-pp';
import { edmSigmaSchedule } from './edm';
import { createSampler } from './registry';
import { spacedTimesteps } from './spaced-ddpm';

const ldm = ldmLinearSchedule();
const zsnr = ldmLinearSchedule({ prediction: 'v', zeroTerminalSnr: true });

describe('spaced (IDDPM respacing)', () => {
  it('50 steps: 0, 20, 41, ..., 979, 999 (values from the reference)', () => {
    const t = spacedTimesteps(1000, 50);
    expect(t.length).toBe(50);
    expect(t.slice(0, 3)).toEqual([0, 20, 41]);
    expect(t.slice(-2)).toEqual([979, 999]);
  });

  it('25 steps round half to even: 166 and 832, not 167 and 833', () => {
    const t = spacedTimesteps(1000, 25);
    expect(t).toContain(166);
    expect(t).toContain(832);
    expect(t).not.toContain(167);
    expect(t).not.toContain(833);
  });

  it('equals Python for k = 1..100 and 125, 250, 500, 999, 1000', () => {
    for (const [k, ref] of Object.entries(fixture.spaced)) expect(spacedTimesteps(1000, Number(k))).toEqual(ref);
  });

  it('the run walks the used steps downwards, feeding the original training index', () => {
    const run = createSampler({ kind: 'spaced' }).start({ schedule: ldm, steps: 50, noise: gaussianNoise(0) });
    expect(run.timesteps[0]).toBe(999);
    expect(run.timesteps.at(-1)).toBe(0);
    expect(() => spacedTimesteps(1000, 1001)).toThrow(RangeError);
  });
});

describe('ddim', () => {
  it('10 steps: 1, 101, ..., 901', () => {
    expect(ddimTimesteps(1000, 10)).toEqual([1, 101, 201, 301, 401, 501, 601, 701, 801, 901]);
  });

  it('equals the reference recipe for k = 1..100, 200, 250, 500 (more steps when k does not divide T)', () => {
    for (const [k, ref] of Object.entries(fixture.ddim)) {
      if (ref === null) expect(() => ddimTimesteps(1000, Number(k)), `k=${k}`).toThrow(RangeError);
      else expect(ddimTimesteps(1000, Number(k)), `k=${k}`).toEqual(ref);
    }
    expect(ddimTimesteps(1000, 7).length).toBe(8);
  });
});

describe('edm sigmas', () => {
  it('10 steps: timesteps 999, 899, ..., 99', () => {
    expect(edmSigmaSchedule(ldm.alphasCumprod, 10).timesteps).toEqual([
      999, 899, 799, 699, 599, 499, 399, 299, 199, 99,
    ]);
  });

  it('v2.1 (zero-SNR) 10-step sigmas: 1e4, 18.13, 7.41, 4.11, 2.60, 1.77, 1.24, 0.875, 0.595, 0.355, 0', () => {
    const { sigmas } = edmSigmaSchedule(zsnr.alphasCumprod, 10);
    const ref = [1e4, 18.13, 7.41, 4.11, 2.6, 1.77, 1.24, 0.875, 0.595, 0.355, 0];
    expect(sigmas.length).toBe(11);
    sigmas.forEach((s, i) => {
      expect(Math.abs(s - ref[i])).toBeLessThanOrEqual(i === 0 ? 1e-3 : 0.006);
    });
    expect(sigmas[10]).toBe(0);
  });

  it('equals NumPy for k = 1..50, 100, 200 on both schedules', () => {
    for (const [name, schedule] of [
      ['ldm', ldm],
      ['zeroSnr', zsnr],
    ] as const) {
      for (const [k, ref] of Object.entries(fixture.edm[name])) {
        const got = edmSigmaSchedule(schedule.alphasCumprod, Number(k));
        expect(got.timesteps, `${name} k=${k}`).toEqual(ref.timesteps);
        for (let i = 0; i < got.sigmas.length; i++) {
          expect(Math.abs(got.sigmas[i] - ref.sigmas[i]) / Math.max(ref.sigmas[i], 1e-12)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('the run starts from x_T sqrt(1 + sigma_0^2)', () => {
    const run = createSampler({ kind: 'euler' }).start({ schedule: ldm, steps: 10, noise: gaussianNoise(0) });
    const x = run.init({ data: new Float32Array([1, -2]), shape: [2] });
    expect(x.data[0]).toBeCloseTo(Math.sqrt(1 + 1e8 * (1 - 1e-8)), 2);
    expect(x.data[1] / x.data[0]).toBe(-2);
  });
});

describe('dpm-solver++ time axis (NoiseScheduleVP discrete)', () => {
  it.each([
    ['ldm', ldm],
    ['zeroSnr', zsnr],
  ] as const)('%s: lambda clip and log-alpha interpolation equal NumPy', (name, schedule) => {
    const ref = fixture.dpmSolver[name];
    const vp = discreteVpTime(schedule.alphasCumprod);
    expect(vp.clipped).toBe(ref.dropped);
    expect(vp.totalN).toBe(ref.totalN);
    ref.t.forEach((t, i) => {
      expect(Math.abs(vp.logAlpha(t) - ref.logAlpha[i])).toBeLessThan(1e-12);
    });
  });

  it('under zero SNR the reference clip drops 14 entries (986 remain); no clip keeps all with alpha_bar(1) = 0', () => {
    expect(discreteVpTime(zsnr.alphasCumprod).totalN).toBe(986);
    const full = discreteVpTime(zsnr.alphasCumprod, null);
    expect(full.totalN).toBe(1000);
    expect(full.alphaBar(1)).toBe(0);
    expect(full.lambda(1)).toBe(Number.NEGATIVE_INFINITY);
    expect(full.alphaBar(0.001)).toBeCloseTo(zsnr.alphasCumprod[0], 14);
  });

  it('model times are (t - 1/N) * 1000 on linspace(1, 1/N, steps + 1)', () => {
    const ts = dpmSolverTimes(1000, 10);
    expect(ts[0]).toBe(1);
    expect(ts[10]).toBe(0.001);
    const run = createSampler({ kind: 'dpm-solver++' }).start({ schedule: ldm, steps: 10, noise: gaussianNoise(0) });
    expect(run.timesteps.length).toBe(10);
    expect(run.timesteps[0]).toBeCloseTo(999, 9);
    expect(run.timesteps[1]).toBeCloseTo(899.1, 9);
    const clipped = createSampler({ kind: 'dpm-solver++' }).start({
      schedule: zsnr,
      steps: 10,
      noise: gaussianNoise(0),
    });
    expect(clipped.timesteps[0]).toBeCloseTo((1 - 1 / 986) * 1000, 9);
  });
});

describe('edm timestep lookup', () => {
  async function evaluated(spec: Parameters<typeof createSampler>[0]) {
    const seen: number[] = [];
    const run = createSampler(spec).start({ schedule: zsnr, steps: 10, noise: gaussianNoise(0) });
    let x = run.init({ data: new Float32Array(1), shape: [1] });
    for (let i = 0; i < run.timesteps.length; i++) {
      x = await run.step(x, i, async (xi, at) => {
        seen.push(at.timestep);
        return { x0: xi, eps: xi };
      });
    }
    return seen;
  }

  it("'run' (reference): a dpm2 midpoint takes the timestep of the run's nearest sigma", async () => {
    const seen = await evaluated({ kind: 'dpm2' });
    // sqrt(1e4 * 18.13) = 426 is nearer to 18.13 than to 1e4 in absolute terms, so it is fed 899.
    expect(seen.slice(0, 4)).toEqual([999, 899, 899, 799]);
    expect(seen).toHaveLength(19);
  });

  it("'training': the midpoint gets the log-nearest training index", async () => {
    const seen = await evaluated({ kind: 'dpm2', timestepLookup: 'training' });
    const sigmaMid = Math.sqrt(1e4 * edmSigmaSchedule(zsnr.alphasCumprod, 10).sigmas[1]);
    const table = Array.from(zsnr.alphasCumprod, (ab) => Math.sqrt((1 - ab) / ab));
    const logDist = (t: number) => Math.abs(Math.log(table[t]) - Math.log(sigmaMid));
    expect(seen[1]).toBeGreaterThan(899);
    expect(seen[1]).toBeLessThan(999);
    expect(logDist(seen[1])).toBeLessThanOrEqual(Math.min(logDist(seen[1] - 1), logDist(seen[1] + 1)));
    expect(seen[0]).toBe(999);
  });
});
