import type { ValueInfo } from '@diffrestore/core';

/** ONNX Runtime session settings after merging runtime defaults with per-session options. */
export interface OrtSessionSettings {
  readonly executionProviders: readonly string[];
  readonly intraOpNumThreads?: number;
  readonly graphOptimizationLevel?: GraphOptimizationLevel;
}

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** A tensor as it crosses the thread boundary: float32, its buffer transferred. */
export interface WireTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export type WorkerRequest =
  | {
      readonly id: number;
      readonly op: 'load';
      readonly source: string | Uint8Array;
      readonly settings: OrtSessionSettings;
    }
  | { readonly id: number; readonly op: 'run'; readonly handle: number; readonly feeds: Record<string, WireTensor> }
  | { readonly id: number; readonly op: 'release'; readonly handle: number }
  /** Test hook: throws an uncaught error inside the worker. */
  | { readonly id: number; readonly op: 'crash' };

export interface LoadResult {
  readonly handle: number;
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
}

export interface RunResult {
  readonly outputs: Record<string, WireTensor>;
}

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WireError };
