import {
  type AbortSignalLike,
  checkGraphFeeds,
  fromGraphOutput,
  type ModelSession,
  type Runtime,
  type SessionOptions,
  type Tensor,
  throwIfAborted,
  toGraphFeed,
  type ValueInfo,
  type ValueType,
} from '@diffrestore/core';
import * as ort from 'onnxruntime-web';
import { RunQueue } from './run-queue';

/** Execution providers of onnxruntime-web that diffrestore supports. */
export type WebExecutionProvider = 'wasm' | 'webgpu';

/** Options of {@link createWebRuntime}. */
export interface WebRuntimeOptions {
  /**
   * Execution providers in priority order. `'webgpu'` needs a browser with WebGPU; float16
   * graphs need the adapter feature `shader-f16`. ONNX Runtime falls back to the next provider
   * for operators the first cannot run. Default `['wasm']`.
   */
  readonly executionProviders?: readonly WebExecutionProvider[];
  /**
   * Where onnxruntime-web's `ort-wasm-simd-threaded*.mjs` / `.wasm` files are served (a URL
   * prefix ending in '/'). Default: onnxruntime-web's own guess (beside its script), which
   * breaks once a bundler moves the script. Global to the page or worker: the first session
   * created initialises WebAssembly with the values then set.
   */
  readonly wasmPaths?: string;
  /**
   * WebAssembly threads. More than 1 needs a cross-origin isolated page (COOP/COEP headers).
   * Default: onnxruntime-web's (half the cores, at most 4, when isolated; otherwise 1).
   * Global, like wasmPaths.
   */
  readonly numThreads?: number;
  /**
   * With WebGPU, keep outputs on the GPU (`preferredOutputLocation: 'gpu-buffer'`).
   * {@link WebModelSession.runOrt} then returns GPU tensors that can be fed to the next run
   * without a round trip; `run` still downloads them to float32. Default false.
   */
  readonly preferGpuOutputs?: boolean;
  /** Fixed sizes for symbolic dimensions (WebGPU recompiles shaders per shape). Default none. */
  readonly freeDimensionOverrides?: Readonly<Record<string, number>>;
  /** ONNX Runtime graph optimisation. Default 'all'. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Extra per-session options of the web runtime. */
export interface WebSessionOptions extends SessionOptions {
  readonly freeDimensionOverrides?: Readonly<Record<string, number>>;
}

/** A core ModelSession with a raw onnxruntime-web entry for GPU-resident chains. */
export interface WebModelSession extends ModelSession {
  /** The providers the session was created with. */
  readonly executionProviders: readonly WebExecutionProvider[];
  /**
   * Runs with onnxruntime-web tensors as they are (no conversion; GPU tensors stay on the
   * GPU). Serialised and abortable like `run`. The caller disposes GPU outputs it keeps.
   */
  runOrt(
    feeds: Readonly<Record<string, ort.Tensor>>,
    options?: { signal?: AbortSignalLike },
  ): Promise<Record<string, ort.Tensor>>;
}

/** A core Runtime backed by onnxruntime-web. */
export interface WebRuntime extends Runtime {
  readonly executionProviders: readonly WebExecutionProvider[];
  createSession(source: Uint8Array | string, options?: WebSessionOptions): Promise<WebModelSession>;
}

// One queue for the realm: all sessions share one WebAssembly instance / WebGPU device.
const realmQueue = new RunQueue();

/** The queue every web-runtime run of this page or worker goes through (for tests and idle waits). */
export function webRunQueue(): RunQueue {
  return realmQueue;
}

function toWebProviders(list: readonly string[]): WebExecutionProvider[] {
  return list.map((p) => {
    if (p === 'wasm' || p === 'cpu') return 'wasm';
    if (p === 'webgpu') return 'webgpu';
    throw new RangeError(`onnxruntime-web: unsupported execution provider '${p}' (use 'wasm' or 'webgpu')`);
  });
}

function toValueType(t: string): ValueType {
  switch (t) {
    case 'float32':
    case 'float16':
    case 'int64':
    case 'int32':
    case 'uint8':
    case 'bool':
      return t;
    default:
      return 'unknown';
  }
}

function toValueInfo(m: ort.InferenceSession.ValueMetadata): ValueInfo {
  if (!m.isTensor) return { name: m.name, type: 'unknown', shape: [] };
  return {
    name: m.name,
    type: toValueType(m.type),
    shape: m.shape.map((d) => (typeof d === 'number' ? (d >= 0 ? d : null) : d === '' ? null : d)),
  };
}

function describe(source: string | Uint8Array): string {
  return typeof source === 'string' ? source : `<${source.byteLength}-byte model>`;
}

function applyGlobalSettings(options: WebRuntimeOptions): void {
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  if (options.numThreads !== undefined) ort.env.wasm.numThreads = options.numThreads;
}

async function downloadOutput(t: ort.Tensor, name: string): Promise<Tensor> {
  if (t.location === 'cpu' || t.location === 'cpu-pinned') return fromGraphOutput(t.type, t.data, t.dims, name);
  // GPU-resident: download and free the buffer (the caller asked for plain tensors)
  const data = await t.getData(true);
  return fromGraphOutput(t.type, data, t.dims, name);
}

/** Resolves after the tasks already queued (messages, timers, input) had their turn. */
export function yieldToTasks(): Promise<void> {
  // (not scheduler.yield(): its continuation goes ahead of the tasks already queued)
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * Creates a core Runtime on onnxruntime-web (WebAssembly, optionally WebGPU). Sessions load
 * from a URL (fetched by ONNX Runtime) or from bytes. Runs of all sessions in this realm are
 * serialised; an aborted run rejects at once with core's AbortError while the WebAssembly or
 * WebGPU work already started completes in the background (it cannot be interrupted).
 */
export function createWebRuntime(options: WebRuntimeOptions = {}): WebRuntime {
  const defaults = toWebProviders(options.executionProviders ?? ['wasm']);
  if (defaults.length === 0) throw new RangeError('createWebRuntime: executionProviders is empty');
  return {
    name: `onnxruntime-web (${defaults.join(', ')})`,
    executionProviders: defaults,
    async createSession(source: Uint8Array | string, sessionOptions: WebSessionOptions = {}): Promise<WebModelSession> {
      applyGlobalSettings(options);
      const providers = sessionOptions.executionProviders
        ? toWebProviders(sessionOptions.executionProviders)
        : defaults;
      const gpu = providers.includes('webgpu');
      const overrides = { ...options.freeDimensionOverrides, ...sessionOptions.freeDimensionOverrides };
      const ortOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [...providers],
        graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
        ...(Object.keys(overrides).length > 0 ? { freeDimensionOverrides: overrides } : {}),
        ...(gpu && options.preferGpuOutputs ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
        ...(sessionOptions.externalData
          ? { externalData: sessionOptions.externalData.map((e) => ({ path: e.path, data: e.data })) }
          : {}),
      };
      const what = describe(source);
      let session: ort.InferenceSession;
      try {
        // loading also touches the WebAssembly instance: keep it out of the way of runs
        session = await realmQueue.enqueue(() =>
          typeof source === 'string'
            ? ort.InferenceSession.create(source, ortOptions)
            : ort.InferenceSession.create(source, ortOptions),
        );
      } catch (e) {
        throw new Error(`failed to load ONNX model ${what}: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
      }
      const inputs = session.inputMetadata.map(toValueInfo);
      const outputs = session.outputMetadata.map(toValueInfo);
      let released = false;
      const live = () => {
        if (released) throw new Error(`session ${what} was released`);
      };
      // runs accepted before release() still complete: release is queued behind them
      const runRaw = async (feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> => {
        try {
          return (await session.run(feeds)) as Record<string, ort.Tensor>;
        } catch (e) {
          throw new Error(`onnxruntime-web failed to run ${what}: ${e instanceof Error ? e.message : String(e)}`, {
            cause: e,
          });
        }
      };
      return {
        inputs,
        outputs,
        executionProviders: providers,
        async run(feeds, runOptions) {
          live();
          // A WASM run settles in microtasks, so a chain of runs (a whole restore) would never
          // let a task in: the abort message from the page would wait for the end of the chain.
          await yieldToTasks();
          throwIfAborted(runOptions?.signal);
          checkGraphFeeds(inputs, feeds, what);
          const ortFeeds: Record<string, ort.Tensor> = {};
          for (const info of inputs) {
            const f = toGraphFeed(feeds[info.name], info.type, info.name);
            ortFeeds[info.name] = new ort.Tensor(f.type, f.data as never, f.dims);
          }
          return realmQueue.enqueue(async () => {
            const result = await runRaw(ortFeeds);
            const out: Record<string, Tensor> = {};
            for (const [name, t] of Object.entries(result)) out[name] = await downloadOutput(t, name);
            return out;
          }, runOptions?.signal);
        },
        runOrt(feeds, runOptions) {
          live();
          return realmQueue.enqueue(() => runRaw({ ...feeds }), runOptions?.signal);
        },
        async release() {
          if (released) return;
          released = true;
          // after the runs already queued, never under one
          await realmQueue.enqueue(() => session.release());
        },
      };
    },
  };
}
