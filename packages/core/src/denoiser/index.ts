export * from './cfg';
export type * from './types';
