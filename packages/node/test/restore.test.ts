import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkGraphSignature,
  GRAPH_CONTRACTS,
  type GraphContractName,
  graphContractsFor,
  maxAbsDiff,
  parseBundleManifest,
  psnr,
  type Tensor,
} from '@diffrestore/core';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRuntime, createRestorer, loadBundle, type Restorer, readImage, restore } from '../src/index';

// End to end on the committed tiny random-weight bundle (tools/make_fixture.py): the graphs
// reproduce PyTorch's stored outputs, and restore() behaves as a library should.
const ROOT = path.resolve(__dirname, '../../..');
const BUNDLE = path.join(ROOT, 'fixtures/bundles/tiny-random');
const FIX = path.join(__dirname, 'fixtures');
const PHOTO = path.join(FIX, 'photo-coffee-96x128.png');

interface RefTensor {
  name: string;
  file: string;
  shape: number[];
}
interface RefCase {
  name: string;
  graph: string;
  inputs: RefTensor[];
  outputs: RefTensor[];
}

async function loadBin(ref: RefTensor): Promise<Tensor> {
  const buf = await readFile(path.join(BUNDLE, ref.file));
  return { data: new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice(), shape: ref.shape };
}

const GRAPH_FILES: Record<string, string> = {
  denoiser: 'denoiser.onnx',
  vaeEncoder: 'vae_encoder.onnx',
  vaeDecoder: 'vae_decoder.onnx',
  cleaner: 'cleaner.onnx',
  textEncoder: 'text_encoder.onnx',
};

describe('fixture bundle graphs on onnxruntime-node', () => {
  it('each satisfies its graph contract, and the tiny denoiser fails the full-size SD one', async () => {
    const manifest = parseBundleManifest(JSON.parse(await readFile(path.join(BUNDLE, 'manifest.json'), 'utf8')));
    const contracts = graphContractsFor(manifest);
    const runtime = createNodeRuntime({ worker: false });
    try {
      for (const [name, file] of Object.entries(GRAPH_FILES)) {
        const session = await runtime.createSession(path.join(BUNDLE, file));
        expect(() => checkGraphSignature(session, contracts[name as GraphContractName])).not.toThrow();
        if (name === 'denoiser') {
          expect(() => checkGraphSignature(session, GRAPH_CONTRACTS.denoiser)).toThrow(
            /input 'context' dim 2 is 32, expected 1024/,
          );
        }
        await session.release();
      }
    } finally {
      await runtime.close();
    }
  });

  it('reproduce the PyTorch reference outputs (max abs error <= 1e-4)', async () => {
    const ref = JSON.parse(await readFile(path.join(BUNDLE, 'reference/reference.json'), 'utf8'));
    const runtime = createNodeRuntime({ worker: false });
    const seen = new Set<string>();
    try {
      for (const c of ref.cases as RefCase[]) {
        const file = GRAPH_FILES[c.graph] ?? `${c.graph}.onnx`;
        const session = await runtime.createSession(path.join(BUNDLE, file));
        const feeds: Record<string, Tensor> = {};
        for (const i of c.inputs) feeds[i.name] = await loadBin(i);
        const out = await session.run(feeds);
        for (const o of c.outputs) {
          expect(maxAbsDiff(out[o.name], await loadBin(o)), `${c.name}.${o.name}`).toBeLessThanOrEqual(
            ref.tolerance.maxAbs,
          );
        }
        seen.add(c.graph);
        await session.release();
      }
    } finally {
      await runtime.close();
    }
    expect([...seen].sort()).toEqual(['cleaner', 'denoiser', 'textEncoder', 'vaeDecoder', 'vaeEncoder']);
  });
});

describe('restore() with the fixture bundle', () => {
  let restorer: Restorer;
  let tmp: string;
  beforeAll(async () => {
    restorer = await createRestorer({ bundle: BUNDLE });
    tmp = await mkdtemp(path.join(tmpdir(), 'diffrestore-restore-'));
  });
  afterAll(async () => {
    await restorer.close();
    await rm(tmp, { recursive: true, force: true });
  });
  const fast = { steps: 4, minShortSide: 64 } as const;

  it('restores a real photo at the requested size, reproducibly per seed', async () => {
    const a = await restorer.restore(PHOTO, { ...fast, upscale: 2, seed: 7 });
    const b = await restorer.restore(PHOTO, { ...fast, upscale: 2, seed: 7 });
    const c = await restorer.restore(PHOTO, { ...fast, upscale: 2, seed: 8 });
    expect(a.image.shape).toEqual([1, 3, 192, 256]);
    expect(a.image.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(maxAbsDiff(a.image, b.image)).toBe(0);
    expect(maxAbsDiff(a.image, c.image)).toBeGreaterThan(1e-3);
    // Overhead is measurable: runtime time is part of the wall time.
    expect(a.timings.runtimeMs).toBeGreaterThan(0);
    expect(a.timings.runtimeMs).toBeLessThanOrEqual(a.timings.totalMs);
    expect(a.timings.runs).toBe(1 + 1 + 4 * 2 + 1); // cleaner, encode, 4 steps x (cond + uncond), decode
  });

  it('one-shot restore() loads, writes atomically and refuses to overwrite', async () => {
    const out = path.join(tmp, 'one-shot.png');
    const r = await restore({ path: PHOTO }, { bundle: BUNDLE, ...fast, output: out });
    const written = await readImage(out);
    expect([written.height, written.width]).toEqual([96, 128]);
    expect(psnr(written.image, r.image)).toBeGreaterThan(45); // 8-bit rounding only
    await expect(restore(PHOTO, { bundle: BUNDLE, ...fast, output: out })).rejects.toThrow(/existing file/);
  });

  it('tiles a latent larger than one tile; the result stays close to the untiled one on a smooth image', async () => {
    const h = 256;
    const w = 384;
    const data = new Float32Array(3 * h * w);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) data[(c * h + y) * w + x] = 0.45 + 0.25 * Math.sin(x / 40 + c) * Math.cos(y / 50);
    const input = { tensor: { data, shape: [1, 3, h, w] } };
    // cfg 1: the random-weight fixture amplifies differences by the CFG scale.
    const opts = { ...fast, cfgScale: 1, cleaner: { kind: 'none' as const } };
    const untiled = await restorer.restore(input, { ...opts, seed: 3, tiling: false });
    const otherSeed = await restorer.restore(input, { ...opts, seed: 4, tiling: false });
    const tiles: number[] = [];
    const tiled = await restorer.restore(input, {
      ...opts,
      seed: 3,
      tiling: { latentTile: 32, latentStride: 16 },
      onProgress: (e) => e.type === 'step' && tiles.push(e.step),
    });
    expect(tiled.image.shape).toEqual(untiled.image.shape);
    expect(tiled.timings.runs).toBeGreaterThan(untiled.timings.runs); // several tiles per step
    expect(maxAbsDiff(tiled.image, untiled.image)).toBeGreaterThan(0);
    // Tiling perturbs the result far less than changing the seed does (measured: 36.9 dB vs 10.2 dB).
    expect(psnr(tiled.image, untiled.image)).toBeGreaterThan(30);
    expect(psnr(tiled.image, untiled.image)).toBeGreaterThan(psnr(otherSeed.image, untiled.image) + 15);
  });

  it('aborting mid-run rejects with AbortError and writes no file', async () => {
    const out = path.join(tmp, 'aborted.png');
    const ac = new AbortController();
    const p = restorer.restore(PHOTO, {
      ...fast,
      steps: 10,
      output: out,
      signal: ac.signal,
      onProgress: (e) => {
        if (e.type === 'step' && e.step === 1) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect((await readdir(tmp)).filter((f) => f.startsWith('aborted'))).toEqual([]);
  });

  it('keeps the event loop responsive while restoring (inference runs in a worker thread)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    await restorer.restore(PHOTO, { ...fast, steps: 6, minShortSide: 128 });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // At least a third of the ideal number of 10 ms ticks fired during the run.
    expect(ticks).toBeGreaterThan(elapsed / 10 / 3);
  });

  it('accepts ndarray-shaped images ([H, W, C], 0-255, any strides) like tensors', async () => {
    const decoded = await readImage(PHOTO);
    const [, , h, w] = decoded.image.shape;
    // A CHW uint8 buffer viewed as HWC through strides: a non-contiguous ndarray.
    const chw = Uint8Array.from(decoded.image.data, (v) => Math.round(v * 255));
    const hwc = ndarray(chw, [h, w, 3], [w, 1, h * w], 0);
    const opts = { ...fast, seed: 5 };
    const viaNdarray = await restorer.restore({ ndarray: hwc }, opts);
    const viaTensor = await restorer.restore(
      { tensor: { data: Float32Array.from(chw, (v) => v / 255), shape: [1, 3, h, w] } },
      opts,
    );
    expect(maxAbsDiff(viaNdarray.image, viaTensor.image)).toBe(0);
    await expect(restorer.restore({ ndarray: ndarray(new Uint8Array(8), [2, 2, 2]) }, opts)).rejects.toThrow(
      /\[H, W, C\] with C = 1, 3 or 4/,
    );
  });

  it('keeps alpha: restores RGB and resizes alpha separately', async () => {
    const alpha = new Float32Array(48 * 64).map((_, i) => (i % 64) / 63);
    const rgb = new Float32Array(3 * 48 * 64).fill(0.5);
    const r = await restorer.restore(
      { tensor: { data: rgb, shape: [1, 3, 48, 64] }, alpha: { data: alpha, shape: [1, 1, 48, 64] } },
      { ...fast, upscale: 2 },
    );
    expect(r.alpha?.shape).toEqual([1, 1, 96, 128]);
    expect(r.alpha?.data[0]).toBeCloseTo(0, 2);
    expect(r.alpha?.data[127]).toBeCloseTo(1, 2);
  });
});

/** Swaps one graph file of a copied bundle, keeping the manifest's checksums consistent. */
async function replaceGraph(dir: string, component: string, bytes: Buffer): Promise<void> {
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
  await writeFile(path.join(dir, manifest.components[component].file), bytes);
  manifest.components[component].sha256 = createHash('sha256').update(bytes).digest('hex');
  manifest.components[component].bytes = bytes.length;
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
}

describe('clear errors', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'diffrestore-errors-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('missing input file', async () => {
    await expect(restore(path.join(tmp, 'nope.png'), { bundle: BUNDLE })).rejects.toThrow(/nope\.png/);
  });

  it('corrupt image file', async () => {
    const bad = path.join(tmp, 'corrupt.png');
    await writeFile(bad, Buffer.from('\x89PNG\r\n\x1a\nthis is not a png'));
    await expect(restore(bad, { bundle: BUNDLE })).rejects.toThrow(/corrupt\.png/);
  });

  it('a folder that is not a bundle', async () => {
    await expect(loadBundle(tmp)).rejects.toThrow(/manifest\.json/);
  });

  it('a bundle whose graph does not match its contract', async () => {
    const dir = path.join(tmp, 'swapped');
    await cp(BUNDLE, dir, { recursive: true });
    await replaceGraph(dir, 'denoiser', await readFile(path.join(BUNDLE, 'vae_encoder.onnx')));
    await expect(loadBundle(dir)).rejects.toThrow(/denoiser graph does not match its contract/);
  });

  it('a graph that produces NaN', async () => {
    const dir = path.join(tmp, 'nan');
    await cp(BUNDLE, dir, { recursive: true });
    await replaceGraph(dir, 'denoiser', await readFile(path.join(FIX, 'nan_denoiser.onnx')));
    await expect(restore(PHOTO, { bundle: dir, steps: 2, minShortSide: 64 })).rejects.toThrow(/non-finite/);
  });
});
