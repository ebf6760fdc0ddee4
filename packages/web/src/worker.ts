// The Web Worker entry: serves the built-in operations over onnxruntime-web plus 'restore'
// (core's whole pipeline, bundles opened once per URL). Start it with
// `new Worker(url, { type: 'module' })` and talk to it with createRestoreWorker or
// WorkerClient. To add operations, write your own entry:
// serveWorker(self, { ...createRuntimeHandlers(), ...createRestoreHandlers(...), myOp }).
import { createRestoreHandlers } from './restore-handlers';
import { createRuntimeHandlers } from './worker-handlers';
import { serveWorker, type WorkerEndpoint } from './worker-host';

const base = createRuntimeHandlers();
const { restore, closeBundle } = createRestoreHandlers({ runtime: base.runtime });
serveWorker(globalThis as unknown as WorkerEndpoint, { ...base, restore, closeBundle });
