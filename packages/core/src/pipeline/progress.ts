import type { Tensor } from '../tensor/tensor';

export type RestoreStage = 'prepare' | 'clean' | 'encode' | 'sample' | 'decode' | 'finish';

/** Typed progress events of one restore, in order of occurrence. */
export type RestoreProgress =
  | { readonly type: 'stage'; readonly stage: RestoreStage }
  | { readonly type: 'tile'; readonly stage: RestoreStage; readonly index: number; readonly count: number }
  | { readonly type: 'step'; readonly step: number; readonly steps: number; readonly timestep: number }
  | { readonly type: 'preview'; readonly step: number; readonly image: Tensor };
