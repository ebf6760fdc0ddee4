export * from './float16';
export * from './interop';
export * from './ops';
export * from './tensor';
