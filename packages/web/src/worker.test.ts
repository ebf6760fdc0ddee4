import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { AbortError, type ModelSession, type Runtime, type Tensor } from '@diffrestore/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerRuntime, WorkerClient, type WorkerLike } from './worker-client';
import { createRuntimeHandlers } from './worker-handlers';
import { serveWorker, type WorkerEndpoint, type WorkerHandlers } from './worker-host';
import { transferablesOf, type WorkerProgress } from './worker-protocol';

// The worker protocol end to end over a MessageChannel (what a Worker uses underneath), with
// an analytic stand-in runtime: graph 'affine' is y = 2x + 1, graph 'gated' waits for a gate.

const gates: (() => void)[] = [];
let gatedRuns = 0;

function fakeRuntime(): Runtime {
  return {
    name: 'fake',
    async createSession(source): Promise<ModelSession> {
      if (source === 'missing.onnx') throw new Error('failed to load ONNX model missing.onnx: not found');
      const gated = source === 'gated.onnx';
      return {
        inputs: [{ name: 'x', type: 'float32', shape: [null, null, null, null] }],
        outputs: [{ name: 'y', type: 'float32', shape: [null, null, null, null] }],
        async run(feeds) {
          if (!feeds.x) throw new Error('missing input(s) x');
          if (gated) {
            gatedRuns++;
            await new Promise<void>((r) => gates.push(r));
          }
          const x = feeds.x;
          return { y: { data: x.data.map((v) => 2 * v + 1), shape: [...x.shape] } };
        },
        async release() {},
      };
    },
  };
}

const open: MessagePort[] = [];
function connect(handlers: WorkerHandlers): { client: WorkerClient; stop: () => void } {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const stop = serveWorker(port2 as unknown as WorkerEndpoint, handlers);
  port2.start();
  return { client: new WorkerClient(port1 as unknown as WorkerLike), stop };
}

afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

describe('transferablesOf', () => {
  it('finds each buffer once, in nested objects and arrays, skipping non-buffers', () => {
    const a = new Float32Array(4);
    const b = new ArrayBuffer(8);
    const shared = new Float32Array(new SharedArrayBuffer(16));
    const found = transferablesOf({ a, again: a.subarray(1), list: [b, { n: 3, s: 'x' }], shared });
    expect(found).toHaveLength(2);
    expect(found).toContain(a.buffer);
    expect(found).toContain(b);
  });
});

describe('worker protocol', () => {
  it('loads and runs a graph through createWorkerRuntime', async () => {
    const { client } = connect(createRuntimeHandlers({ createRuntime: fakeRuntime }));
    const rt = createWorkerRuntime(client, { wasmPaths: 'http://x/ort/' });
    const s = await rt.createSession('affine.onnx');
    expect(rt.name).toBe('fake in a Web Worker');
    expect(s.inputs.map((i) => i.name)).toEqual(['x']);
    const x = Float32Array.of(1, -2, 0.5);
    const out = await s.run({ x: { data: x, shape: [1, 1, 1, 3] } });
    expect(Array.from(out.y.data)).toEqual([3, -3, 2]);
    expect(out.y.shape).toEqual([1, 1, 1, 3]);
    expect(Array.from(x)).toEqual([1, -2, 0.5]); // the caller's feed is untouched
    await s.release();
    await expect(client.request('run', { handle: s.handle, feeds: {} })).rejects.toThrow(/no session with handle/);
    expect(client.pending).toBe(0);
  });

  it('tiles an image in the worker with one progress message per tile', async () => {
    const { client } = connect(createRuntimeHandlers({ createRuntime: fakeRuntime }));
    const { handle } = await client.request('load', { source: 'affine.onnx' });
    const h = 20;
    const w = 30;
    const image = Float32Array.from({ length: 3 * h * w }, (_, i) => (i % 17) / 17);
    const progress: WorkerProgress[] = [];
    const r = await client.request(
      'mapImage',
      { handle, image: { data: image, shape: [1, 3, h, w] }, tile: 12, stride: 8 },
      { onProgress: (p) => progress.push(p) },
    );
    let maxErr = 0;
    for (let i = 0; i < image.length; i++) maxErr = Math.max(maxErr, Math.abs(r.image.data[i] - (2 * image[i] + 1)));
    expect(maxErr).toBeLessThan(1e-5);
    // tiles along 20: ceil(8/8)+1 = 2; along 30: ceil(18/8)+1 = 4
    expect(progress.map((p) => `${p.done}/${p.total}`)).toEqual([
      '1/8',
      '2/8',
      '3/8',
      '4/8',
      '5/8',
      '6/8',
      '7/8',
      '8/8',
    ]);
  });

  it('rejects an aborted request at once with AbortError and tells the worker', async () => {
    let workerSignal: AbortSignal | undefined;
    const handlers = {
      ...createRuntimeHandlers({ createRuntime: fakeRuntime }),
      wait: async (_: unknown, ctx: { signal: AbortSignal }) => {
        workerSignal = ctx.signal;
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        throw new AbortError();
      },
    };
    const { client } = connect(handlers);
    const c = new AbortController();
    const pending = client.request('wait', {}, { signal: c.signal });
    await new Promise((r) => setTimeout(r, 20));
    expect(workerSignal?.aborted).toBe(false);
    c.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(client.pending).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(workerSignal?.aborted).toBe(true);
  });

  it('an aborted run in the worker leaves the session usable', async () => {
    gates.length = 0;
    gatedRuns = 0;
    const { client } = connect(createRuntimeHandlers({ createRuntime: fakeRuntime }));
    const rt = createWorkerRuntime(client);
    const s = await rt.createSession('gated.onnx');
    const c = new AbortController();
    const feeds: Record<string, Tensor> = { x: { data: Float32Array.of(1), shape: [1, 1, 1, 1] } };
    const first = s.run(feeds, { signal: c.signal });
    while (gatedRuns < 1) await new Promise((r) => setTimeout(r, 1));
    c.abort();
    await expect(first).rejects.toBeInstanceOf(AbortError);
    gates.shift()?.();
    const second = s.run(feeds);
    while (gatedRuns < 2) await new Promise((r) => setTimeout(r, 1));
    gates.shift()?.();
    expect(Array.from((await second).y.data)).toEqual([3]);
  });

  it('carries errors back with the operation name, and refuses unknown operations', async () => {
    const { client } = connect(createRuntimeHandlers({ createRuntime: fakeRuntime }));
    await expect(client.request('load', { source: 'missing.onnx' })).rejects.toThrow(
      /worker 'load': failed to load ONNX model missing\.onnx/,
    );
    await expect(client.request('restore', {})).rejects.toThrow(/unknown worker operation 'restore'/);
    const { handle } = await client.request('load', { source: 'affine.onnx' });
    await expect(client.request('init', {})).rejects.toThrow(/init once, before the first load/);
    await expect(client.request('run', { handle, feeds: {} })).rejects.toThrow(/missing input\(s\) x/);
  });

  it('adds an operation with one handler (how restore will plug in)', async () => {
    const base = createRuntimeHandlers({ createRuntime: fakeRuntime });
    const { client } = connect({
      ...base,
      double: async (payload: { data: Float32Array }, ctx: { progress: (p: WorkerProgress) => void }) => {
        ctx.progress({ stage: 'double', done: 1, total: 1 });
        return { data: payload.data.map((v) => v * 2) };
      },
    });
    const seen: string[] = [];
    const r = await client.request<{ data: Float32Array }>(
      'double',
      { data: Float32Array.of(1, 2) },
      { onProgress: (p) => seen.push(p.stage) },
    );
    expect(Array.from(r.data)).toEqual([2, 4]);
    expect(seen).toEqual(['double']);
  });

  it('moves transferred buffers to the worker and fails pending requests on terminate', async () => {
    const { client } = connect({ hang: () => new Promise(() => {}) });
    const data = new Float32Array(16);
    const pending = client.request('hang', { data }, { transfer: [data.buffer] });
    expect(data.byteLength).toBe(0); // detached: moved, not copied
    client.terminate();
    await expect(pending).rejects.toThrow(/terminated/);
    await expect(client.request('hang', {})).rejects.toThrow(/terminated/);
  });
});
