#!/usr/bin/env node
// The fidelity knob: restore one image at several region-adaptive guidance scales (latent
// space) with the same seed, measure each result against the stage-1 output (what guidance
// pulls towards) and against the original, print a table and write a contact sheet:
// input (upscaled), stage-1 output, then one result per scale, side by side.
//
//   npm run build
//   node examples/node-guidance-sweep/sweep.mjs --out out/guidance-sweep.png
//
// With the default random-weight fixture bundle the numbers show the knob working (results
// move towards the stage-1 output as the scale grows) but the pictures are not restorations.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { psnrY, resize, ssimY } from '@diffrestore/core';
import { createRestorer, readImage, writeImage } from '@diffrestore/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    input: { type: 'string', default: path.resolve(here, '../images/sample-degraded.png') },
    original: { type: 'string', default: path.resolve(here, '../images/sample-original.png') },
    out: { type: 'string', default: 'out/guidance-sweep.png' },
    bundle: {
      type: 'string',
      default: process.env.DIFFRESTORE_BUNDLE ?? path.resolve(here, '../../fixtures/bundles/tiny-random'),
    },
    scales: { type: 'string', default: '0,0.25,0.5,1,2' },
    upscale: { type: 'string', default: '4' },
    steps: { type: 'string' },
    sampler: { type: 'string' }, // a built-in kind, e.g. ddim (default: the bundle's)
    space: { type: 'string', default: 'latent' }, // where region-adaptive guidance acts: latent | pixel
    seed: { type: 'string', default: '231' },
    'min-short-side': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const scales = values.scales.split(',').map(Number);
const optional = (v) => (v === undefined ? undefined : Number(v));

/** Bicubic resize to h x w unless already that size. */
function resizeTo(image, h, w) {
  const [, , ih, iw] = image.shape;
  if (ih === h && iw === w) return image;
  return resize(image, h, w, { mode: 'bicubic', antialias: h < ih || w < iw });
}

/** Panels (1,3,h,w) of one size side by side, `gap` white pixels apart. */
function contactSheet(panels, gap = 4) {
  const [, , h, w] = panels[0].shape;
  const width = panels.length * w + (panels.length - 1) * gap;
  const data = new Float32Array(3 * h * width).fill(1);
  panels.forEach((p, i) => {
    const left = i * (w + gap);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) {
        const from = (c * h + y) * w;
        data.set(p.data.subarray(from, from + w), (c * h + y) * width + left);
      }
    }
  });
  return { data, shape: [1, 3, h, width] };
}

const { image: input } = await readImage(values.input);
const original = values.original ? (await readImage(values.original)).image : undefined;
const restorer = await createRestorer({ bundle: values.bundle });
const rows = [];
let cleaned;
const results = [];
try {
  for (const scale of scales) {
    const result = await restorer.restore(
      { tensor: input },
      {
        upscale: Number(values.upscale),
        steps: optional(values.steps),
        sampler: values.sampler === undefined ? undefined : { kind: values.sampler },
        seed: Number(values.seed),
        minShortSide: optional(values['min-short-side']),
        guidance: { kind: 'region-adaptive', space: values.space, scale },
      },
    );
    const [, , h, w] = result.image.shape;
    // The stage-1 output may be larger than the output (minShortSide): compare at the output size.
    cleaned ??= resizeTo(result.cleaned, h, w);
    const row = { scale, psnrToCleaned: psnrY(result.image, cleaned), ssimToCleaned: ssimY(result.image, cleaned) };
    if (original?.shape[2] === h && original.shape[3] === w) {
      row.psnrToOriginal = psnrY(result.image, original);
      row.ssimToOriginal = ssimY(result.image, original);
    }
    rows.push(row);
    results.push(result.image);
    console.error(`scale ${scale}: ${result.timings.totalMs.toFixed(0)} ms`);
  }
} finally {
  await restorer.close();
}

const [, , h, w] = results[0].shape;
const sheet = contactSheet([resizeTo(input, h, w), cleaned, ...results]);
await mkdir(path.dirname(path.resolve(values.out)), { recursive: true });
await writeImage(values.out, { image: sheet }, { overwrite: true });

if (values.json) {
  console.log(JSON.stringify({ sheet: values.out, panel: { width: w, height: h }, rows }, null, 2));
} else {
  const f = (v, d) => (v === undefined ? '-' : Number.isFinite(v) ? v.toFixed(d) : 'inf');
  console.log('scale   PSNR-Y/stage1  SSIM-Y/stage1  PSNR-Y/original  SSIM-Y/original');
  for (const r of rows) {
    console.log(
      `${String(r.scale).padEnd(6)}  ${f(r.psnrToCleaned, 2).padStart(13)}  ${f(r.ssimToCleaned, 4).padStart(13)}  ` +
        `${f(r.psnrToOriginal, 2).padStart(15)}  ${f(r.ssimToOriginal, 4).padStart(15)}`,
    );
  }
  console.log(`contact sheet: ${values.out} (input, stage 1, then scales ${scales.join(', ')})`);
}
