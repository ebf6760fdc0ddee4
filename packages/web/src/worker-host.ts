import { isAbortError } from '@diffrestore/core';
import {
  type FromWorkerMessage,
  isToWorkerMessage,
  toWireError,
  transferablesOf,
  type WorkerOpName,
  type WorkerOps,
  type WorkerProgress,
  type WorkerProgressOf,
} from './worker-protocol';

/** The side of a message channel the worker talks through: `self` in a Web Worker, or a MessagePort. */
export interface WorkerEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** What a handler gets besides its payload. */
export interface WorkerHandlerContext<P = WorkerProgress> {
  /** Fires when the client aborts this request; pass it on to runs and fetches. */
  readonly signal: AbortSignal;
  /** Sends a progress message for this request (copied, not transferred). */
  progress(progress: P): void;
}

export type WorkerHandler<Req = unknown, Res = unknown, P = WorkerProgress> = (
  payload: Req,
  context: WorkerHandlerContext<P>,
) => Res | Promise<Res>;

/** Handlers by operation name: the typed built-ins, plus any custom operation. */
export type WorkerHandlers = {
  [K in WorkerOpName]?: WorkerHandler<WorkerOps[K]['request'], WorkerOps[K]['response'], WorkerProgressOf<K>>;
} & Record<string, WorkerHandler<never, unknown, unknown> | undefined>;

/**
 * Answers requests arriving at `endpoint` with `handlers`: one AbortController per request,
 * progress forwarded, results and errors posted back with their typed-array buffers
 * transferred. Requests run concurrently; handlers that share a resource serialise themselves
 * (the web runtime does). Returns a function that stops listening.
 */
export function serveWorker(endpoint: WorkerEndpoint, handlers: WorkerHandlers): () => void {
  const inFlight = new Map<number, AbortController>();
  const post = (message: FromWorkerMessage) => {
    const transfer = message.type === 'result' ? transferablesOf(message.payload) : [];
    try {
      endpoint.postMessage(message, transfer);
    } catch (e) {
      // e.g. a result that cannot be cloned: report that instead of leaving the client waiting
      if (message.type !== 'result') throw e;
      endpoint.postMessage({ type: 'error', id: message.id, error: toWireError(e) } satisfies FromWorkerMessage, []);
    }
  };
  const listener = (event: MessageEvent) => {
    const m = event.data;
    if (!isToWorkerMessage(m)) return;
    if (m.type === 'abort') {
      inFlight.get(m.id)?.abort();
      return;
    }
    const handler = handlers[m.op] as WorkerHandler<unknown, unknown, unknown> | undefined;
    if (!handler) {
      post({ type: 'error', id: m.id, error: { name: 'Error', message: `unknown worker operation '${m.op}'` } });
      return;
    }
    const controller = new AbortController();
    inFlight.set(m.id, controller);
    const context: WorkerHandlerContext<unknown> = {
      signal: controller.signal,
      progress: (progress) => {
        if (!controller.signal.aborted) post({ type: 'progress', id: m.id, progress } as FromWorkerMessage);
      },
    };
    Promise.resolve()
      .then(() => handler(m.payload, context))
      .then(
        (payload) => post({ type: 'result', id: m.id, payload }),
        (e) => {
          const error = toWireError(e);
          post({ type: 'error', id: m.id, error: isAbortError(e) ? { ...error, name: 'AbortError' } : error });
        },
      )
      .finally(() => inFlight.delete(m.id));
  };
  endpoint.addEventListener('message', listener);
  return () => {
    endpoint.removeEventListener('message', listener);
    for (const c of inFlight.values()) c.abort();
    inFlight.clear();
  };
}
