import { ddimSampler } from './ddim';
import { dpmSolverPlusPlusSampler } from './dpm-solver-pp';
import { dpm2Sampler } from './dpm2';
import { dpmpp2mSampler } from './dpmpp-2m';
import { dpmpp2mSdeSampler } from './dpmpp-2m-sde';
import { dpmpp3mSdeSampler } from './dpmpp-3m-sde';
import type { EdmAncestralOptions, EdmChurnOptions, EdmCommonOptions } from './edm';
import { eulerSampler } from './euler';
import { eulerAncestralSampler } from './euler-ancestral';
import { heunSampler } from './heun';
import { spacedDdpmSampler } from './spaced-ddpm';
import type { Sampler } from './types';

/** Every built-in sampler, by kind, with its options. */
export type SamplerSpec =
  | { readonly kind: 'spaced' }
  | { readonly kind: 'ddim'; readonly eta?: number }
  | {
      readonly kind: 'dpm-solver++';
      readonly order?: 1 | 2;
      readonly lambdaClip?: number | null;
      readonly lowerOrderFinal?: boolean;
    }
  | ({ readonly kind: 'euler' } & EdmChurnOptions)
  | ({ readonly kind: 'euler-ancestral' } & EdmAncestralOptions)
  | ({ readonly kind: 'heun' } & EdmChurnOptions)
  | ({ readonly kind: 'dpm2' } & EdmChurnOptions)
  | ({ readonly kind: 'dpmpp-2m' } & EdmCommonOptions)
  | ({ readonly kind: 'dpmpp-2m-sde' } & EdmAncestralOptions)
  | ({ readonly kind: 'dpmpp-3m-sde' } & EdmAncestralOptions);

export type SamplerKind = SamplerSpec['kind'];

/** The kinds createSampler accepts. */
export const SAMPLER_NAMES: readonly SamplerKind[] = [
  'spaced',
  'ddim',
  'dpm-solver++',
  'euler',
  'euler-ancestral',
  'heun',
  'dpm2',
  'dpmpp-2m',
  'dpmpp-2m-sde',
  'dpmpp-3m-sde',
];

/** A sampler from its spec. */
export function createSampler(spec: SamplerSpec): Sampler {
  switch (spec.kind) {
    case 'spaced':
      return spacedDdpmSampler();
    case 'ddim':
      return ddimSampler({ eta: spec.eta });
    case 'dpm-solver++':
      return dpmSolverPlusPlusSampler(spec);
    case 'euler':
      return eulerSampler(spec);
    case 'euler-ancestral':
      return eulerAncestralSampler(spec);
    case 'heun':
      return heunSampler(spec);
    case 'dpm2':
      return dpm2Sampler(spec);
    case 'dpmpp-2m':
      return dpmpp2mSampler(spec);
    case 'dpmpp-2m-sde':
      return dpmpp2mSdeSampler(spec);
    case 'dpmpp-3m-sde':
      return dpmpp3mSdeSampler(spec);
    default:
      throw new RangeError(`createSampler: unknown kind '${(spec as { kind: string }).kind}'`);
  }
}

/** DiffBIR's `--sampler` values this package implements, mapped to kinds. */
export const REFERENCE_SAMPLER_NAMES = {
  spaced: 'spaced',
  ddim: 'ddim',
  'dpm++_m2': 'dpm-solver++',
  edm_euler: 'euler',
  edm_euler_a: 'euler-ancestral',
  edm_heun: 'heun',
  edm_dpm_2: 'dpm2',
  'edm_dpm++_2m': 'dpmpp-2m',
  'edm_dpm++_2m_sde': 'dpmpp-2m-sde',
  'edm_dpm++_3m_sde': 'dpmpp-3m-sde',
} as const satisfies Record<string, SamplerKind>;

/** The reference CLI's sampler knobs (its defaults: s_churn 0, s_tmin 0, s_tmax 300, s_noise 1, eta 1). */
export interface ReferenceSamplerKnobs {
  readonly sChurn?: number;
  readonly sTmin?: number;
  readonly sTmax?: number;
  readonly sNoise?: number;
  readonly eta?: number;
}

const NOT_IMPLEMENTED = ['edm_dpm_2_a', 'edm_lms', 'edm_dpm++_2s_a', 'edm_dpm++_sde'];

/**
 * The spec that reproduces a DiffBIR `--sampler` name with the given knobs, each passed to
 * the samplers that read it in the reference (ddim always gets eta 0, as the pipeline).
 */
export function samplerFromReferenceName(name: string, knobs: ReferenceSamplerKnobs = {}): SamplerSpec {
  if (!Object.hasOwn(REFERENCE_SAMPLER_NAMES, name)) {
    const why = NOT_IMPLEMENTED.includes(name) ? 'is not implemented here' : 'is not a DiffBIR sampler name';
    throw new RangeError(`sampler '${name}' ${why}; known: ${Object.keys(REFERENCE_SAMPLER_NAMES).join(', ')}`);
  }
  const kind = REFERENCE_SAMPLER_NAMES[name as keyof typeof REFERENCE_SAMPLER_NAMES];
  const churn = { sChurn: knobs.sChurn, sTmin: knobs.sTmin, sTmax: knobs.sTmax, sNoise: knobs.sNoise };
  const ancestral = { eta: knobs.eta, sNoise: knobs.sNoise };
  switch (kind) {
    case 'spaced':
      return { kind };
    case 'ddim':
      return { kind, eta: 0 };
    case 'dpm-solver++':
      return { kind, order: 2 };
    case 'euler':
    case 'heun':
    case 'dpm2':
      return { kind, ...churn };
    case 'dpmpp-2m':
      return { kind };
    case 'euler-ancestral':
    case 'dpmpp-2m-sde':
    case 'dpmpp-3m-sde':
      return { kind, ...ancestral };
  }
}
