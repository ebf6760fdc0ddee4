import { describe, expect, it } from 'vitest';
import { gaussianNoise } from '../random/noise';
import { ldmLinearSchedule } from '../schedules/ldm-schedule';
import { createSampler, REFERENCE_SAMPLER_NAMES, SAMPLER_NAMES, samplerFromReferenceName } from './registry';

describe('sampler registry', () => {
  it('creates every listed kind, each with a working run', () => {
    const schedule = ldmLinearSchedule();
    const names = new Set<string>();
    for (const kind of SAMPLER_NAMES) {
      const sampler = createSampler({ kind } as never);
      names.add(sampler.name);
      const run = sampler.start({ schedule, steps: 10, noise: gaussianNoise(0) });
      expect(run.timesteps.length, kind).toBe(10);
    }
    expect(names.size).toBe(SAMPLER_NAMES.length);
    expect(() => createSampler({ kind: 'lms' } as never)).toThrow(/unknown kind/);
  });

  it('maps all implemented DiffBIR --sampler names', () => {
    expect(samplerFromReferenceName('spaced')).toEqual({ kind: 'spaced' });
    expect(samplerFromReferenceName('ddim', { eta: 1 })).toEqual({ kind: 'ddim', eta: 0 });
    expect(samplerFromReferenceName('dpm++_m2')).toEqual({ kind: 'dpm-solver++', order: 2 });
    expect(samplerFromReferenceName('edm_dpm++_3m_sde', { eta: 0.5, sChurn: 3 })).toMatchObject({
      kind: 'dpmpp-3m-sde',
      eta: 0.5,
    });
    expect(samplerFromReferenceName('edm_heun', { sChurn: 3 })).toMatchObject({ kind: 'heun', sChurn: 3 });
    expect(samplerFromReferenceName('edm_euler_a').kind).toBe('euler-ancestral');
    expect(samplerFromReferenceName('edm_dpm_2').kind).toBe('dpm2');
    expect(samplerFromReferenceName('edm_dpm++_2m').kind).toBe('dpmpp-2m');
    expect(samplerFromReferenceName('edm_dpm++_2m_sde').kind).toBe('dpmpp-2m-sde');
    expect(samplerFromReferenceName('edm_euler').kind).toBe('euler');
    for (const name of Object.keys(REFERENCE_SAMPLER_NAMES)) {
      expect(SAMPLER_NAMES).toContain(samplerFromReferenceName(name).kind);
    }
  });

  it('explains names it does not implement', () => {
    expect(() => samplerFromReferenceName('edm_lms')).toThrow(/not implemented/);
    expect(() => samplerFromReferenceName('plms')).toThrow(/not a DiffBIR sampler/);
  });

  it('rejects bad options', () => {
    expect(() => createSampler({ kind: 'ddim', eta: -1 })).toThrow(RangeError);
    expect(() => createSampler({ kind: 'dpm-solver++', order: 3 as never })).toThrow(RangeError);
    expect(() => createSampler({ kind: 'euler', timestepLookup: 'nearest' as never })).toThrow(RangeError);
  });
});
