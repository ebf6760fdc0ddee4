import { type ModelSession, type Runtime, runTiled } from '@diffrestore/core';
import { createWebRuntime, type WebRuntimeOptions } from './runtime';
import type { WorkerHandlers } from './worker-host';
import { toWireTensors, type WireTensor, type WorkerRuntimeSettings } from './worker-protocol';

export interface RuntimeHandlersOptions {
  /** Makes the worker's runtime from the 'init' settings. Default {@link createWebRuntime}. */
  readonly createRuntime?: (settings: WorkerRuntimeSettings) => Runtime;
}

/**
 * Handlers for the built-in operations (init, load, run, release, mapImage) over one runtime
 * living in the worker. Sessions are addressed by numeric handles. Spread them into the
 * handlers given to serveWorker next to your own (e.g. `restore`).
 */
export function createRuntimeHandlers(options: RuntimeHandlersOptions = {}): WorkerHandlers & {
  /** The runtime ('init' makes it; a 'load' without 'init' makes a default one). */
  runtime(): Runtime;
  /** The session behind a handle, for custom handlers. */
  session(handle: number): ModelSession;
} {
  const make = options.createRuntime ?? ((s: WorkerRuntimeSettings) => createWebRuntime(s as WebRuntimeOptions));
  let runtime: Runtime | undefined;
  const sessions = new Map<number, ModelSession>();
  let nextHandle = 1;
  const getRuntime = () => {
    runtime ??= make({});
    return runtime;
  };
  const session = (handle: number) => {
    const s = sessions.get(handle);
    if (!s) throw new Error(`no session with handle ${handle} in this worker (released, or never loaded)`);
    return s;
  };
  return {
    runtime: getRuntime,
    session,
    init(settings) {
      if (sessions.size > 0) throw new Error('init: sessions are already loaded; init once, before the first load');
      runtime = make(settings);
      return {
        runtime: runtime.name,
        crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      };
    },
    async load({ source, options: sessionOptions }, { signal }) {
      const s = await getRuntime().createSession(source, sessionOptions);
      if (signal.aborted) {
        await s.release();
        signal.throwIfAborted();
      }
      const handle = nextHandle++;
      sessions.set(handle, s);
      return { handle, inputs: [...s.inputs], outputs: [...s.outputs] };
    },
    async run({ handle, feeds }, { signal }) {
      const outputs = await session(handle).run(feeds, { signal });
      return { outputs: toWireTensors(outputs, false) };
    },
    async release({ handle }) {
      const s = sessions.get(handle);
      if (!s) return { released: false };
      sessions.delete(handle);
      await s.release();
      return { released: true };
    },
    async mapImage({ handle, image, tile, stride, scale }, { signal, progress }) {
      const s = session(handle);
      if (s.inputs.length !== 1 || s.outputs.length < 1) {
        throw new Error(`mapImage: the graph must take one image input, it takes ${s.inputs.length}`);
      }
      const input = s.inputs[0].name;
      const output = s.outputs[0].name;
      const t = tile ?? 256;
      const result = await runTiled(image, async (x) => (await s.run({ [input]: x }, { signal }))[output], {
        tile: t,
        stride: stride ?? Math.max(1, Math.round(t * 0.75)),
        scale: scale ?? 1,
        signal,
        onTile: (p) => progress({ stage: 'tiles', done: p.index + 1, total: p.count }),
      });
      const wire: WireTensor = toWireTensors({ image: result }, false).image;
      return { image: wire };
    },
  };
}
