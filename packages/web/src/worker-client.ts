import {
  AbortError,
  type AbortSignalLike,
  abortErrorOf,
  type ModelSession,
  type Runtime,
  type Tensor,
} from '@diffrestore/core';
import type { WebSessionOptions } from './runtime';
import {
  isFromWorkerMessage,
  type ToWorkerMessage,
  type WireError,
  type WorkerOpName,
  type WorkerOps,
  type WorkerProgress,
  type WorkerProgressOf,
  type WorkerRuntimeSettings,
} from './worker-protocol';

/** What WorkerClient needs of a Worker (a MessagePort fits too, for tests). */
export interface WorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: Event) => void): void;
  removeEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: Event) => void): void;
  terminate?(): void;
}

export interface WorkerRequestOptions<P = WorkerProgress> {
  /** Aborting rejects at once with core's AbortError and tells the worker to stop the request. */
  readonly signal?: AbortSignalLike;
  readonly onProgress?: (progress: P) => void;
  /**
   * Buffers to move to the worker instead of copying (they become unusable here). Default none:
   * the payload is copied by structured clone.
   */
  readonly transfer?: Transferable[];
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress?: (progress: never) => void;
  cleanup(): void;
}

/** Rebuilds an error from the worker; AbortError becomes core's class again. */
export function fromWireError(e: WireError, op: string): Error {
  if (e.name === 'AbortError') return new AbortError(e.message);
  const error = new Error(`worker '${op}': ${e.message}`);
  error.name = e.name;
  if (e.stack) error.stack = `${error.name}: ${error.message}\n--- in the worker ---\n${e.stack}`;
  return error;
}

/** Talks to a worker started with serveWorker: typed requests, progress, abort. */
export class WorkerClient {
  readonly #worker: WorkerLike;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: Error | undefined;

  constructor(worker: WorkerLike) {
    this.#worker = worker;
    worker.addEventListener('message', this.#onMessage);
    worker.addEventListener('error', this.#onError);
    worker.addEventListener('messageerror', this.#onError);
    (worker as { start?: () => void }).start?.(); // a MessagePort needs this; a Worker has none
  }

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.#pending.size;
  }

  request<K extends WorkerOpName>(
    op: K,
    payload: NoInfer<WorkerOps[K]['request']>,
    options?: WorkerRequestOptions<NoInfer<WorkerProgressOf<K>>>,
  ): Promise<WorkerOps[K]['response']>;
  request<T = unknown, P = WorkerProgress>(op: string, payload: unknown, options?: WorkerRequestOptions<P>): Promise<T>;
  request(op: string, payload: unknown, options: WorkerRequestOptions<never> = {}): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortErrorOf(signal));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.#pending.has(id)) return;
        this.#pending.delete(id);
        this.#post({ type: 'abort', id }, []);
        reject(abortErrorOf(signal!));
      };
      const cleanup = () => signal?.removeEventListener?.('abort', onAbort);
      this.#pending.set(id, {
        resolve,
        reject,
        onProgress: options.onProgress,
        cleanup,
      });
      signal?.addEventListener?.('abort', onAbort, { once: true });
      try {
        this.#post({ type: 'request', id, op, payload }, options.transfer ?? []);
      } catch (e) {
        this.#pending.delete(id);
        cleanup();
        reject(e);
      }
    }).catch((e: unknown) => {
      throw e instanceof WireErrorBox ? fromWireError(e.error, op) : e;
    });
  }

  /** Stops the worker; pending requests reject. */
  terminate(): void {
    this.#fail(new Error('the worker was terminated'));
    this.#worker.terminate?.();
  }

  #post(message: ToWorkerMessage, transfer: Transferable[]): void {
    this.#worker.postMessage(message, transfer);
  }

  #fail(error: Error): void {
    this.#dead ??= error;
    for (const p of this.#pending.values()) {
      p.cleanup();
      p.reject(error);
    }
    this.#pending.clear();
    this.#worker.removeEventListener('message', this.#onMessage);
    this.#worker.removeEventListener('error', this.#onError);
    this.#worker.removeEventListener('messageerror', this.#onError);
  }

  readonly #onMessage = (event: Event) => {
    const m = (event as MessageEvent).data;
    if (!isFromWorkerMessage(m)) return;
    const p = this.#pending.get(m.id);
    if (!p) return; // aborted or unknown: its late answer is dropped
    if (m.type === 'progress') {
      p.onProgress?.(m.progress as never);
      return;
    }
    this.#pending.delete(m.id);
    p.cleanup();
    if (m.type === 'result') p.resolve(m.payload);
    else p.reject(new WireErrorBox(m.error));
  };

  readonly #onError = (event: Event) => {
    const message = (event as ErrorEvent).message;
    // A message that cannot be deserialised only loses that message; a script error kills the worker.
    if (event.type === 'messageerror') return;
    event.preventDefault?.();
    this.#fail(new Error(`the worker failed: ${message || 'script error (see the worker console)'}`));
  };
}

// Carries a wire error to the request's catch, where the operation name is known.
class WireErrorBox {
  constructor(readonly error: WireError) {}
}

/** Resolves a URL against the page's location (unchanged where there is none, e.g. in Node). */
function absoluteUrl(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return base ? new URL(url, base).href : url;
}

/** A core ModelSession whose graph lives in a worker; `handle` addresses it in custom requests. */
export interface WorkerModelSession extends ModelSession {
  readonly handle: number;
}

/** A core Runtime whose sessions live in a worker. */
export interface WorkerRuntime extends Runtime {
  readonly client: WorkerClient;
  createSession(source: Uint8Array | string, options?: WebSessionOptions): Promise<WorkerModelSession>;
}

/**
 * A core Runtime over a worker started with serveWorker (the bundled dist worker or your
 * own). The worker's runtime is initialised with `settings` before the first session. Feeds
 * are copied to the worker, outputs moved back.
 */
export function createWorkerRuntime(client: WorkerClient, settings: WorkerRuntimeSettings = {}): WorkerRuntime {
  let init: Promise<{ runtime: string }> | undefined;
  let name = 'onnxruntime-web (Web Worker)';
  const ready = () => {
    const wasmPaths = settings.wasmPaths === undefined ? undefined : absoluteUrl(settings.wasmPaths);
    init ??= client.request('init', { ...settings, ...(wasmPaths ? { wasmPaths } : {}) }).then((r) => {
      name = `${r.runtime} in a Web Worker`;
      return r;
    });
    return init;
  };
  return {
    client,
    get name() {
      return name;
    },
    async createSession(source, options) {
      await ready();
      // bytes are copied (the caller may still use them); a URL is made absolute here, as the
      // worker would resolve it against its own script's URL
      const from = typeof source === 'string' ? absoluteUrl(source) : source;
      const r = await client.request('load', { source: from, ...(options ? { options } : {}) });
      let released = false;
      return {
        handle: r.handle,
        inputs: r.inputs,
        outputs: r.outputs,
        async run(feeds: Readonly<Record<string, Tensor>>, runOptions?: { signal?: AbortSignalLike }) {
          if (released) throw new Error('this session was released');
          const wire: Record<string, Tensor> = {};
          for (const [k, t] of Object.entries(feeds)) wire[k] = { data: t.data, shape: [...t.shape] };
          const out = await client.request(
            'run',
            { handle: r.handle, feeds: wire },
            runOptions?.signal ? { signal: runOptions.signal } : {},
          );
          return out.outputs as Record<string, Tensor>;
        },
        async release() {
          if (released) return;
          released = true;
          await client.request('release', { handle: r.handle });
        },
      };
    },
  };
}
