import type { AbortSignalLike } from '@diffrestore/core';
import { abortErrorOf, raceAbort } from '@diffrestore/core';

/**
 * Runs jobs one at a time, in order. onnxruntime-web has one WebAssembly instance (and one
 * WebGPU device) per JavaScript realm, and overlapping runs fail on WebGPU ("Session already
 * started"), so every run of a realm goes through one queue.
 *
 * Abort: a job still waiting is dropped and rejects at once; a job already running rejects at
 * once too, but it completes in the background and the next job starts only after it did.
 */
export class RunQueue {
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;
  #running = false;

  /** Jobs accepted and not yet finished (including one running, or abandoned but running). */
  get pending(): number {
    return this.#waiting + (this.#running ? 1 : 0);
  }

  enqueue<T>(work: () => Promise<T>, signal?: AbortSignalLike): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortErrorOf(signal));
    const previous = this.#tail;
    let done!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.#waiting++;
    const job = previous.then(async () => {
      this.#waiting--;
      if (signal?.aborted) {
        done();
        throw abortErrorOf(signal);
      }
      this.#running = true;
      try {
        return await work();
      } finally {
        this.#running = false;
        done();
      }
    });
    return raceAbort(job, signal);
  }

  /** Resolves when every job accepted so far has finished (abandoned ones included). */
  idle(): Promise<void> {
    return this.#tail;
  }
}
