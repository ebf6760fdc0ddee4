import { Worker } from 'node:worker_threads';
import type { AbortSignalLike } from '@diffrestore/core';
import { abortErrorOf } from '@diffrestore/core';
import type { WireError, WorkerRequest, WorkerResponse } from './worker-protocol';

/** Distributes a request type over its union members while dropping `id`. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Rejection of every call in flight when the worker thread dies. */
export class WorkerCrashError extends Error {
  override readonly name = 'WorkerCrashError';
}

/**
 * The parent's Node options minus those that only make sense for the main script
 * (`--input-type`, `-e`/`--eval`, `-p`/`--print`): a worker inheriting them fails to start.
 */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (/^--(input-type|eval|print)=/.test(a)) continue;
    if (a === '--input-type' || a === '-e' || a === '--eval' || a === '-p' || a === '--print' || a === '-pe') {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  detach(): void;
}

function reviveError(e: WireError): Error {
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/**
 * One worker thread and the calls in flight to it. The thread starts lazily; when it dies
 * every pending call rejects with a WorkerCrashError and the next call starts a new one
 * (`generation` counts the threads so callers can tell their state there is gone). The
 * thread is unref'd while idle so an idle runtime never keeps the process alive.
 */
export class WorkerHost {
  #worker: Worker | undefined;
  #generation = 0;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();

  constructor(readonly file: string) {}

  /**
   * Starts the thread if needed and returns its generation number (1 for the first thread,
   * incremented for each restart after a crash or close).
   */
  start(): number {
    this.#start();
    return this.#generation;
  }

  /** Whether the thread of that generation is still the live one. */
  isLive(generation: number): boolean {
    return this.#worker !== undefined && this.#generation === generation;
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.file, { execArgv: workerExecArgv(process.execArgv) });
    this.#generation++;
    this.#worker = worker;
    worker.on('message', (msg: WorkerResponse) => {
      const p = this.#pending.get(msg.id);
      if (!p) return; // abandoned (aborted) call
      this.#settle(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(reviveError(msg.error));
    });
    worker.on('error', (err) => this.#died(worker, `crashed: ${err instanceof Error ? err.message : String(err)}`));
    worker.on('exit', (code) => this.#died(worker, `exited unexpectedly with code ${code}`));
    worker.unref();
    return worker;
  }

  #died(worker: Worker, why: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    void worker.terminate();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    const error = new WorkerCrashError(
      `diffrestore: the ONNX Runtime worker thread ${why}; the call was lost (the next call starts a new worker)`,
    );
    for (const p of pending) {
      p.detach();
      p.reject(error);
    }
  }

  #settle(id: number): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    p.detach();
    if (this.#pending.size === 0) this.#worker?.unref();
  }

  /**
   * Sends one request and resolves with the worker's result. With a signal, the call
   * rejects with an AbortError as soon as it fires; the worker still finishes the request
   * in the background and its answer is dropped.
   */
  call<R>(request: WithoutId<WorkerRequest>, transfer: ArrayBuffer[] = [], signal?: AbortSignalLike): Promise<R> {
    if (signal?.aborted) return Promise.reject(abortErrorOf(signal));
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      const onAbort = () => {
        this.#settle(id);
        reject(abortErrorOf(signal!));
      };
      this.#pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        detach: () => signal?.removeEventListener?.('abort', onAbort),
      });
      signal?.addEventListener?.('abort', onAbort, { once: true });
      worker.ref();
      try {
        worker.postMessage({ ...request, id }, transfer);
      } catch (e) {
        this.#settle(id);
        reject(e);
      }
    });
  }

  /** Stops the thread; calls in flight reject. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#died(worker, 'was closed');
    await worker.terminate();
  }
}
