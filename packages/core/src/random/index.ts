export * from './noise';
export * from './rng';
