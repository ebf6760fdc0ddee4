import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './browser/server';

// Drives the BUILT package (dist/, made by `npx tsup`, which `npm test` runs first) in headless
// Chromium: Debian's /usr/bin/chromium via playwright-core (never `npx playwright install`).

const CHROMIUM = process.env.DIFFRESTORE_CHROMIUM ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const WEB = path.resolve(__dirname, '..');
const ROOT = path.resolve(WEB, '..', '..');
const FIXTURES = path.join(WEB, 'test', 'fixtures');
const fx = JSON.parse(readFileSync(path.join(FIXTURES, 'web_fixtures.json'), 'utf8'));
const ORT_DIST = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));

// Flags for a root user on a machine with no outside network (see runtime-notes.md).
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  // WebGPU on SwiftShader (a software adapter): slow, but enough for a correctness check
  '--enable-unsafe-webgpu',
];

const PAGE = `<!doctype html><meta charset="utf-8"><title>diffrestore web tests</title>
<script type="importmap">{"imports": {
  "@diffrestore/web": "/web/index.js",
  "@diffrestore/core": "/core/index.js",
  "onnxruntime-web": "/ort/ort.min.mjs"
}}</script>
<script type="module" src="/test/page.js"></script>`;

const maxAbsDiff = (a: number[], b: number[]) => {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
};

type Page = import('playwright-core').Page;
type Context = import('playwright-core').BrowserContext;

if (!HAS_CHROMIUM) {
  describe('web package in headless Chromium', () => {
    it.skip(`SKIPPED: no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`, () => {});
  });
} else {
  describe('web package in headless Chromium', () => {
    let server: TestServer;
    let context: Context;
    let page: Page;
    let profile: string;
    const logs: string[] = [];
    let restoredByWorker: number[] | undefined;

    const call = async <T>(name: string): Promise<T> => {
      try {
        return (await page.evaluate((n) => {
          const tests = (globalThis as unknown as { diffrestoreTests: Record<string, () => Promise<unknown>> })
            .diffrestoreTests;
          return tests[n]();
        }, name)) as T;
      } catch (e) {
        throw new Error(`${name} failed in the page: ${(e as Error).message}\n--- console ---\n${logs.join('\n')}`);
      }
    };

    beforeAll(async () => {
      for (const f of ['dist/index.js', 'dist/browser/worker.js', 'dist/browser/index.js']) {
        if (!existsSync(path.join(WEB, f))) throw new Error(`packages/web/${f} is missing: build first (npx tsup)`);
      }
      if (!existsSync(path.join(ROOT, 'packages/core/dist/index.js'))) {
        throw new Error('packages/core/dist/index.js is missing: build first (npx tsup)');
      }
      server = await startTestServer(
        {
          // before '/fixtures/' (first matching prefix wins): the repo's bundles, as serve.mjs has them
          '/fixtures/bundles/': path.join(ROOT, 'fixtures', 'bundles'),
          '/examples/images/': path.join(ROOT, 'examples', 'images'),
          '/web/': path.join(WEB, 'dist'),
          '/core/': path.join(ROOT, 'packages/core/dist'),
          '/ort/': ORT_DIST,
          '/fixtures/': FIXTURES,
          '/test/': path.join(WEB, 'test', 'browser'),
          // the example page, at the paths it has under examples/web/serve.mjs
          '/examples/web/': path.join(ROOT, 'examples', 'web'),
          '/packages/web/dist/': path.join(WEB, 'dist'),
          '/packages/model-tiny/bundle/': path.join(ROOT, 'packages', 'model-tiny', 'bundle'),
          '/packages/web/test/fixtures/': FIXTURES,
          '/node_modules/onnxruntime-web/dist/': ORT_DIST,
        },
        { '/test/index.html': PAGE },
      );
      const { chromium } = await import('playwright-core');
      profile = await mkdtemp(path.join(tmpdir(), 'diffrestore-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
      });
      page = await context.newPage();
      page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
      await page.goto(`${server.origin}/test/index.html`);
      try {
        await page.waitForFunction(() => 'diffrestoreTests' in globalThis, undefined, { timeout: 45_000 });
      } catch (e) {
        throw new Error(`the test page did not load: ${(e as Error).message}\n--- console ---\n${logs.join('\n')}`);
      }
    }, 90_000);

    afterAll(async () => {
      await context?.close();
      await server?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
    });

    it('runs graphs with onnxruntime-web: float32, float16/int64/bool conversion, serialised runs, abort', async () => {
      const r = await call<{
        crossOriginIsolated: boolean;
        affine: { inputs: unknown; outputs: unknown; y: number[]; shape: number[] };
        mixed: {
          inputs: { name: string; type: string }[];
          outputs: { name: string; type: string }[];
          y: number[];
          total: number[];
          totalShape: number[];
          positive: number[];
          badIds: { message: string };
        };
        batch: { x: number[]; y: number[] }[];
        slow: {
          ms: number;
          first: number[];
          after: number[];
          abortMs: number;
          ticksDuringTwoRuns: number;
          abortInfo: { name: string; isCoreAbortError: boolean };
          queuedInfo: { name: string; message: string; isCoreAbortError: boolean };
          preAborted: { name: string; isCoreAbortError: boolean };
        };
        afterRelease: { message: string };
      }>('runtime');
      expect(r.crossOriginIsolated).toBe(true);
      expect(r.affine.inputs).toEqual([
        { name: 'x', type: 'float32', shape: ['batch', 'channels', 'height', 'width'] },
      ]);
      expect(r.affine.shape).toEqual(fx.affine.shape);
      expect(r.affine.y).toEqual(fx.affine.y); // 2x + 1 is exact in float32

      expect(r.mixed.inputs.map((i) => [i.name, i.type])).toEqual([
        ['x', 'float16'],
        ['ids', 'int64'],
      ]);
      expect(r.mixed.outputs.map((o) => [o.name, o.type])).toEqual([
        ['y', 'float16'],
        ['total', 'int64'],
        ['positive', 'bool'],
      ]);
      expect(r.mixed.y).toEqual(fx.mixed.y);
      expect(r.mixed.total).toEqual([fx.mixed.total]);
      expect(r.mixed.totalShape).toEqual([1, 1]);
      expect(r.mixed.positive).toEqual(fx.mixed.positive);
      expect(r.mixed.badIds.message).toMatch(/'ids' is int64/);

      for (const b of r.batch) expect(b.y).toEqual(b.x.map((v) => 2 * v + 1));

      const tol = 1e-4;
      expect(maxAbsDiff(r.slow.first, fx.slow.sample_y)).toBeLessThan(tol);
      expect(maxAbsDiff(r.slow.after, fx.slow.sample_y)).toBeLessThan(tol);
      expect(r.slow.abortInfo).toMatchObject({ name: 'AbortError', isCoreAbortError: true });
      expect(r.slow.queuedInfo).toMatchObject({
        name: 'AbortError',
        message: 'user cancelled',
        isCoreAbortError: true,
      });
      expect(r.slow.preAborted).toMatchObject({ name: 'AbortError', isCoreAbortError: true });
      // (no timing bound here: a WASM run on the page blocks the thread, so even a settled abort
      // is only observed after it; the worker test bounds the in-flight case)
      expect(r.slow.abortMs).toBeGreaterThanOrEqual(0);
      expect(r.afterRelease.message).toMatch(/released/);
      console.info(
        `web runtime (page): slow graph ${r.slow.ms.toFixed(1)} ms/run, queued abort observed after ${r.slow.abortMs.toFixed(2)} ms, page timer ticked ${r.slow.ticksDuringTwoRuns} times during two runs`,
      );
    });

    it('runs on WebGPU where an adapter exists: results, serialised runs, GPU-resident outputs chained', async () => {
      const r = await call<
        { skipped: string } | { y: number[]; batch: number[][]; chained: number[]; location: string }
      >('webgpu');
      if ('skipped' in r) {
        console.warn(`WebGPU part skipped: ${r.skipped}`);
        return;
      }
      expect(r.y).toEqual(fx.affine.y);
      expect(r.batch).toEqual([1, 2, 3, 4].map((k) => [2 * k + 1, 1 - 2 * k]));
      expect(r.location).toBe('gpu-buffer');
      expect(r.chained).toEqual([4 * 0.5 + 3, 4 * -3 + 3]); // 2(2x + 1) + 1
    });

    it('decodes and encodes images without document, keeping alpha', async () => {
      const r = await call<{
        rgba: { shape: number[]; rgb: number[]; alpha: number[] | null };
        rgb: { shape: number[]; rgb: number[]; hasAlpha: boolean };
        png: { type: string; size: number };
        again: { rgb: number[]; alpha: number[] | null };
        big: { imageShape: number[]; alphaShape: number[] | null; alphaMin: number; alphaMax: number };
        jpeg: { type: string; shape: number[]; source: number[]; rgb: number[]; hasAlpha: boolean };
        viaImageData: number[];
        corrupt: { message: string };
      }>('images');
      const { height: h, width: w } = fx.images;
      const hw = h * w;
      const src: number[] = fx.images.rgba;
      const plane = (k: number, px: number[]) => Array.from({ length: hw }, (_, i) => px[i * 4 + k]);
      expect(r.rgba.shape).toEqual([1, 3, h, w]);
      expect(r.rgba.alpha).toEqual(plane(3, src));
      // colour: exact where opaque; through the canvas's premultiplied storage elsewhere
      const checkColour = (got: number[], passes: number) => {
        for (let i = 0; i < hw; i++) {
          const a = src[i * 4 + 3];
          if (a === 0) continue;
          const bound = a === 255 ? 0 : passes * Math.ceil(127.5 / a);
          for (let k = 0; k < 3; k++) {
            const d = Math.abs(got[k * hw + i] - src[i * 4 + k]);
            if (d > bound) throw new Error(`pixel ${i} channel ${k} alpha ${a}: off by ${d} > ${bound}`);
          }
        }
      };
      checkColour(r.rgba.rgb, 1);
      const rgbSrc: number[] = fx.images.rgb;
      const rgbPlanes = [0, 1, 2].flatMap((k) => Array.from({ length: hw }, (_, i) => rgbSrc[i * 3 + k]));
      expect(r.rgb.shape).toEqual([1, 3, h, w]);
      expect(r.rgb.hasAlpha).toBe(false);
      expect(r.rgb.rgb).toEqual(rgbPlanes);
      expect(r.viaImageData).toEqual(rgbPlanes);

      expect(r.png.type).toBe('image/png');
      expect(r.again.alpha).toEqual(plane(3, src));
      checkColour(r.again.rgb, 2);

      expect(r.big.imageShape).toEqual([1, 3, 2 * h, 2 * w]);
      expect(r.big.alphaShape).toEqual([1, 1, 2 * h, 2 * w]);
      expect(r.big.alphaMin).toBeGreaterThanOrEqual(0);
      expect(r.big.alphaMax).toBeLessThanOrEqual(1);

      expect(r.jpeg.type).toBe('image/jpeg');
      expect(r.jpeg.hasAlpha).toBe(false);
      expect(r.jpeg.shape).toEqual([1, 3, 32, 48]);
      const mad = r.jpeg.rgb.reduce((s, v, i) => s + Math.abs(v - r.jpeg.source[i]), 0) / r.jpeg.source.length;
      expect(mad).toBeLessThan(2); // a smooth gradient at quality 0.95: about a level off on average
      expect(r.corrupt.message).toMatch(/decodeImage: cannot decode/);
    });

    it('runs graphs in a Web Worker (dist/browser/worker.js): results, tiles with progress, abort, errors', async () => {
      const r = await call<{
        name: string;
        y: number[];
        map: { shape: number[]; maxErr: number; progress: { stage: string; done: number; total: number }[] };
        slow: { ms: number; ticks: number; full: number[]; afterAbort: number[] };
        abortInfo: { name: string; isCoreAbortError: boolean };
        abortMs: number;
        missing: { message: string };
        unknownOp: { message: string };
        inWorker: { shape: number[]; alpha: number[] | null; type: string };
      }>('worker');
      expect(r.name).toMatch(/Web Worker/);
      expect(r.y).toEqual(fx.affine.y);
      expect(r.map.shape).toEqual([1, 3, 40, 56]);
      expect(r.map.maxErr).toBeLessThan(1e-5);
      // 16-pixel tiles every <= 12 pixels over 40 x 56: ceil(24/12)+1 = 3 rows, ceil(40/12)+1 = 5 columns
      expect(r.map.progress.map((p) => p.done)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(r.map.progress.every((p) => p.total === 15 && p.stage === 'tiles')).toBe(true);
      expect(maxAbsDiff(r.slow.full, fx.slow.sample_y)).toBeLessThan(1e-4);
      expect(maxAbsDiff(r.slow.afterAbort, fx.slow.sample_y)).toBeLessThan(1e-4);
      expect(r.abortInfo).toMatchObject({ name: 'AbortError', isCoreAbortError: true });
      // the page is free while the worker computes: the abort settles long before the run would
      expect(r.abortMs).toBeGreaterThanOrEqual(0);
      expect(r.abortMs).toBeLessThan(r.slow.ms / 2);
      expect(r.missing.message).toMatch(/missing input\(s\) x/);
      expect(r.unknownOp.message).toMatch(/unknown worker operation 'frobnicate'/);
      expect(r.inWorker.type).toBe('image/png');
      expect(r.inWorker.shape).toEqual([1, 3, fx.images.height, fx.images.width]);
      expect(r.inWorker.alpha).toEqual(
        Array.from({ length: fx.images.height * fx.images.width }, (_, i) => fx.images.rgba[i * 4 + 3]),
      );
      console.info(
        `web worker: slow graph ${r.slow.ms.toFixed(1)} ms/run, page timer ticked ${r.slow.ticks} times meanwhile, in-flight abort settled in ${r.abortMs.toFixed(2)} ms`,
      );
    });

    it('caches bundle files in the Cache API, verified by SHA-256, with progress', async () => {
      const before = server.hits.get('/fixtures/web_affine.onnx') ?? 0;
      const r = await call<{
        first: { downloaded: string[]; reused: string[] };
        second: { downloaded: string[]; reused: string[] };
        reverified: { downloaded: string[]; reused: string[] };
        progress: { loaded: number; total: number; filesDone: number }[];
        modelBytes: number;
        out: number[];
        mismatch: { message: string };
        stillMissing: { message: string };
        aborted: { name: string; isCoreAbortError: boolean };
      }>('cache');
      const paths = fx.files.map((f: { path: string }) => f.path);
      const total = fx.files.reduce((s: number, f: { bytes: number }) => s + f.bytes, 0);
      expect(r.first).toEqual({ downloaded: paths, reused: [] });
      expect(r.second).toEqual({ downloaded: [], reused: paths });
      expect(r.reverified).toEqual({ downloaded: [], reused: paths });
      // fetched once for the cache: the later calls were served from it
      expect((server.hits.get('/fixtures/web_affine.onnx') ?? 0) - before).toBe(1);
      const last = r.progress[r.progress.length - 1];
      expect(last).toEqual({ loaded: total, total, filesDone: paths.length });
      for (let i = 1; i < r.progress.length; i++)
        expect(r.progress[i].loaded).toBeGreaterThanOrEqual(r.progress[i - 1].loaded);
      expect(r.modelBytes).toBe(fx.files[0].bytes);
      expect(r.out).toEqual([7, -1]);
      expect(r.mismatch.message).toMatch(/SHA-256 [0-9a-f]{64} does not match/);
      expect(r.stillMissing.message).toMatch(/not in the bundle cache/);
      expect(r.aborted).toMatchObject({ name: 'AbortError', isCoreAbortError: true });
    });

    it('restores the example image with the fixture bundle in a Web Worker, as the Node pipeline does', async () => {
      type Timings = { totalMs: number; runtimeMs: number; runs: number; stages: Record<string, number> };
      const r = await call<{
        ready: { runtime: string; crossOriginIsolated: boolean };
        inputShape: number[];
        input: number[];
        hasAlpha: boolean;
        shape: number[];
        output: number[];
        min: number;
        max: number;
        events: ({ type: string } & Record<string, unknown>)[];
        identical: boolean;
        sameAfterAbort: boolean;
        abortInfo: { name: string; isCoreAbortError: boolean };
        abortMs: number;
        stepsSeen: number;
        workerStoppedMs: number;
        workerSteps: number;
        seenSummary: unknown;
        closed: boolean;
        bundles: { name: string; warm: boolean; loadMs: number }[];
        timings: { cold: Timings; warm: Timings; afterAbort: Timings };
        wallMs: { cold: number; warm: number; afterAbort: number };
      }>('restore');
      expect(r.ready.crossOriginIsolated).toBe(true);
      expect(r.inputShape).toEqual([1, 3, 64, 64]);
      expect(r.hasAlpha).toBe(false);
      expect(r.shape).toEqual([1, 3, 128, 128]);
      expect(r.output).toHaveLength(3 * 128 * 128);
      restoredByWorker = r.output;
      expect(r.min).toBeGreaterThanOrEqual(0);
      expect(r.max).toBeLessThanOrEqual(1);

      // progress: download bytes, 'open', then core's stages in order with two steps inside 'sample'
      const kinds = r.events.map((e) => (e.type === 'stage' ? `stage:${e.stage}` : e.type));
      const firstStage = kinds.indexOf('stage:prepare');
      expect(firstStage).toBeGreaterThan(0);
      expect(new Set(kinds.slice(0, firstStage))).toEqual(new Set(['download', 'open']));
      expect(kinds.slice(firstStage).filter((k) => k !== 'tile')).toEqual([
        'stage:prepare',
        'stage:clean',
        'stage:encode',
        'stage:sample',
        'step',
        'step',
        'stage:decode',
        'stage:finish',
      ]);
      console.info(
        `restore progress timeline (ms): ${r.events
          .filter((e, i, a) => e.type !== 'download' || e.filesDone !== a[i - 1]?.filesDone)
          .map(
            (e) =>
              `${e.type === 'stage' ? e.stage : e.type === 'download' ? e.path : e.type}@${(e.t as number).toFixed(0)}`,
          )
          .join(' ')}`,
      );
      const steps = r.events.filter((e) => e.type === 'step');
      expect(steps.map((e) => [e.step, e.steps])).toEqual([
        [0, 2],
        [1, 2],
      ]);
      const downloads = r.events.filter((e) => e.type === 'download') as unknown as { loaded: number; total: number }[];
      expect(downloads.at(-1)?.loaded).toBe(downloads.at(-1)?.total);

      // the same seed gives the same image (warm bundle, and after an aborted run)
      expect(r.identical).toBe(true);
      expect(r.sameAfterAbort).toBe(true);
      expect(r.abortInfo).toMatchObject({ name: 'AbortError', isCoreAbortError: true });
      expect(r.stepsSeen).toBe(1);
      // and the worker itself stopped within a step or two of 30 (it answered with the AbortError)
      expect(r.workerSteps, JSON.stringify(r.seenSummary)).toBeGreaterThanOrEqual(1);
      expect(r.workerSteps).toBeLessThanOrEqual(3);
      expect(r.workerStoppedMs).toBeGreaterThanOrEqual(0);
      expect(r.bundles.map((b) => [b.name, b.warm])).toEqual([
        ['tiny-random', false],
        ['tiny-random', true],
        ['tiny-random', true],
      ]);
      expect(r.closed).toBe(true);

      // the Node pipeline (onnxruntime-node, in-process) on the same pixels
      const { createRestorer, readImage } = await import('@diffrestore/node');
      const nodeInput = await readImage(path.join(ROOT, 'examples', 'images', 'sample-degraded.png'));
      expect(maxAbsDiff(Array.from(nodeInput.image.data), r.input)).toBe(0); // both decoders: the file's bytes / 255
      const restorer = await createRestorer({
        bundle: path.join(ROOT, 'fixtures', 'bundles', 'tiny-random'),
        runtime: { worker: false },
      });
      let expected: Awaited<ReturnType<typeof restorer.restore>>;
      try {
        const image = { data: Float32Array.from(r.input), shape: r.inputShape };
        expected = await restorer.restore({ tensor: image }, { steps: 2, minShortSide: 64, upscale: 2, seed: 231 });
      } finally {
        await restorer.close();
      }
      expect(expected.image.shape).toEqual(r.shape);
      const diff = maxAbsDiff(Array.from(expected.image.data), r.output);
      const meanDiff = r.output.reduce((s, v, i) => s + Math.abs(v - expected.image.data[i]), 0) / r.output.length;
      expect(diff).toBeLessThan(1e-2);
      const ms = (t: Timings) =>
        `${t.totalMs.toFixed(0)} ms (${t.runs} ONNX runs, ${t.runtimeMs.toFixed(0)} ms in ORT)`;
      console.info(
        `restore 64x64 -> 128x128, tiny-random, 2 steps: browser worker (${r.ready.runtime}) cold ${r.wallMs.cold.toFixed(0)} ms wall (bundle ${r.bundles[0].loadMs.toFixed(0)} ms + restore ${ms(r.timings.cold)}), warm ${r.wallMs.warm.toFixed(0)} ms wall (restore ${ms(r.timings.warm)}), after abort ${r.wallMs.afterAbort.toFixed(0)} ms; abort settled on the page in ${r.abortMs.toFixed(2)} ms, the worker stopped after ${r.workerSteps} of 30 steps, ${r.workerStoppedMs.toFixed(0)} ms after the abort; Node (onnxruntime-node CPU) restore ${ms(expected.timings as Timings)}; browser vs Node max |diff| ${diff.toExponential(2)}, mean |diff| ${meanDiff.toExponential(2)}`,
      );
    }, 120_000);

    it('the example page restores a picked file in its worker, with progress, as the worker API does', async () => {
      const example = await context.newPage();
      const exampleLogs: string[] = [];
      example.on('console', (m) => exampleLogs.push(`[${m.type()}] ${m.text()}`));
      example.on('pageerror', (e) => exampleLogs.push(`[pageerror] ${e.message}`));
      await example.goto(`${server.origin}/examples/web/index.html`);
      expect(await example.inputValue('#bundle')).toBe('/packages/model-tiny/bundle/');
      // The same bundle as the worker test above, so the pixels can be compared.
      await example.fill('#bundle', '/fixtures/bundles/tiny-random/');
      await example.setInputFiles('#file', path.join(ROOT, 'examples', 'images', 'sample-degraded.png'));
      await example.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
      await example.fill('#steps', '2');
      await example.fill('#upscale', '2');
      await example.fill('#minShortSide', '64');
      await example.fill('#seed', '231');
      await example.click('#run');
      await example.waitForFunction(
        () => /done|failed|aborted/.test(document.getElementById('status')?.textContent ?? ''),
        undefined,
        { timeout: 90_000 },
      );
      const status = await example.textContent('#status');
      expect(status, exampleLogs.join('\n')).toMatch(/^done in/);
      expect(await example.evaluate(() => (document.getElementById('progress') as HTMLProgressElement).value)).toBe(1);
      const got = await example.evaluate(() => {
        const canvas = document.getElementById('result') as HTMLCanvasElement;
        const ctx = canvas.getContext('2d')!;
        return {
          w: canvas.width,
          h: canvas.height,
          rgba: Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data),
        };
      });
      const info = await example.textContent('#info');
      await example.close();
      expect([got.w, got.h]).toEqual([128, 128]);
      expect(info).toMatch(/crossOriginIsolated=true/);
      // the same restore as the worker test above (same options, same seed): the same pixels
      expect(restoredByWorker, 'the worker restore test must run first').toBeDefined();
      const hw = 128 * 128;
      let worst = 0;
      for (let i = 0; i < hw; i++) {
        for (let k = 0; k < 3; k++) {
          worst = Math.max(
            worst,
            Math.abs(got.rgba[i * 4 + k] - Math.round((restoredByWorker as number[])[k * hw + i] * 255)),
          );
        }
        expect(got.rgba[i * 4 + 3]).toBe(255);
      }
      expect(worst).toBe(0);
    }, 120_000);

    it('the example page restores out of the box with its default bundle, the trained one, as Node does', async () => {
      const example = await context.newPage();
      const exampleLogs: string[] = [];
      example.on('pageerror', (e) => exampleLogs.push(`[pageerror] ${e.message}`));
      await example.goto(`${server.origin}/examples/web/index.html`);
      await example.setInputFiles('#file', path.join(ROOT, 'examples', 'images', 'sample-degraded.png'));
      await example.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled);
      await example.fill('#steps', '2');
      await example.fill('#upscale', '2');
      await example.fill('#seed', '231');
      expect(await example.inputValue('#guidance')).toBe('default'); // the manifest's defaults.guidanceScale (4)
      await example.click('#run');
      await example.waitForFunction(
        () => /done|failed|aborted/.test(document.getElementById('status')?.textContent ?? ''),
        undefined,
        { timeout: 150_000 },
      );
      expect(await example.textContent('#status'), exampleLogs.join('\n')).toMatch(/^done in/);
      const got = await example.evaluate(() => {
        const canvas = document.getElementById('result') as HTMLCanvasElement;
        return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
      });
      await example.close();
      const { createRestorer } = await import('@diffrestore/node');
      const restorer = await createRestorer({ runtime: { worker: false } }); // the default bundle
      let expected: Awaited<ReturnType<typeof restorer.restore>>;
      try {
        expected = await restorer.restore(path.join(ROOT, 'examples', 'images', 'sample-degraded.png'), {
          steps: 2,
          upscale: 2,
          seed: 231,
        });
      } finally {
        await restorer.close();
      }
      expect(expected.image.shape).toEqual([1, 3, 128, 128]);
      const hw = 128 * 128;
      let worst = 0;
      for (let i = 0; i < hw; i++) {
        for (let k = 0; k < 3; k++) {
          worst = Math.max(worst, Math.abs(got[i * 4 + k] - Math.round(expected.image.data[k * hw + i] * 255)));
        }
      }
      // WASM vs native kernels: the same restore to within one 8-bit level.
      expect(worst).toBeLessThanOrEqual(1);
    }, 200_000);
  });
}
