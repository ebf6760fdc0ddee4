export * from './tensor';
export * from './ops';
