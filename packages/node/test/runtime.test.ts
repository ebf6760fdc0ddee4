import path from 'node:path';
import { AbortError, type ModelSession, type Tensor } from '@diffrestore/core';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createNodeRuntime, type NodeRuntime, workerHostOf } from '../src/runtime';
import type { WorkerHost } from '../src/worker-host';
import { fixture, maxAbs, ref } from './helpers';

const t = (data: number[], shape: number[]): Tensor => ({ data: Float32Array.from(data), shape });

const runtimes: NodeRuntime[] = [];
function make(worker: boolean): NodeRuntime {
  const rt = createNodeRuntime({ worker, intraOpNumThreads: 1 });
  runtimes.push(rt);
  return rt;
}
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
});

describe.each([false, true])('createNodeRuntime (worker: %s)', (worker) => {
  it('runs y = 2x + 1 with dynamic shape and reports graph metadata', async () => {
    const rt = make(worker);
    const s = await rt.createSession(fixture('node_affine.onnx'));
    expect(s.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['batch', 'channels', 'height', 'width'] }]);
    expect(s.outputs.map((o) => [o.name, o.type])).toEqual([['y', 'float32']]);
    const out = await s.run({ x: t(ref.affine.x, ref.affine.shape) });
    expect(out.y.shape).toEqual(ref.affine.shape);
    expect(out.y.data).toBeInstanceOf(Float32Array);
    expect(maxAbs(out.y.data, ref.affine.y)).toBeLessThanOrEqual(1e-6);
    // another shape through the same session
    const small = await s.run({ x: t([1, -1, 0.5], [1, 1, 1, 3]) });
    expect([...small.y.data]).toEqual([3, -1, 2]);
    await s.release();
  });

  it('converts float32 feeds to a float16 graph and the outputs back', async () => {
    const rt = make(worker);
    const s = await rt.createSession(fixture('node_affine_fp16.onnx'));
    expect(s.inputs[0].type).toBe('float16');
    expect(s.outputs[0].type).toBe('float16');
    const x = t(ref.affine_fp16.x, ref.affine_fp16.shape);
    const xCopy = x.data.slice();
    const out = await s.run({ x });
    expect(out.y.data).toBeInstanceOf(Float32Array);
    // NumPy computed the same fp16 arithmetic: equal up to one fp16 ulp at |y| < 32.
    expect(maxAbs(out.y.data, ref.affine_fp16.y)).toBeLessThanOrEqual(2 ** -5);
    // the caller's tensor is untouched (not detached or overwritten)
    expect(x.data).toEqual(xCopy);
    await s.release();
  });

  it('feeds int64 inputs (tokens) and converts int/float outputs', async () => {
    const rt = make(worker);
    const s = await rt.createSession(fixture('node_tokens_int64.onnx'));
    expect(s.inputs).toEqual([{ name: 'tokens', type: 'int64', shape: [1, 'length'] }]);
    const out = await s.run({ tokens: t(ref.tokens.tokens, ref.tokens.shape) });
    expect(out.emb.shape).toEqual(ref.tokens.emb_shape);
    expect(maxAbs(out.emb.data, ref.tokens.emb)).toBe(0);
    expect(out.token_sum.data[0]).toBe(ref.tokens.token_sum);
    await expect(s.run({ tokens: t([1.5], [1, 1]) })).rejects.toThrow(/'tokens' is int64, but element 0 is 1\.5/);
    await s.release();
  });

  it('runs the Loop/MatMul graph like NumPy', async () => {
    const rt = make(worker);
    const s = await rt.createSession(fixture('node_slow.onnx'));
    const n = ref.slow.n;
    const out = await s.run({ x: t(ref.slow.x, [n, n]), iterations: t([ref.slow.iterations], []) });
    expect(maxAbs(out.y.data, ref.slow.y)).toBeLessThan(1e-5);
    await s.release();
  });

  it('reports missing feeds, missing files and released sessions clearly', async () => {
    const rt = make(worker);
    const s = await rt.createSession(fixture('node_affine.onnx'));
    await expect(s.run({ z: t([1], [1, 1, 1, 1]) })).rejects.toThrow(/missing input\(s\) x; unknown input\(s\) z/);
    await s.release();
    await expect(s.run({ x: t([1], [1, 1, 1, 1]) })).rejects.toThrow(/released/);
    await expect(rt.createSession(fixture('nope.onnx'))).rejects.toThrow(/model file not found: .*nope\.onnx/);
  });

  it('rejects with AbortError for a signal that already fired', async () => {
    const rt = make(worker);
    const s = await rt.createSession(fixture('node_affine.onnx'));
    const ac = new AbortController();
    ac.abort();
    const err = await s.run({ x: t([1], [1, 1, 1, 1]) }, { signal: ac.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    await s.release();
  });

  it('loads from bytes', async () => {
    const { readFileSync } = await import('node:fs');
    const rt = make(worker);
    const s = await rt.createSession(new Uint8Array(readFileSync(fixture('node_affine.onnx'))));
    const out = await s.run({ x: t([2], [1, 1, 1, 1]) });
    expect(out.y.data[0]).toBe(5);
    await s.release();
  });
});

describe('execution providers', () => {
  it('explains a missing CUDA provider (installed with the skip) or runs on it', async () => {
    const { existsSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const ortDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const lib = path.join(ortDir, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
    const rt = createNodeRuntime({ worker: false, executionProviders: ['cuda', 'cpu'] });
    runtimes.push(rt);
    const attempt = rt.createSession(fixture('node_affine.onnx'));
    if (existsSync(lib)) {
      const s = await attempt;
      expect((await s.run({ x: t([1], [1, 1, 1, 1]) })).y.data[0]).toBe(3);
    } else {
      await expect(attempt).rejects.toThrow(
        /the cuda execution provider is not available: .*ONNXRUNTIME_NODE_INSTALL=skip/,
      );
    }
  });
});

describe('session cache', () => {
  it('loads a (path, options) pair once and releases it with the last handle', async () => {
    const create = vi.spyOn(InferenceSession, 'create');
    try {
      const rt = make(false);
      const a = await rt.createSession(fixture('node_affine.onnx'));
      const b = await rt.createSession(fixture('node_affine.onnx'));
      expect(create).toHaveBeenCalledTimes(1);
      const c = await rt.createSession(fixture('node_affine.onnx'), { intraOpNumThreads: 2 });
      expect(create).toHaveBeenCalledTimes(2);
      await a.release();
      const out = await b.run({ x: t([1], [1, 1, 1, 1]) });
      expect(out.y.data[0]).toBe(3);
      await b.release();
      await c.release();
      const d = await rt.createSession(fixture('node_affine.onnx'));
      expect(create).toHaveBeenCalledTimes(3);
      await d.release();
      // a second runtime has its own cache
      const other = make(false);
      await (await other.createSession(fixture('node_affine.onnx'))).release();
      expect(create).toHaveBeenCalledTimes(4);
    } finally {
      create.mockRestore();
    }
  });
});

/** Iterations of the slow graph (n=384) that take about `ms` in-process. */
async function calibrate(session: ModelSession, x: Tensor, ms: number): Promise<number> {
  const probe = 32;
  await session.run({ x, iterations: t([4], []) });
  const t0 = performance.now();
  await session.run({ x, iterations: t([probe], []) });
  const per = (performance.now() - t0) / probe;
  return Math.max(probe, Math.round(ms / per));
}

async function ticksDuring(work: () => Promise<unknown>): Promise<{ ticks: number; ms: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const t0 = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { ticks, ms: performance.now() - t0 };
}

describe('event loop and worker thread', () => {
  const n = 384;
  const x = t(
    Array.from({ length: n * n }, (_, i) => Math.sin(i) * 0.05),
    [n, n],
  );
  let iterations = 0;

  it('keeps the event loop ticking during a long run in the worker, not in-process', async () => {
    const inProcess = await make(false).createSession(fixture('node_slow.onnx'));
    iterations = await calibrate(inProcess, x, 1000);
    const blocked = await ticksDuring(() => inProcess.run({ x, iterations: t([iterations], []) }));
    const worker = await make(true).createSession(fixture('node_slow.onnx'));
    await worker.run({ x, iterations: t([1], []) });
    const free = await ticksDuring(() => worker.run({ x, iterations: t([iterations], []) }));
    console.log(
      `[event-loop] ${iterations} iterations: in-process ${blocked.ticks} ticks of 10 ms in ${blocked.ms.toFixed(0)} ms; ` +
        `worker ${free.ticks} ticks in ${free.ms.toFixed(0)} ms`,
    );
    expect(blocked.ms).toBeGreaterThan(300);
    expect(blocked.ticks).toBeLessThanOrEqual(2);
    // Ideal is ms/10; allow heavy scheduling noise on a shared 2-core machine.
    expect(free.ticks).toBeGreaterThanOrEqual(Math.max(10, Math.floor(free.ms / 10 / 4)));
    await inProcess.release();
    await worker.release();
  });

  it('abandons a long worker run on abort and serves the next run afterwards', async () => {
    const rt = make(true);
    const s = await rt.createSession(fixture('node_slow.onnx'));
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 50);
    const err = await s
      .run({ x, iterations: t([Math.max(Math.round(iterations / 2), 20)], []) }, { signal: ac.signal })
      .catch((e) => e);
    const elapsed = performance.now() - t0;
    expect(err).toBeInstanceOf(AbortError);
    expect(err.name).toBe('AbortError');
    expect(elapsed).toBeLessThan(400);
    const out = await s.run({ x: t(ref.slow.x, [ref.slow.n, ref.slow.n]), iterations: t([ref.slow.iterations], []) });
    expect(maxAbs(out.y.data, ref.slow.y)).toBeLessThan(1e-5);
    await s.release();
  });

  it('rejects pending calls when the worker crashes and restarts on the next call', async () => {
    const rt = make(true);
    const s = await rt.createSession(fixture('node_affine.onnx'));
    const host = (rt as unknown as Record<symbol, () => WorkerHost>)[workerHostOf]();
    void host.call({ op: 'crash' }).catch(() => {});
    const err = await s.run({ x: t([1], [1, 1, 1, 1]) }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('WorkerCrashError');
    expect(err.message).toMatch(/worker thread crashed: deliberate crash/);
    const again = await s.run({ x: t([4], [1, 1, 1, 1]) });
    expect(again.y.data[0]).toBe(9);
    await s.release();
  });
});

describe('built package', () => {
  const dist = fixture('../../dist');
  const model = fixture('node_affine.onnx');
  const body = `const rt = createNodeRuntime();
    const s = await rt.createSession(${JSON.stringify(model)});
    const out = await s.run({ x: { data: Float32Array.of(1, 2), shape: [1, 1, 1, 2] } });
    console.log(rt.name + ' ' + Array.from(out.y.data).join(','));`;

  it.each([
    [
      'ESM',
      [
        '--input-type=module',
        '-e',
        `import { createNodeRuntime } from ${JSON.stringify(`${dist}/index.js`)};\n${body}`,
      ],
    ],
    [
      'CJS',
      [
        '-e',
        `const { createNodeRuntime } = require(${JSON.stringify(`${dist}/index.cjs`)});\n(async () => { ${body} })();`,
      ],
    ],
  ])('%s build finds its worker and lets the process exit without close()', async (_kind, args) => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('onnxruntime-node (worker thread) 3,5');
  });
});
