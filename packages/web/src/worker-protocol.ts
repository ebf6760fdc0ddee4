import type { Tensor, ValueInfo } from '@diffrestore/core';
import type { CloseBundleRequest, RestoreRequest, RestoreResponse, RestoreWorkerProgress } from './restore-protocol';
import type { WebExecutionProvider, WebSessionOptions } from './runtime';

// Messages between a page (WorkerClient) and a Web Worker (serveWorker). Every request has an
// id; the worker answers with any number of progress messages and then one result or error.
// Typed-array buffers travel as transferables (moved, not copied).

/** A tensor on the wire: plain data, structured-clone friendly. */
export interface WireTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Progress of a long request, e.g. bytes downloaded or tiles done. */
export interface WorkerProgress {
  /** What is being done, e.g. 'download', 'tiles', 'denoise'. */
  readonly stage: string;
  readonly done: number;
  readonly total: number;
  /** A file name or similar detail. */
  readonly detail?: string;
}

export interface RequestMessage {
  readonly type: 'request';
  readonly id: number;
  readonly op: string;
  readonly payload: unknown;
}
export interface AbortMessage {
  readonly type: 'abort';
  readonly id: number;
}
export interface ProgressMessage<P = WorkerProgress | RestoreWorkerProgress> {
  readonly type: 'progress';
  readonly id: number;
  /** The operation's progress type ({@link WorkerProgressOf}). */
  readonly progress: P;
}
export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly payload: unknown;
}
/** An error as it crosses the boundary (Error objects lose their class when cloned). */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}
export interface ErrorMessage {
  readonly type: 'error';
  readonly id: number;
  readonly error: WireError;
}

export type ToWorkerMessage = RequestMessage | AbortMessage;
export type FromWorkerMessage = ProgressMessage | ResultMessage | ErrorMessage;

/** Settings of the worker's runtime, sent with 'init' before the first 'load'. */
export interface WorkerRuntimeSettings {
  readonly executionProviders?: readonly WebExecutionProvider[];
  /** URL prefix of onnxruntime-web's .mjs/.wasm files, absolute (the worker has its own base URL). */
  readonly wasmPaths?: string;
  readonly numThreads?: number;
}

/** One tiled pass of an image graph (one image input, one image output). */
export interface MapImageRequest {
  readonly handle: number;
  readonly image: WireTensor;
  /** Tile side and step in input pixels; defaults 256 and 192. Tiles cover the image if it is smaller. */
  readonly tile?: number;
  readonly stride?: number;
  /** Output size / input size (4 for an x4 upscaler). Default 1. */
  readonly scale?: number;
}

/**
 * The operations a diffrestore worker understands: request and response payload types, and
 * the progress type where it is not {@link WorkerProgress}. A new operation is one entry here
 * plus one handler passed to serveWorker.
 */
export interface WorkerOps {
  init: { request: WorkerRuntimeSettings; response: { runtime: string; crossOriginIsolated: boolean } };
  load: {
    request: { source: string | Uint8Array; options?: WebSessionOptions };
    response: { handle: number; inputs: ValueInfo[]; outputs: ValueInfo[] };
  };
  run: {
    request: { handle: number; feeds: Record<string, WireTensor> };
    response: { outputs: Record<string, WireTensor> };
  };
  release: { request: { handle: number }; response: { released: boolean } };
  mapImage: { request: MapImageRequest; response: { image: WireTensor } };
  /** A whole restore with core's pipeline; the bundle is opened once per URL and kept. */
  restore: { request: RestoreRequest; response: RestoreResponse; progress: RestoreWorkerProgress };
  /** Releases a bundle the worker keeps open for 'restore'. */
  closeBundle: { request: CloseBundleRequest; response: { closed: boolean } };
}

export type WorkerOpName = keyof WorkerOps & string;

/** The progress messages of an operation carry this. */
export type WorkerProgressOf<K extends WorkerOpName> = WorkerOps[K] extends { progress: infer P } ? P : WorkerProgress;

/** Every distinct, non-shared ArrayBuffer under typed arrays (or bare) in a value: what to transfer. */
export function transferablesOf(value: unknown, out: ArrayBuffer[] = [], seen = new Set<unknown>()): ArrayBuffer[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return out;
  seen.add(value);
  if (value instanceof ArrayBuffer) {
    if (!out.includes(value)) out.push(value);
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    // a SharedArrayBuffer is shared, not transferred
    if (buffer instanceof ArrayBuffer && !out.includes(buffer)) out.push(buffer);
    return out;
  }
  if (Array.isArray(value)) {
    for (const v of value) transferablesOf(v, out, seen);
    return out;
  }
  for (const v of Object.values(value)) transferablesOf(v, out, seen);
  return out;
}

/** Tensors -> wire tensors that own their buffers exactly (a view into a larger buffer is copied). */
export function toWireTensors(tensors: Readonly<Record<string, Tensor>>, copy: boolean): Record<string, WireTensor> {
  const out: Record<string, WireTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const whole = t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength;
    out[name] = { data: copy || !whole ? t.data.slice() : t.data, shape: [...t.shape] };
  }
  return out;
}

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return { name: 'Error', message: String(e) };
}

export function isFromWorkerMessage(m: unknown): m is FromWorkerMessage {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return (t === 'progress' || t === 'result' || t === 'error') && typeof (m as { id?: unknown }).id === 'number';
}

export function isToWorkerMessage(m: unknown): m is ToWorkerMessage {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  if (typeof (m as { id?: unknown }).id !== 'number') return false;
  return t === 'abort' || (t === 'request' && typeof (m as { op?: unknown }).op === 'string');
}
