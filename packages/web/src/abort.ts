import { AbortError, type AbortSignalLike } from '@diffrestore/core';

/**
 * Core's AbortError for a fired signal (always that class, so `instanceof AbortError` holds;
 * the signal's own reason, e.g. a DOMException, is kept as the cause).
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
 * Settles with `work`, or rejects with an AbortError as soon as `signal` fires. The work is
 * not stopped (an ONNX run cannot be interrupted); its late result or failure is dropped.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignalLike | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(abortErrorOf(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(abortErrorOf(signal));
    };
    signal.addEventListener?.('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener?.('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener?.('abort', onAbort);
        reject(e);
      },
    );
  });
}
