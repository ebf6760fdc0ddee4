import { AbortError, type AbortSignalLike } from '@diffrestore/core';

/**
 * Core's AbortError for a fired signal (always that class, so `instanceof AbortError`
 * holds; the signal's reason, e.g. a DOMException, becomes the cause).
 */
export function abortErrorOf(signal: AbortSignalLike): AbortError {
  const reason = signal.reason;
  if (reason instanceof AbortError) return reason;
  const message =
    reason instanceof Error && reason.name !== 'AbortError' ? reason.message : 'The operation was aborted';
  return new AbortError(message, { cause: reason });
}

/** Throws core's AbortError if the signal has fired. */
export function throwIfSignalled(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) throw abortErrorOf(signal);
}

/**
 * Settles with `work`, or rejects with an AbortError as soon as `signal` fires. The work
 * itself is not stopped (a native ONNX call cannot be interrupted); its result is dropped.
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
      // The abandoned work may still fail later; that is nobody's concern any more.
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
