// The Web Worker entry: serves the built-in operations over onnxruntime-web. Start it with
// `new Worker(url, { type: 'module' })` and talk to it with WorkerClient. To add operations
// (e.g. 'restore'), write your own entry: serveWorker(self, { ...createRuntimeHandlers(), restore }).
import { createRuntimeHandlers } from './worker-handlers';
import { serveWorker, type WorkerEndpoint } from './worker-host';

serveWorker(globalThis as unknown as WorkerEndpoint, createRuntimeHandlers());
