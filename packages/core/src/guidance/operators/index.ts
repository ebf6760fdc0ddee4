export * from './blur';
export * from './compose';
export * from './downsample';
export * from './identity';
export * from './mask';
export type * from './types';
