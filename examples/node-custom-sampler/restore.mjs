#!/usr/bin/env node
// Restore with a sampler of your own. A sampler is an object { name, start(setup) } whose run
// lists its timesteps, maps unit noise to its starting sample and takes one step given a
// predictor of (x0, eps); the sampling loop handles prediction types, CFG and guidance.
// `sampler` in the restore options takes such an object as well as a built-in spec
// ({ kind: 'ddim' }). This one is the deterministic DDIM on a quadratic grid of
// examples/custom-sampler/custom-sampler.ts, written in plain JavaScript.
//
//   npm run build
//   node examples/node-custom-sampler/restore.mjs examples/images/sample-degraded.png out/custom-sampler.png
//
// With the default random-weight fixture bundle the output is not a restoration.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { combine } from '@diffrestore/core';
import { createRestorer } from '@diffrestore/node';

/** @returns {import('@diffrestore/core').Sampler} */
function quadraticDdimSampler() {
  return {
    name: 'ddim-quadratic',
    start({ schedule, steps }) {
      const ab = schedule.alphasCumprod;
      // t_i = floor((T - 1) (1 - i/k)^2): dense steps at low noise, where detail forms.
      const grid = Array.from({ length: steps }, (_, i) => Math.floor((ab.length - 1) * (1 - i / steps) ** 2));
      const timesteps = [...new Set(grid)];
      return {
        timesteps,
        init: (noise) => noise,
        async step(x, i, predict) {
          const alphaBar = ab[timesteps[i]];
          const alphaBarNext = i + 1 < timesteps.length ? ab[timesteps[i + 1]] : 1;
          const at = { step: i, steps: timesteps.length, timestep: timesteps[i], alphaBar, alphaBarNext };
          const { x0, eps } = await predict(x, at);
          return combine([Math.sqrt(alphaBarNext), Math.sqrt(1 - alphaBarNext)], [x0, eps]);
        },
      };
    },
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bundle: {
      type: 'string',
      default: process.env.DIFFRESTORE_BUNDLE ?? path.resolve(here, '../../fixtures/bundles/tiny-random'),
    },
    upscale: { type: 'string', default: '4' },
    steps: { type: 'string' },
    seed: { type: 'string', default: '231' },
    'min-short-side': { type: 'string' },
  },
});
const [input = path.resolve(here, '../images/sample-degraded.png'), output = 'out/custom-sampler.png'] = positionals;
const optional = (v) => (v === undefined ? undefined : Number(v));

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
await mkdir(path.dirname(path.resolve(output)), { recursive: true });
const restorer = await createRestorer({ bundle: values.bundle, signal: controller.signal });
try {
  const sampler = quadraticDdimSampler();
  const timesteps = [];
  const result = await restorer.restore(input, {
    sampler,
    upscale: Number(values.upscale),
    steps: optional(values.steps),
    seed: Number(values.seed),
    minShortSide: optional(values['min-short-side']),
    output,
    overwrite: true,
    signal: controller.signal,
    onProgress: (e) => {
      if (e.type !== 'step') return;
      timesteps.push(e.timestep);
      console.error(`step ${e.step + 1}/${e.steps} (t = ${e.timestep})`);
    },
  });
  const [, , h, w] = result.image.shape;
  console.log(`${sampler.name}: ${timesteps.length} steps at t = ${timesteps.join(', ')}`);
  console.log(`wrote ${output} (${w}x${h})`);
} finally {
  await restorer.close();
}
