import type { Tensor } from '../tensor/tensor';
import type { AbortSignalLike } from '../util/abort';

/** Element type of a graph input or output as the runtime reports it. */
export type ValueType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool' | 'unknown';

export interface ValueInfo {
  readonly name: string;
  readonly type: ValueType;
  /** Dimensions; a string or null for a dynamic one. */
  readonly shape: readonly (number | string | null)[];
}

export interface SessionOptions {
  /** Execution providers in priority order, e.g. ['cuda', 'cpu']; default ['cpu']. */
  readonly executionProviders?: readonly string[];
  /** Threads inside one operator; default: the runtime's. */
  readonly intraOpNumThreads?: number;
  /**
   * External-data files of a graph over 2 GB: `path` as the graph names it (relative to the
   * graph file), `data` its bytes or URL. Browsers need them handed over; runtimes that load
   * a graph by file path find them beside it and may ignore this.
   */
  readonly externalData?: readonly { readonly path: string; readonly data: string | Uint8Array }[];
}

/** What core needs of one loaded ONNX graph. */
export interface ModelSession {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /**
   * Runs the graph. Feeds are float32 core tensors; the runtime converts to the graph's
   * element type (float16, int64, ...) and converts outputs back to float32.
   */
  run(feeds: Readonly<Record<string, Tensor>>, options?: { signal?: AbortSignalLike }): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** The platform's ONNX runtime, injected into the pipeline by packages/node or packages/web. */
export interface Runtime {
  readonly name: string;
  /** Loads a graph from bytes or a platform-specific location (a path in Node, a URL in browsers). */
  createSession(source: Uint8Array | string, options?: SessionOptions): Promise<ModelSession>;
}
