export type { GraphOptimizationLevel, NodeRuntime, NodeRuntimeOptions } from './runtime';
export { createNodeRuntime } from './runtime';
export { WorkerCrashError } from './worker-host';
