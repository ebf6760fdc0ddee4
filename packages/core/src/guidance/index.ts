export * from './chain';
export * from './latent-mse';
export * from './likelihood';
export * from './mse-loss';
export * from './operators';
export * from './posterior';
export * from './region-adaptive';
export type * from './types';
export * from './window';
