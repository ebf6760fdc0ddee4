import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type AbortSignalLike,
  checkGraphFeeds,
  fromGraphOutput,
  type ModelSession,
  type Runtime,
  raceAbort,
  type SessionOptions,
  type Tensor,
  throwIfAborted,
  toGraphFeed,
  type ValueInfo,
  type ValueType,
} from '@diffrestore/core';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { isCommonJs, moduleDir } from './module-dir';
import { WorkerHost } from './worker-host';
import type { GraphOptimizationLevel, LoadResult, OrtSessionSettings, RunResult, WireTensor } from './worker-protocol';

export type { GraphOptimizationLevel } from './worker-protocol';

/** Options of {@link createNodeRuntime}. */
export interface NodeRuntimeOptions {
  /**
   * Execution providers in priority order, passed through to onnxruntime-node, e.g.
   * `['cuda', 'cpu']` (CUDA needs onnxruntime-node installed without the install skip).
   * Default `['cpu']`. A session's own `executionProviders` take precedence.
   */
  readonly executionProviders?: readonly string[];
  /** Threads inside one operator; default: onnxruntime's (one per core). */
  readonly intraOpNumThreads?: number;
  /** Graph optimisation level; default: onnxruntime's ('all'). */
  readonly graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * Run sessions in a worker thread so inference does not block the event loop.
   * Default true. With false, `session.run` blocks the calling thread for the whole run.
   */
  readonly worker?: boolean;
}

/** A core Runtime backed by onnxruntime-node. */
export interface NodeRuntime extends Runtime {
  /** Whether sessions live in a worker thread. */
  readonly usesWorker: boolean;
  /** Releases every session this runtime still holds and stops its worker thread. */
  close(): Promise<void>;
}

/** One loaded graph, in this thread. Used by the in-process runtime and by the worker. */
export interface LoadedGraph {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

const KNOWN_TYPES: readonly string[] = ['float32', 'float16', 'int64', 'int32', 'uint8', 'bool'];

function toValueType(ortType: string): ValueType {
  return KNOWN_TYPES.includes(ortType) ? (ortType as ValueType) : 'unknown';
}

function describeSource(source: string | Uint8Array): string {
  return typeof source === 'string' ? source : `<${source.byteLength} bytes>`;
}

function valueInfo(m: InferenceSession.ValueMetadata): ValueInfo {
  if (!m.isTensor) return { name: m.name, type: 'unknown', shape: [] };
  return {
    name: m.name,
    type: toValueType(m.type),
    shape: m.shape.map((d) => (typeof d === 'number' ? d : d === '' ? null : d)),
  };
}

/** Explains the usual cause when a non-CPU provider's shared library is missing. */
function providerHint(message: string, providers: readonly string[]): string {
  const m = /AppendExecutionProvider_(\w+)|Failed to load (shared )?library/i.exec(message);
  if (!m) return '';
  const name = m[1]?.toLowerCase() ?? providers.find((p) => p !== 'cpu') ?? 'requested';
  return (
    ` (the ${name} execution provider is not available: onnxruntime-node was installed without its GPU` +
    ' libraries (onnxruntime-node-install=skip / ONNXRUNTIME_NODE_INSTALL=skip) or the driver/toolkit is missing;' +
    " reinstall onnxruntime-node without the skip, or use executionProviders ['cpu'])"
  );
}

/** Loads a graph with onnxruntime-node in the current thread. */
export async function loadGraph(source: string | Uint8Array, settings: OrtSessionSettings): Promise<LoadedGraph> {
  const options: InferenceSession.SessionOptions = {
    executionProviders: [...settings.executionProviders],
    ...(settings.intraOpNumThreads !== undefined ? { intraOpNumThreads: settings.intraOpNumThreads } : {}),
    ...(settings.graphOptimizationLevel !== undefined
      ? { graphOptimizationLevel: settings.graphOptimizationLevel }
      : {}),
  };
  const what = describeSource(source);
  let session: InferenceSession;
  try {
    session =
      typeof source === 'string'
        ? await InferenceSession.create(source, options)
        : await InferenceSession.create(source, options);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`failed to load ONNX model ${what}: ${msg}${providerHint(msg, settings.executionProviders)}`, {
      cause: e,
    });
  }
  const inputs = session.inputMetadata.map(valueInfo);
  const outputs = session.outputMetadata.map(valueInfo);
  return {
    inputs,
    outputs,
    async run(feeds) {
      checkGraphFeeds(inputs, feeds, what);
      const ortFeeds: Record<string, OrtTensor> = {};
      for (const info of inputs) {
        const v = toGraphFeed(feeds[info.name], info.type, info.name);
        ortFeeds[info.name] = new OrtTensor(v.type, v.data as never, v.dims);
      }
      let result: InferenceSession.ReturnType;
      try {
        result = await session.run(ortFeeds);
      } catch (e) {
        throw new Error(`ONNX Runtime failed to run ${what}: ${e instanceof Error ? e.message : String(e)}`, {
          cause: e,
        });
      }
      const out: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(result)) out[name] = fromGraphOutput(t.type, t.data, t.dims, name);
      return out;
    },
    release: () => session.release(),
  };
}

/** A graph shared by every handle `createSession` returned for the same (path, options). */
interface SharedGraph {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  run(feeds: Readonly<Record<string, Tensor>>, signal?: AbortSignalLike): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

function inProcessGraph(graph: LoadedGraph): SharedGraph {
  return {
    inputs: graph.inputs,
    outputs: graph.outputs,
    async run(feeds, signal) {
      throwIfAborted(signal);
      return raceAbort(graph.run(feeds), signal);
    },
    release: () => graph.release(),
  };
}

/**
 * A graph living in the worker thread. If the worker died since it was loaded, the next
 * run loads it again in the new worker (the source, path or bytes, is kept for that).
 */
class WorkerGraph implements SharedGraph {
  inputs: readonly ValueInfo[] = [];
  outputs: readonly ValueInfo[] = [];
  #generation = 0;
  #handle = 0;
  #loading: Promise<void> | undefined;

  constructor(
    private readonly host: WorkerHost,
    private readonly source: string | Uint8Array,
    private readonly settings: OrtSessionSettings,
  ) {}

  load(): Promise<void> {
    this.#loading ??= (async () => {
      try {
        const generation = this.host.start();
        const r = await this.host.call<LoadResult>({ op: 'load', source: this.source, settings: this.settings });
        this.inputs = r.inputs;
        this.outputs = r.outputs;
        this.#handle = r.handle;
        this.#generation = generation;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  async run(feeds: Readonly<Record<string, Tensor>>, signal?: AbortSignalLike): Promise<Record<string, Tensor>> {
    throwIfAborted(signal);
    if (!this.host.isLive(this.#generation)) await raceAbort(this.load(), signal);
    const wire: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const [name, t] of Object.entries(feeds)) {
      // A copy: transferring the caller's buffer would detach a tensor it may still use.
      const data = t.data.slice();
      wire[name] = { data, shape: [...t.shape] };
      transfer.push(data.buffer);
    }
    const r = await this.host.call<RunResult>({ op: 'run', handle: this.#handle, feeds: wire }, transfer, signal);
    return r.outputs as Record<string, Tensor>;
  }

  async release(): Promise<void> {
    if (this.host.isLive(this.#generation)) await this.host.call({ op: 'release', handle: this.#handle });
  }
}

/**
 * The worker bundle (dist/worker.js or .cjs) beside this module; from the sources (tests),
 * the built one in ../dist.
 */
export function locateWorkerFile(): string {
  const here = moduleDir();
  const names = isCommonJs ? ['worker.cjs', 'worker.js'] : ['worker.js', 'worker.cjs'];
  const dirs = [here, path.join(here, '..', 'dist')];
  const tried: string[] = [];
  for (const dir of dirs) {
    for (const name of names) {
      const file = path.join(dir, name);
      if (existsSync(file)) return file;
      tried.push(file);
    }
  }
  throw new Error(
    `diffrestore: worker bundle not found (tried ${tried.join(', ')}); build the package (npm run build) or use createNodeRuntime({ worker: false })`,
  );
}

/** Test hook: the runtime's worker host (undefined without a worker). */
export const workerHostOf = Symbol('diffrestore.workerHost');

async function resolveModelFile(source: string): Promise<string> {
  const file = path.resolve(source.startsWith('file:') ? fileURLToPath(source) : source);
  let isFile = false;
  try {
    isFile = (await stat(file)).isFile();
  } catch {
    throw new Error(`model file not found: ${file}`);
  }
  if (!isFile) throw new Error(`model path is not a file: ${file}`);
  return file;
}

/**
 * Creates a core Runtime on onnxruntime-node. Sessions created from the same path with the
 * same options are loaded once and shared (reference counted: the graph is released when
 * the last handle is). By default sessions live in a worker thread; see NodeRuntimeOptions.
 */
export function createNodeRuntime(options: NodeRuntimeOptions = {}): NodeRuntime {
  const useWorker = options.worker ?? true;
  let host: WorkerHost | undefined;
  const getHost = () => {
    host ??= new WorkerHost(locateWorkerFile());
    return host;
  };
  const cache = new Map<string, { graph: Promise<SharedGraph>; refs: number }>();
  const live = new Set<SharedGraph>();

  const load = async (source: string | Uint8Array, settings: OrtSessionSettings): Promise<SharedGraph> => {
    let graph: SharedGraph;
    if (useWorker) {
      const g = new WorkerGraph(getHost(), source, settings);
      await g.load();
      graph = g;
    } else {
      graph = inProcessGraph(await loadGraph(source, settings));
    }
    live.add(graph);
    return graph;
  };
  const dispose = async (graph: SharedGraph) => {
    if (!live.delete(graph)) return; // already released by close()
    await graph.release();
  };

  const handle = (graph: SharedGraph, onRelease: () => Promise<void>): ModelSession => {
    let released = false;
    return {
      inputs: graph.inputs,
      outputs: graph.outputs,
      async run(feeds, runOptions) {
        if (released) throw new Error('this session was released');
        return graph.run(feeds, runOptions?.signal);
      },
      async release() {
        if (released) return;
        released = true;
        await onRelease();
      },
    };
  };

  const runtime: NodeRuntime & { [workerHostOf]?: () => WorkerHost | undefined } = {
    name: useWorker ? 'onnxruntime-node (worker thread)' : 'onnxruntime-node',
    usesWorker: useWorker,
    async createSession(source: Uint8Array | string, sessionOptions: SessionOptions = {}): Promise<ModelSession> {
      const settings: OrtSessionSettings = {
        executionProviders: sessionOptions.executionProviders ?? options.executionProviders ?? ['cpu'],
        intraOpNumThreads: sessionOptions.intraOpNumThreads ?? options.intraOpNumThreads,
        graphOptimizationLevel: options.graphOptimizationLevel,
      };
      if (typeof source !== 'string') {
        const graph = await load(source, settings);
        return handle(graph, () => dispose(graph));
      }
      const file = await resolveModelFile(source);
      const key = JSON.stringify([
        file,
        settings.executionProviders,
        settings.intraOpNumThreads ?? null,
        settings.graphOptimizationLevel ?? null,
      ]);
      let entry = cache.get(key);
      if (!entry) {
        const created = { graph: load(file, settings), refs: 0 };
        cache.set(key, created);
        created.graph.catch(() => {
          if (cache.get(key) === created) cache.delete(key);
        });
        entry = created;
      }
      entry.refs++;
      const current = entry;
      let graph: SharedGraph;
      try {
        graph = await current.graph;
      } catch (e) {
        current.refs--;
        throw e;
      }
      return handle(graph, async () => {
        current.refs--;
        if (current.refs === 0) {
          if (cache.get(key) === current) cache.delete(key);
          await dispose(graph);
        }
      });
    },
    async close() {
      cache.clear();
      const graphs = [...live];
      live.clear();
      await Promise.allSettled(graphs.map((g) => g.release()));
      // A closed runtime may be used again: the next session starts a fresh worker.
      await host?.close();
    },
    [workerHostOf]: () => host,
  };
  return runtime;
}
