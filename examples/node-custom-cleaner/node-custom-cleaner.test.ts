import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Tensor } from '@diffrestore/core';
import { createRestorer } from '@diffrestore/node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The example as a user runs it (subprocess on the built packages), checked against
// independent references: libvips' median filter (through sharp) for the JS cleaner, and the
// pipeline's own bundle-cleaner path for the hand-loaded ONNX cleaner.
const ROOT = path.resolve(__dirname, '../..');
const PROGRAM = path.join(__dirname, 'restore.mjs');
const INPUT = path.join(ROOT, 'examples/images/sample-degraded.png');
const BUNDLE = path.join(ROOT, 'fixtures/bundles/tiny-random');
const FAST = ['--steps', '2', '--min-short-side', '64', '--seed', '5'];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [PROGRAM, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function rawRgb(file: string) {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Tensor in [0,1] -> interleaved 8-bit RGB, rounded as writeImage does. */
function toBytes(t: Tensor): Uint8Array {
  const [, , h, w] = t.shape;
  const out = new Uint8Array(h * w * 3);
  for (let i = 0; i < h * w; i++) {
    for (let k = 0; k < 3; k++) out[i * 3 + k] = Math.round(Math.min(1, Math.max(0, t.data[k * h * w + i])) * 255);
  }
  return out;
}

function maxByteDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('examples/node-custom-cleaner', () => {
  let dir: string;
  let stdout = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'example-cleaner-'));
    const r = run([INPUT, dir, '--upscale', '1', ...FAST]);
    expect(r.code, r.stderr).toBe(0);
    stdout = r.stdout;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('calls each custom cleaner once and writes every result at the requested size', async () => {
    expect(stdout).toMatch(/^median: cleaner called 1 time/m);
    expect(stdout).toMatch(/^onnx: cleaner called 1 time/m);
    for (const f of ['median.png', 'median-cleaned.png', 'onnx.png', 'onnx-cleaned.png']) {
      const img = await rawRgb(path.join(dir, f));
      expect([img.width, img.height], f).toEqual([64, 64]);
    }
  });

  it('stage 1 of the JS cleaner is exactly the 3x3 median filter (libvips through sharp)', async () => {
    const ours = await rawRgb(path.join(dir, 'median-cleaned.png'));
    const vips = await sharp(INPUT).removeAlpha().median(3).raw().toBuffer();
    expect(maxByteDiff(ours.data, vips)).toBe(0);
    // ... and it did something: most samples of the noisy input change.
    const input = await rawRgb(INPUT);
    const changed = ours.data.filter((v, i) => v !== input.data[i]).length;
    expect(changed / input.data.length).toBeGreaterThan(0.5);
  });

  it('the hand-loaded ONNX cleaner gives what the bundle-cleaner path gives', async () => {
    const restorer = await createRestorer({ bundle: BUNDLE });
    try {
      const ref = await restorer.restore(INPUT, { upscale: 1, steps: 2, minShortSide: 64, seed: 5 });
      const cleaned = await rawRgb(path.join(dir, 'onnx-cleaned.png'));
      const restored = await rawRgb(path.join(dir, 'onnx.png'));
      expect(maxByteDiff(cleaned.data, toBytes(ref.cleaned))).toBeLessThanOrEqual(1);
      expect(maxByteDiff(restored.data, toBytes(ref.image))).toBeLessThanOrEqual(1);
    } finally {
      await restorer.close();
    }
    // Stage 2 follows stage 1: the two cleaners give different final images.
    const a = await rawRgb(path.join(dir, 'median.png'));
    const b = await rawRgb(path.join(dir, 'onnx.png'));
    expect(maxByteDiff(a.data, b.data)).toBeGreaterThan(10);
  });

  it('resizes the custom stage-1 output to the target size (upscale 2)', async () => {
    const up = path.join(dir, 'x2');
    const r = run([INPUT, up, '--upscale', '2', ...FAST, '--steps', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^median: cleaner called 1 time\(s\); stage 1 128x128/m);
    for (const f of ['median.png', 'onnx-cleaned.png']) {
      const img = await rawRgb(path.join(up, f));
      expect([img.width, img.height], f).toEqual([128, 128]);
    }
  });
});
