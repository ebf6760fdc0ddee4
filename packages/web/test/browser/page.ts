// Runs inside headless Chromium (served transpiled by server.ts). '@diffrestore/web' and
// '@diffrestore/core' resolve through the page's import map to the built dist files.
import { AbortError, resize } from '@diffrestore/core';
import {
  cacheApiStore,
  createRestoreWorker,
  createWebRuntime,
  createWorkerRuntime,
  decodeImage,
  encodeImage,
  fetchBundleFiles,
  imageFromImageData,
  imageToImageData,
  type RestoreWorkerProgress,
  readBundleFile,
  WorkerClient,
  type WorkerProgress,
  webRunQueue,
} from '@diffrestore/web';
import * as ort from 'onnxruntime-web';

interface Fixtures {
  affine: { file: string; shape: number[]; x: number[]; y: number[] };
  mixed: { file: string; x: number[]; ids: number[] };
  slow: { file: string; n: number; x_file: string; sample_index: number[]; sample_y: number[] };
  images: { rgba_file: string; rgb_file: string; height: number; width: number };
  files: { path: string; sha256: string; bytes: number }[];
}

const F = '/fixtures/';
const fixtures = async (): Promise<Fixtures> => (await fetch(`${F}web_fixtures.json`)).json();
const slowInput = async (fx: Fixtures) => new Float32Array(await (await fetch(F + fx.slow.x_file)).arrayBuffer());
const sample = (data: Float32Array, idx: number[]) => idx.map((i) => data[i]);
const errorInfo = (e: unknown) => ({
  name: (e as Error)?.name,
  message: (e as Error)?.message,
  isCoreAbortError: e instanceof AbortError,
});

async function runtimeTests() {
  const fx = await fixtures();
  const rt = createWebRuntime({ wasmPaths: '/ort/' });
  const affine = await rt.createSession(F + fx.affine.file);
  const y = await affine.run({ x: { data: Float32Array.from(fx.affine.x), shape: fx.affine.shape } });

  const bytes = new Uint8Array(await (await fetch(F + fx.mixed.file)).arrayBuffer());
  const mixed = await rt.createSession(bytes);
  const m = await mixed.run({
    x: { data: Float32Array.from(fx.mixed.x), shape: [1, fx.mixed.x.length] },
    ids: { data: Float32Array.from(fx.mixed.ids), shape: [1, fx.mixed.ids.length] },
  });
  let badIds: unknown;
  try {
    await mixed.run({
      x: { data: new Float32Array(2), shape: [1, 2] },
      ids: { data: Float32Array.of(1.5), shape: [1, 1] },
    });
  } catch (e) {
    badIds = errorInfo(e);
  }

  // concurrent calls: each must get its own answer (runs are serialised underneath)
  const batch = await Promise.all(
    [0, 1, 2, 3, 4, 5].map(async (k) => {
      const x = Float32Array.from({ length: 6 }, (_, i) => k * 10 + i);
      const r = await affine.run({ x: { data: x, shape: [1, 1, 2, 3] } });
      return { x: Array.from(x), y: Array.from(r.y.data) };
    }),
  );

  // abort: a slow run aborted in flight rejects at once; the queue goes on afterwards
  const slow = await rt.createSession(F + fx.slow.file);
  const sx = await slowInput(fx);
  const feed = { x: { data: sx, shape: [fx.slow.n, fx.slow.n] } };
  const t0 = performance.now();
  const first = await slow.run(feed);
  const slowMs = performance.now() - t0;
  // On the page a WASM run blocks the thread (that is what the worker is for), so an abort
  // can only land while runs wait in the queue; in-flight aborts are tested in the worker.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 2);
  const running = slow.run(feed);
  const controller = new AbortController();
  const queued1 = slow.run(feed, { signal: controller.signal });
  const queuedController = new AbortController();
  const queued2 = slow.run(feed, { signal: queuedController.signal });
  const after = slow.run(feed);
  const tAbort = performance.now();
  controller.abort();
  queuedController.abort(new Error('user cancelled'));
  let abortInfo: unknown;
  let abortMs = -1;
  try {
    await queued1;
  } catch (e) {
    abortMs = performance.now() - tAbort;
    abortInfo = errorInfo(e);
  }
  let queuedInfo: unknown;
  try {
    await queued2;
  } catch (e) {
    queuedInfo = errorInfo(e);
  }
  await running;
  const afterResult = await after;
  clearInterval(timer);
  let preAborted: unknown;
  try {
    await slow.run(feed, { signal: AbortSignal.abort() });
  } catch (e) {
    preAborted = errorInfo(e);
  }
  await webRunQueue().idle();
  await Promise.all([affine.release(), mixed.release(), slow.release()]);
  let afterRelease: unknown;
  try {
    await affine.run({ x: { data: new Float32Array(1), shape: [1, 1, 1, 1] } });
  } catch (e) {
    afterRelease = errorInfo(e);
  }
  return {
    crossOriginIsolated: self.crossOriginIsolated,
    name: rt.name,
    affine: { inputs: affine.inputs, outputs: affine.outputs, y: Array.from(y.y.data), shape: y.y.shape },
    mixed: {
      inputs: mixed.inputs,
      outputs: mixed.outputs,
      y: Array.from(m.y.data),
      total: Array.from(m.total.data),
      totalShape: m.total.shape,
      positive: Array.from(m.positive.data),
      badIds,
    },
    batch,
    slow: {
      ms: slowMs,
      first: sample(first.y.data, fx.slow.sample_index),
      after: sample(afterResult.y.data, fx.slow.sample_index),
      abortMs,
      ticksDuringTwoRuns: ticks,
      abortInfo,
      queuedInfo,
      preAborted,
    },
    afterRelease,
  };
}

const to255 = (data: Float32Array) => Array.from(data, (v) => Math.round(v * 255));

async function imageTests() {
  const fx = await fixtures();
  const rgba = await decodeImage(F + fx.images.rgba_file);
  const rgb = await decodeImage(new Uint8Array(await (await fetch(F + fx.images.rgb_file)).arrayBuffer()));
  const png = await encodeImage(rgba);
  const again = await decodeImage(png);
  // a twice-as-large restored image with the original alpha: alpha is fitted on output
  const big = resize(rgba.image, fx.images.height * 2, fx.images.width * 2, { mode: 'bicubic' });
  const bigPng = await encodeImage({ image: big, alpha: rgba.alpha });
  const bigBack = await decodeImage(bigPng, { alpha: 'keep' });
  // JPEG on a smooth gradient (random pixels are its worst case)
  const gh = 32;
  const gw = 48;
  const gradient = Float32Array.from({ length: 3 * gh * gw }, (_, i) => {
    const k = Math.floor(i / (gh * gw));
    const y = Math.floor((i % (gh * gw)) / gw);
    const x = i % gw;
    return 0.2 + 0.6 * (k === 0 ? x / gw : k === 1 ? y / gh : (x + y) / (gw + gh));
  });
  const jpeg = await encodeImage(
    { image: { data: gradient, shape: [1, 3, gh, gw] } },
    { type: 'image/jpeg', quality: 0.95 },
  );
  const jpegBack = await decodeImage(jpeg);
  const viaImageData = imageFromImageData(imageToImageData(rgb));
  let corrupt: unknown;
  try {
    await decodeImage(new Blob([new Uint8Array([1, 2, 3, 4])]));
  } catch (e) {
    corrupt = errorInfo(e);
  }
  return {
    rgba: { shape: rgba.image.shape, rgb: to255(rgba.image.data), alpha: rgba.alpha ? to255(rgba.alpha.data) : null },
    rgb: { shape: rgb.image.shape, rgb: to255(rgb.image.data), hasAlpha: rgb.alpha !== undefined },
    png: { type: png.type, size: png.size },
    again: { rgb: to255(again.image.data), alpha: again.alpha ? to255(again.alpha.data) : null },
    big: {
      imageShape: bigBack.image.shape,
      alphaShape: bigBack.alpha?.shape ?? null,
      alphaMin: Math.min(...(bigBack.alpha?.data ?? [])),
      alphaMax: Math.max(...(bigBack.alpha?.data ?? [])),
    },
    jpeg: {
      type: jpeg.type,
      shape: jpegBack.image.shape,
      source: to255(gradient),
      rgb: to255(jpegBack.image.data),
      hasAlpha: jpegBack.alpha !== undefined,
    },
    viaImageData: to255(viaImageData.image.data),
    corrupt,
  };
}

async function workerTests() {
  const fx = await fixtures();
  const client = new WorkerClient(new Worker('/web/browser/worker.js', { type: 'module' }));
  const rt = createWorkerRuntime(client, { wasmPaths: '/ort/' });
  const affine = await rt.createSession(F + fx.affine.file); // relative: resolved on the page
  const y = await affine.run({ x: { data: Float32Array.from(fx.affine.x), shape: fx.affine.shape } });

  // a tiled pass of the pointwise graph over a 40x56 image, with progress per tile
  const h = 40;
  const w = 56;
  const image = Float32Array.from({ length: 3 * h * w }, (_, i) => ((i * 7919) % 1000) / 1000);
  const progress: WorkerProgress[] = [];
  const mapped = await client.request(
    'mapImage',
    { handle: affine.handle, image: { data: image, shape: [1, 3, h, w] }, tile: 16, stride: 12 },
    { onProgress: (p) => progress.push(p) },
  );
  let maxErr = 0;
  for (let i = 0; i < image.length; i++) maxErr = Math.max(maxErr, Math.abs(mapped.image.data[i] - (2 * image[i] + 1)));

  // abort in the worker: the page keeps its timers running meanwhile
  const slow = await rt.createSession(`${location.origin}${F}${fx.slow.file}`);
  const sx = await slowInput(fx);
  const feed = { x: { data: sx, shape: [fx.slow.n, fx.slow.n] } };
  let ticks = 0;
  const timer = setInterval(() => ticks++, 2);
  const t0 = performance.now();
  const full = await slow.run(feed);
  const slowMs = performance.now() - t0;
  clearInterval(timer);
  const controller = new AbortController();
  const pending = slow.run(feed, { signal: controller.signal });
  let tAbort = 0;
  setTimeout(() => {
    tAbort = performance.now();
    controller.abort();
  }, 5);
  let abortInfo: unknown;
  let abortMs = -1;
  try {
    await pending;
  } catch (e) {
    abortMs = performance.now() - tAbort;
    abortInfo = errorInfo(e);
  }
  const afterAbort = await slow.run(feed);
  let missing: unknown;
  try {
    await affine.run({});
  } catch (e) {
    missing = errorInfo(e);
  }
  let unknownOp: unknown;
  try {
    await client.request('frobnicate', {});
  } catch (e) {
    unknownOp = errorInfo(e);
  }
  // image I/O inside a worker (no document there): the self-contained index bundle
  const ioWorkerSource = `
    import { decodeImage, encodeImage } from '${location.origin}/web/browser/index.js';
    const img = await decodeImage('${location.origin}${F}${fx.images.rgba_file}');
    const png = await encodeImage(img);
    const back = await decodeImage(png);
    postMessage({ shape: img.image.shape, alpha: back.alpha ? Array.from(back.alpha.data, (v) => Math.round(v * 255)) : null, type: png.type });
  `;
  const ioUrl = URL.createObjectURL(new Blob([ioWorkerSource], { type: 'text/javascript' }));
  const ioWorker = new Worker(ioUrl, { type: 'module' });
  const inWorker = await new Promise((resolve, reject) => {
    ioWorker.onmessage = (e) => resolve(e.data);
    ioWorker.onerror = (e) => reject(new Error(e.message || 'image worker failed'));
  });
  ioWorker.terminate();
  await affine.release();
  await slow.release();
  client.terminate();
  return {
    name: rt.name,
    y: Array.from(y.y.data),
    map: { shape: mapped.image.shape, maxErr, progress },
    slow: {
      ms: slowMs,
      ticks,
      full: sample(full.y.data, fx.slow.sample_index),
      afterAbort: sample(afterAbort.y.data, fx.slow.sample_index),
    },
    abortInfo,
    abortMs,
    missing,
    unknownOp,
    inWorker,
  };
}

async function cacheTests() {
  const fx = await fixtures();
  const store = cacheApiStore(`diffrestore-test-${Date.now()}`);
  const progress: { loaded: number; total: number; filesDone: number }[] = [];
  const first = await fetchBundleFiles(`${location.origin}${F}`, fx.files, {
    store,
    onProgress: (p) => progress.push({ loaded: p.loaded, total: p.total, filesDone: p.filesDone }),
  });
  const second = await fetchBundleFiles(`${location.origin}${F}`, fx.files, { store });
  const reverified = await fetchBundleFiles(`${location.origin}${F}`, fx.files, { store, reverify: true });
  const model = await readBundleFile(`${location.origin}${F}`, fx.files[0], store);
  const rt = createWebRuntime({ wasmPaths: '/ort/' });
  const session = await rt.createSession(model);
  const out = await session.run({ x: { data: Float32Array.of(3, -1), shape: [1, 1, 1, 2] } });
  await session.release();
  let mismatch: unknown;
  const wrong = { ...fx.files[1], sha256: '0'.repeat(64) };
  try {
    await fetchBundleFiles(`${location.origin}${F}`, [wrong], { store });
  } catch (e) {
    mismatch = errorInfo(e);
  }
  let stillMissing: unknown;
  try {
    await readBundleFile(`${location.origin}${F}`, wrong, store);
  } catch (e) {
    stillMissing = errorInfo(e);
  }
  let aborted: unknown;
  try {
    await fetchBundleFiles(`${location.origin}${F}`, fx.files, {
      store: cacheApiStore('other'),
      signal: AbortSignal.abort(),
    });
  } catch (e) {
    aborted = errorInfo(e);
  }
  return {
    first,
    second,
    reverified,
    progress,
    modelBytes: model.byteLength,
    out: Array.from(out.y.data),
    mismatch,
    stillMissing,
    aborted,
  };
}

async function webgpuTests() {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (!adapter) return { skipped: gpu ? 'no WebGPU adapter' : 'no navigator.gpu' };
  const fx = await fixtures();
  const rt = createWebRuntime({ executionProviders: ['webgpu'], preferGpuOutputs: true, wasmPaths: '/ort/' });
  const s = await rt.createSession(F + fx.affine.file);
  const y = await s.run({ x: { data: Float32Array.from(fx.affine.x), shape: fx.affine.shape } });
  // concurrent calls on one WebGPU device: serialised underneath, each gets its own answer
  const batch = await Promise.all(
    [1, 2, 3, 4].map(async (k) =>
      Array.from((await s.run({ x: { data: Float32Array.of(k, -k), shape: [1, 1, 1, 2] } })).y.data),
    ),
  );
  // GPU-resident chain: the first output stays on the GPU and feeds the second run
  const first = await s.runOrt({ x: new ort.Tensor('float32', Float32Array.of(0.5, -3), [1, 1, 1, 2]) });
  const second = await s.runOrt({ x: first.y });
  const chained = Array.from((await second.y.getData(true)) as Float32Array);
  const location = first.y.location;
  first.y.dispose();
  await s.release();
  return { y: Array.from(y.y.data), batch, chained, location };
}

// A whole restore in the worker: the fixture bundle (served from the repo), the example image.
async function restoreTests() {
  // our own Worker object, to watch the raw messages: when the worker itself stops after an abort
  const raw = new Worker('/web/browser/worker.js', { type: 'module' });
  const seen: { id: number; type: string; step?: number; t: number }[] = [];
  raw.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as { id: number; type: string; progress?: { type: string; step?: number } };
    seen.push({ id: m.id, type: m.progress?.type ?? m.type, step: m.progress?.step, t: performance.now() });
  });
  const worker = createRestoreWorker(raw, { wasmPaths: '/ort/' });
  const ready = await worker.ready;
  const blob = await (await fetch('/examples/images/sample-degraded.png')).blob();
  const input = await decodeImage(blob);
  const options = {
    bundleUrl: '/fixtures/bundles/tiny-random/', // relative: resolved against the page
    cache: `diffrestore-test-restore-${Date.now()}`,
    steps: 2,
    minShortSide: 64,
    upscale: 2,
    seed: 231,
  };
  const events: (RestoreWorkerProgress & { t: number })[] = [];
  const t0 = performance.now();
  const cold = await worker.restore(blob, {
    ...options,
    onProgress: (p) => events.push({ ...p, t: performance.now() - t0 }),
  });
  const warm = await worker.restore(input, options); // a decoded image this time; same seed
  let identical = warm.image.data.length === cold.image.data.length;
  for (let i = 0; identical && i < cold.image.data.length; i++) identical = cold.image.data[i] === warm.image.data[i];

  // abort at the first step of a longer run; the worker stops at its next step
  const controller = new AbortController();
  let stepsSeen = 0;
  let tAbort = 0;
  let abortInfo: unknown;
  let abortMs = -1;
  try {
    await worker.restore(input, {
      ...options,
      steps: 30,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.type !== 'step') return;
        stepsSeen++;
        tAbort = performance.now();
        controller.abort();
      },
    });
  } catch (e) {
    abortMs = performance.now() - tAbort;
    abortInfo = errorInfo(e);
  }
  const afterAbort = await worker.restore(input, options);
  // the aborted request: the one whose answer was an AbortError from the worker
  const abortedId = seen.find((m) => m.type === 'error')?.id;
  const workerStoppedMs = (seen.find((m) => m.id === abortedId && m.type === 'error')?.t ?? Number.NaN) - tAbort;
  const workerSteps = seen.filter((m) => m.id === abortedId && m.type === 'step').length;
  let sameAfterAbort = true;
  for (let i = 0; sameAfterAbort && i < cold.image.data.length; i++)
    sameAfterAbort = cold.image.data[i] === afterAbort.image.data[i];
  const closed = await worker.closeBundle(options.bundleUrl);
  worker.terminate();
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of cold.image.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return {
    ready,
    inputShape: input.image.shape,
    input: Array.from(input.image.data),
    hasAlpha: cold.alpha !== undefined,
    shape: cold.image.shape,
    output: Array.from(cold.image.data),
    min,
    max,
    events,
    identical,
    sameAfterAbort,
    abortInfo,
    abortMs,
    stepsSeen,
    workerStoppedMs,
    workerSteps,
    seenSummary: seen.filter((m) => m.type !== 'download').map((m) => `${m.id}:${m.type}`),
    closed,
    bundles: [cold.bundle, warm.bundle, afterAbort.bundle],
    timings: { cold: cold.timings, warm: warm.timings, afterAbort: afterAbort.timings },
    wallMs: { cold: cold.wallMs, warm: warm.wallMs, afterAbort: afterAbort.wallMs },
  };
}

(globalThis as unknown as { diffrestoreTests: unknown }).diffrestoreTests = {
  restore: restoreTests,
  webgpu: webgpuTests,
  runtime: runtimeTests,
  images: imageTests,
  worker: workerTests,
  cache: cacheTests,
};
