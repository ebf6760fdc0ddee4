/**
 * Worker-thread entry (built to dist/worker.js and dist/worker.cjs): owns onnxruntime-node
 * sessions so their synchronous native runs block this thread, not the caller's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { type LoadedGraph, loadGraph } from './runtime';
import type { LoadResult, RunResult, WireError, WorkerRequest, WorkerResponse } from './worker-protocol';

const port = parentPort;
if (!port) throw new Error('diffrestore worker.js must be started as a worker thread');

const graphs = new Map<number, LoadedGraph>();
let nextHandle = 1;

function graphOf(handle: number): LoadedGraph {
  const g = graphs.get(handle);
  if (!g) throw new Error(`unknown or released session handle ${handle}`);
  return g;
}

function wireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

function post(response: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(response, transfer);
}

async function handle(req: WorkerRequest): Promise<void> {
  switch (req.op) {
    case 'load': {
      const graph = await loadGraph(req.source, req.settings);
      const handle = nextHandle++;
      graphs.set(handle, graph);
      const result: LoadResult = { handle, inputs: [...graph.inputs], outputs: [...graph.outputs] };
      post({ id: req.id, ok: true, result });
      return;
    }
    case 'run': {
      const outputs = await graphOf(req.handle).run(req.feeds);
      // Outputs are fresh float32 copies (fromGraphOutput), so their buffers can move.
      const buffers = new Set<ArrayBuffer>();
      for (const t of Object.values(outputs)) buffers.add(t.data.buffer as ArrayBuffer);
      const result: RunResult = { outputs };
      post({ id: req.id, ok: true, result }, [...buffers]);
      return;
    }
    case 'release': {
      const graph = graphOf(req.handle);
      graphs.delete(req.handle);
      await graph.release();
      post({ id: req.id, ok: true, result: null });
      return;
    }
    case 'crash':
      setImmediate(() => {
        throw new Error('deliberate crash (test hook)');
      });
      return;
  }
}

port.on('message', (req: WorkerRequest) => {
  handle(req).catch((e) => post({ id: req.id, ok: false, error: wireError(e) }));
});
