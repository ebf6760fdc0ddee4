#!/usr/bin/env node
// Swap stage 1 (the "cleaner") of a restore for (a) a plain JavaScript function over the image
// tensor and (b) another ONNX model run through onnxCleaner. Writes, into the output folder,
// each result and its stage-1 output (what stage 2 was conditioned on):
//
//   npm run build
//   node examples/node-custom-cleaner/restore.mjs examples/images/sample-degraded.png out/custom-cleaner
//
// A cleaner is any `(image, { signal }) => Promise<Tensor>` from RGB (1,3,H,W) in [0,1] to RGB
// in [0,1]. The pipeline runs it on the input, then resizes its output to the stage-1 size.
// With the default random-weight fixture bundle the pictures are not restorations.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cropImage, onnxCleaner, padToMultiple } from '@diffrestore/core';
import { createNodeRuntime, createRestorer, writeImage } from '@diffrestore/node';

/**
 * (a) A 3x3 median filter, channel by channel, with replicated borders: removes salt-and-pepper
 * noise and small compression speckles while keeping edges.
 * @param {import('@diffrestore/core').Tensor} image
 */
function median3x3(image) {
  const [n, c, h, w] = image.shape;
  const src = image.data;
  const out = new Float32Array(src.length);
  const win = new Float32Array(9);
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let k = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = Math.min(h - 1, Math.max(0, y + dy));
          for (let dx = -1; dx <= 1; dx++) {
            const xx = Math.min(w - 1, Math.max(0, x + dx));
            win[k++] = src[base + yy * w + xx];
          }
        }
        win.sort();
        out[base + y * w + x] = win[4];
      }
    }
  }
  return { data: out, shape: [n, c, h, w] };
}

/**
 * (b) Another ONNX model as stage 1. Many restoration networks (SwinIR among them) need sides
 * that are multiples of their window: pad, run, crop back.
 * @param {import('@diffrestore/core').ModelSession} session
 * @param {number} multiple
 */
function paddedOnnxCleaner(session, multiple) {
  const run = onnxCleaner(session);
  return async (image, options) => {
    const [, , h, w] = image.shape;
    const { image: padded } = padToMultiple(image, multiple, 'replicate');
    return cropImage(await run(padded, options), 0, 0, h, w);
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bundle: { type: 'string', default: path.resolve(here, '../../fixtures/bundles/tiny-random') },
    // "Another model": any graph with one RGB input and one RGB output of the same size.
    // Default: the fixture bundle's own cleaner.onnx, loaded by hand.
    model: { type: 'string' },
    upscale: { type: 'string', default: '4' },
    steps: { type: 'string' },
    seed: { type: 'string', default: '231' },
    'min-short-side': { type: 'string' },
  },
});
const [input = path.resolve(here, '../images/sample-degraded.png'), outDir = 'out/custom-cleaner'] = positionals;
const modelPath = values.model ?? path.join(values.bundle, 'cleaner.onnx');
await mkdir(outDir, { recursive: true });

// One runtime (one worker thread) for the bundle and the extra model.
const runtime = createNodeRuntime();
const restorer = await createRestorer({ bundle: values.bundle, runtime, skipCleaner: true });
const session = await runtime.createSession(modelPath);
const calls = { median: 0, onnx: 0 };
const onnx = paddedOnnxCleaner(session, 64);
const cleaners = {
  median: async (image) => {
    calls.median++;
    return median3x3(image);
  },
  onnx: async (image, options) => {
    calls.onnx++;
    return onnx(image, options);
  },
};
try {
  for (const [name, cleaner] of Object.entries(cleaners)) {
    const result = await restorer.restore(input, {
      cleaner: { kind: 'custom', cleaner },
      upscale: Number(values.upscale),
      steps: values.steps === undefined ? undefined : Number(values.steps),
      seed: Number(values.seed),
      minShortSide: values['min-short-side'] === undefined ? undefined : Number(values['min-short-side']),
      output: path.join(outDir, `${name}.png`),
      overwrite: true,
    });
    await writeImage(path.join(outDir, `${name}-cleaned.png`), { image: result.cleaned }, { overwrite: true });
    const [, , h, w] = result.image.shape;
    const [, , ch, cw] = result.cleaned.shape;
    console.log(
      `${name}: cleaner called ${calls[name]} time(s); stage 1 ${cw}x${ch} -> ${path.join(outDir, `${name}.png`)} (${w}x${h}), ` +
        `clean ${result.timings.stages.clean.toFixed(1)} ms, total ${result.timings.totalMs.toFixed(1)} ms`,
    );
  }
} finally {
  await session.release();
  await restorer.close();
  await runtime.close(); // a runtime we passed in is ours to close
}
