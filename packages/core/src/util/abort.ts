/**
 * The part of the standard AbortSignal that core relies on. Declared structurally so core
 * compiles without DOM or Node typings; a real AbortSignal from either platform fits.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener?(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener?(type: 'abort', listener: () => void): void;
}

/** Rejection of a cancelled call; `name` is 'AbortError' as for fetch and DOMException. */
export class AbortError extends Error {
  override readonly name = 'AbortError';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

/**
 * Core's AbortError for a fired signal: always that class, so `instanceof AbortError` holds
 * on every platform; the signal's own reason (e.g. a DOMException) becomes the cause.
 */
export function abortErrorOf(signal: AbortSignalLike): AbortError {
  const reason = signal.reason;
  if (reason instanceof AbortError) return reason;
  const message =
    reason instanceof Error && reason.name !== 'AbortError' ? reason.message : 'The operation was aborted';
  return new AbortError(message, { cause: reason });
}

/** Throws an AbortError if the signal has fired; call between units of work. */
export function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) throw abortErrorOf(signal);
}

/**
 * Settles with `work`, or rejects with an AbortError as soon as `signal` fires. The work is
 * not stopped (a native ONNX run cannot be interrupted); its late result or failure is
 * dropped. `onAbort` runs once when the signal wins.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignalLike | undefined, onAbort?: () => void): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    onAbort?.();
    work.catch(() => {});
    return Promise.reject(abortErrorOf(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const listener = () => {
      onAbort?.();
      work.catch(() => {});
      reject(abortErrorOf(signal));
    };
    signal.addEventListener?.('abort', listener, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener?.('abort', listener);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener?.('abort', listener);
        reject(e);
      },
    );
  });
}
