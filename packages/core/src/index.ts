// Public surface of @diffrestore/core: one re-export per concept folder.
export * from './tensor';
export * from './random';
export * from './denoiser';
export * from './runtime';
export * from './schedules';
export * from './samplers';
export * from './guidance';
export * from './tiling';
export * from './colour';
export * from './image';
export * from './metrics';
export * from './degradation';
export * from './bundle';
export * from './pipeline';
export * from './util';
export * from './text';
