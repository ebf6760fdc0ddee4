// Public surface of @diffrestore/core: one re-export per concept folder.

export * from './bundle';
export * from './colour';
export * from './degradation';
export * from './denoiser';
export * from './guidance';
export * from './image';
export * from './metrics';
export * from './pipeline';
export * from './random';
export * from './runtime';
export * from './samplers';
export * from './schedules';
export * from './tensor';
export * from './text';
export * from './tiling';
export * from './util';
