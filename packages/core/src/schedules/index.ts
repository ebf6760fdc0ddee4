export * from './beta-schedule';
export * from './ldm-schedule';
export * from './prediction';
export * from './q-sample';
export * from './sigmas';
export type * from './types';
export * from './zero-terminal-snr';
