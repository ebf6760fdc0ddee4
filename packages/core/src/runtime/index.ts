export * from './feeds';
export type * from './types';
