import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AbortError } from '@diffrestore/core';
import { describe, expect, it } from 'vitest';
import { createWebRuntime, webRunQueue } from '../src/runtime';

// runtime.ts on onnxruntime-web's WebAssembly backend under Node (its 'node' export), so
// the conversion and queueing logic is covered even where no browser is installed.

const FIXTURES = path.join(__dirname, 'fixtures');
const fx = JSON.parse(readFileSync(path.join(FIXTURES, 'web_fixtures.json'), 'utf8'));
const bytes = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));

describe('createWebRuntime (onnxruntime-web WASM under Node)', () => {
  const rt = createWebRuntime({ numThreads: 1 });

  it('reports metadata and computes y = 2x + 1 exactly', async () => {
    const s = await rt.createSession(bytes(fx.affine.file));
    expect(s.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['batch', 'channels', 'height', 'width'] }]);
    expect(s.outputs.map((o) => o.name)).toEqual(['y']);
    const out = await s.run({ x: { data: Float32Array.from(fx.affine.x), shape: fx.affine.shape } });
    expect(out.y.shape).toEqual(fx.affine.shape);
    expect(Array.from(out.y.data)).toEqual(fx.affine.y);
    await s.release();
  });

  it('converts float16 and int64 inputs and float16, int64, bool outputs', async () => {
    const s = await rt.createSession(bytes(fx.mixed.file));
    const out = await s.run({
      x: { data: Float32Array.from(fx.mixed.x), shape: [1, fx.mixed.x.length] },
      ids: { data: Float32Array.from(fx.mixed.ids), shape: [1, fx.mixed.ids.length] },
    });
    expect(Array.from(out.y.data)).toEqual(fx.mixed.y);
    expect(Array.from(out.total.data)).toEqual([fx.mixed.total]);
    expect(Array.from(out.positive.data)).toEqual(fx.mixed.positive);
    await expect(s.run({ x: { data: new Float32Array(2), shape: [1, 2] } })).rejects.toThrow(/missing input\(s\) ids/);
    await s.release();
  });

  it('serialises concurrent runs and drops aborted queued ones', async () => {
    const s = await rt.createSession(bytes(fx.affine.file));
    const c = new AbortController();
    const runs = [0, 1, 2, 3].map((k) =>
      s.run({ x: { data: Float32Array.of(k, -k), shape: [1, 1, 1, 2] } }, k === 2 ? { signal: c.signal } : {}),
    );
    c.abort();
    const settled = await Promise.allSettled(runs);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toBeInstanceOf(AbortError);
    expect(
      Array.from((settled[3] as PromiseFulfilledResult<Record<string, { data: Float32Array }>>).value.y.data),
    ).toEqual([7, -5]);
    await webRunQueue().idle();
    await s.release();
    await expect(s.run({ x: { data: new Float32Array(1), shape: [1, 1, 1, 1] } })).rejects.toThrow(/released/);
  });

  it('lets queued tasks (an abort message, a timer) in between the runs of a chain', async () => {
    const s = await rt.createSession(bytes(fx.affine.file));
    const c = new AbortController();
    setTimeout(() => c.abort(), 0); // a task: it only fires if the chain below yields to tasks
    let runs = 0;
    const chain = async () => {
      for (; runs < 2000; runs++) await s.run({ x: { data: Float32Array.of(runs), shape: [1, 1, 1, 1] } }, c);
    };
    await expect(chain()).rejects.toBeInstanceOf(AbortError);
    expect(runs).toBeLessThan(20);
    await s.release();
  });

  it('names the model when loading fails and refuses providers it does not have', async () => {
    await expect(rt.createSession(new Uint8Array([1, 2, 3]))).rejects.toThrow(
      /failed to load ONNX model <3-byte model>/,
    );
    expect(() => createWebRuntime({ executionProviders: ['cuda' as never] })).toThrow(
      /unsupported execution provider 'cuda'/,
    );
  });
});
