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

/** Throws an AbortError if the signal has fired; call between units of work. */
export function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) {
    const reason = signal.reason;
    if (isAbortError(reason)) throw reason;
    throw new AbortError(reason instanceof Error ? reason.message : 'The operation was aborted', { cause: reason });
  }
}
