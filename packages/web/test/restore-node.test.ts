import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  AbortError,
  decodeUtf8,
  type RestoreProgress,
  restoreImage,
  type Tensor,
  maxAbsDiff as tensorMaxAbsDiff,
} from '@diffrestore/core';
import { createNodeRuntime, loadBundle } from '@diffrestore/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore } from '../src/cache';
import { createRestoreHandlers } from '../src/restore-handlers';
import type { RestoreWorkerProgress } from '../src/restore-protocol';
import { urlBundleSource } from '../src/url-bundle-source';
import { WorkerClient, type WorkerLike } from '../src/worker-client';
import { serveWorker, type WorkerEndpoint } from '../src/worker-host';

// The browser BundleSource over a fake fetch of the fixture bundle, and the 'restore' worker
// operation over a MessageChannel (what a Worker uses underneath) on onnxruntime-node: the
// result must be the in-process pipeline's, bit for bit, since the same runtime computes both.

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'fixtures', 'bundles', 'tiny-random');
const BASE = 'https://models.example/tiny-random/';

function fakeFetch(tamper: Record<string, (b: Uint8Array) => Uint8Array> = {}) {
  const hits = new Map<string, number>();
  const fn = async (url: string, init: { signal?: AbortSignal } = {}) => {
    init.signal?.throwIfAborted();
    hits.set(url, (hits.get(url) ?? 0) + 1);
    if (!url.startsWith(BASE)) return new Response(null, { status: 404, statusText: 'Not Found' });
    const rel = url.slice(BASE.length);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(path.join(BUNDLE, rel)));
    } catch {
      return new Response(null, { status: 404, statusText: 'Not Found' });
    }
    const t = tamper[rel];
    return new Response((t ? t(bytes) : bytes) as Uint8Array<ArrayBuffer>);
  };
  return { fn, hits };
}

// a small smooth test image (1, 3, 40, 48)
function testImage(): Tensor {
  const h = 40;
  const w = 48;
  const data = new Float32Array(3 * h * w);
  for (let k = 0; k < 3; k++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) data[(k * h + y) * w + x] = 0.5 + 0.4 * Math.sin((x + 2 * k) / 7) * Math.cos(y / 5);
  return { data, shape: [1, 3, h, w] };
}

describe('urlBundleSource', () => {
  it('reads the manifest and verified files; refuses tampered and unlisted files', async () => {
    const { fn } = fakeFetch({ 'vae_decoder.onnx': (b) => b.map((v, i) => (i === 100 ? v ^ 1 : v)) });
    const source = urlBundleSource(BASE.slice(0, -1), { fetch: fn }); // the trailing slash is added
    expect(source.location).toBe(BASE);
    const manifest = JSON.parse(decodeUtf8(await source.readFile('manifest.json')));
    expect(manifest.name).toBe('tiny-random');
    const enc = await source.readFile('vae_encoder.onnx');
    expect(Buffer.from(enc).equals(readFileSync(path.join(BUNDLE, 'vae_encoder.onnx')))).toBe(true);
    await expect(source.readFile('vae_decoder.onnx')).rejects.toThrow(/SHA-256 [0-9a-f]{64} does not match/);
    await expect(source.readFile('reference/cleaner-64x128.image.bin')).rejects.toThrow(/not listed in the manifest/);
    await expect(source.readFile('../secret')).rejects.toThrow(/not listed|stay inside/);
    expect(await source.sessionSource?.('denoiser.onnx')).toBeInstanceOf(Uint8Array);
  });

  it('hands URLs to the runtime with loadByUrl, and reads through a store once', async () => {
    const byUrl = urlBundleSource(BASE, { fetch: fakeFetch().fn, loadByUrl: true });
    expect(await byUrl.sessionSource?.('denoiser.onnx')).toBe(`${BASE}denoiser.onnx`);
    const { fn, hits } = fakeFetch();
    const store = memoryStore();
    const cached = urlBundleSource(BASE, { fetch: fn, store, loadByUrl: true });
    const a = await cached.readFile('cleaner.onnx');
    const b = await cached.sessionSource?.('cleaner.onnx'); // bytes: a store means verified bytes
    expect(b).toBeInstanceOf(Uint8Array);
    expect((b as Uint8Array).byteLength).toBe(a.byteLength);
    expect(hits.get(`${BASE}cleaner.onnx`)).toBe(1);
    expect(store.size).toBe(1);
  });
});

describe("the 'restore' worker operation (MessageChannel, onnxruntime-node)", () => {
  const runtime = createNodeRuntime({ worker: false });
  const ports: MessagePort[] = [];
  let client: WorkerClient;
  let fetched: ReturnType<typeof fakeFetch>;

  beforeAll(() => {
    fetched = fakeFetch();
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const handlers = createRestoreHandlers({ runtime: () => runtime, fetch: fetched.fn, store: () => memoryStore() });
    serveWorker(port2 as unknown as WorkerEndpoint, { ...handlers });
    port2.start();
    client = new WorkerClient(port1 as unknown as WorkerLike);
  });
  afterEach(() => {});
  afterAll(async () => {
    for (const p of ports) p.close();
    await runtime.close();
  });

  const options = { seed: 7, steps: 2, upscale: 1.5, minShortSide: 64, cfgScale: 2, colourFix: 'adain' as const };

  it('equals the in-process pipeline, forwards progress in order, opens the bundle once', async () => {
    const image = testImage();
    const events: RestoreWorkerProgress[] = [];
    const first = await client.request(
      'restore',
      { bundleUrl: BASE, image: { data: image.data.slice(), shape: image.shape }, options: { ...options } },
      { onProgress: (p: RestoreWorkerProgress) => events.push(p) },
    );
    const local = await loadBundle(BUNDLE, { runtime });
    const localEvents: RestoreProgress[] = [];
    const expected = await restoreImage(local.model, image, { ...options, onProgress: (p) => localEvents.push(p) });
    await local.model.release();
    expect(first.image.shape).toEqual([1, 3, 60, 72]);
    expect(tensorMaxAbsDiff(first.image, expected.image)).toBe(0);
    expect(tensorMaxAbsDiff(first.cleaned, expected.cleaned)).toBe(0);
    expect(first.seed).toBe(7);
    expect(first.bundle).toMatchObject({ url: BASE, name: 'tiny-random', warm: false });
    // download bytes, then 'open', then exactly core's own events
    const kinds = events.map((e) => e.type);
    const firstCore = kinds.indexOf('stage');
    expect(kinds.slice(0, firstCore).every((k) => k === 'download' || k === 'open')).toBe(true);
    expect(kinds.filter((k) => k === 'open')).toHaveLength(1);
    const lastDownload = events.filter((e) => e.type === 'download').at(-1) as { loaded: number; total: number };
    expect(lastDownload.loaded).toBe(lastDownload.total);
    expect(events.slice(firstCore)).toEqual(localEvents);
    expect(localEvents.filter((e) => e.type === 'step')).toHaveLength(2);

    const hitsBefore = fetched.hits.get(`${BASE}denoiser.onnx`);
    const again = await client.request('restore', {
      bundleUrl: BASE,
      image: { data: image.data.slice(), shape: image.shape },
      options: { ...options },
    });
    expect(again.bundle.warm).toBe(true);
    expect(fetched.hits.get(`${BASE}denoiser.onnx`)).toBe(hitsBefore);
    expect(tensorMaxAbsDiff(again.image, first.image)).toBe(0);
  });

  it('aborts mid-run with AbortError and keeps serving; refuses non-plain options', async () => {
    const image = testImage();
    const controller = new AbortController();
    const steps: number[] = [];
    const pending = client.request(
      'restore',
      { bundleUrl: BASE, image, options: { ...options, steps: 6 } },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.type !== 'step') return;
          steps.push(p.step);
          controller.abort();
        },
      },
    );
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(steps.length).toBeGreaterThanOrEqual(1);
    const after = await client.request('restore', { bundleUrl: BASE, image, options: { ...options, steps: 1 } });
    expect(after.image.shape).toEqual([1, 3, 60, 72]);
    await expect(
      client.request('restore', {
        bundleUrl: BASE,
        image,
        options: { guidance: { kind: 'likelihood' } as never },
      }),
    ).rejects.toThrow(/likelihood/);
    await expect(client.request('restore', { bundleUrl: 'https://models.example/none/', image })).rejects.toThrow(
      /not a model bundle/,
    );
    expect(await client.request('closeBundle', { bundleUrl: BASE })).toEqual({ closed: true });
    expect(await client.request('closeBundle', { bundleUrl: BASE })).toEqual({ closed: false });
  });
});
