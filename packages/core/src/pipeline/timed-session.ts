import type { ModelSession } from '../runtime/types';

/** Accumulates the wall time spent inside ONNX runs, so pipeline overhead = wall - runtime. */
export interface RuntimeClock {
  /** Milliseconds spent inside `run` calls so far. */
  readonly runtimeMs: number;
  /** Number of `run` calls so far. */
  readonly runs: number;
}

export interface ClockedSession {
  readonly session: ModelSession;
  readonly clock: RuntimeClock;
}

// performance.now() is common to Node and browsers; fall back to Date where absent.
const perf = (globalThis as { performance?: { now(): number } }).performance;
const now = (): number => (perf ? perf.now() : Date.now());

/** Wraps sessions so every run is timed into one shared clock. */
export function createRuntimeClock(): RuntimeClock & { wrap(session: ModelSession): ModelSession } {
  const state = { runtimeMs: 0, runs: 0 };
  return {
    get runtimeMs() {
      return state.runtimeMs;
    },
    get runs() {
      return state.runs;
    },
    wrap(session) {
      return {
        inputs: session.inputs,
        outputs: session.outputs,
        release: () => session.release(),
        async run(feeds, options) {
          const start = now();
          try {
            return await session.run(feeds, options);
          } finally {
            state.runtimeMs += now() - start;
            state.runs += 1;
          }
        },
      };
    },
  };
}

export { now as clockNow };
