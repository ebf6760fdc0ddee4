#!/usr/bin/env node
// Restore one image to a file: progress on stderr, Ctrl-C aborts cleanly, timings at the end.
//
//   npm run build
//   node examples/node-basic/restore.mjs examples/images/sample-degraded.png out/restored.png --upscale 4
//
// Without --bundle it uses $DIFFRESTORE_BUNDLE, else the default bundle @diffrestore/model-tiny
// (trained from scratch by tools/train, demo-grade: packages/model-tiny/README.md). Pass
// --bundle <folder|url> for a converted DiffBIR bundle.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRestorer } from '@diffrestore/node';

const here = path.dirname(fileURLToPath(import.meta.url));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    bundle: { type: 'string' }, // default: $DIFFRESTORE_BUNDLE, else @diffrestore/model-tiny
    upscale: { type: 'string', default: '4' },
    steps: { type: 'string' }, // default: the bundle's
    seed: { type: 'string', default: '231' },
    guidance: { type: 'string' }, // fidelity: 0 = off, more = closer to the cleaner's output; default: the bundle's
    'min-short-side': { type: 'string' }, // default: the bundle's (512 for SD bundles)
    overwrite: { type: 'boolean', default: false },
  },
});
const [input = path.resolve(here, '../images/sample-degraded.png'), output = 'out/restored.png'] = positionals;
const num = (v) => (v === undefined ? undefined : Number(v));

// First Ctrl-C: abort (the pipeline stops after the current step). Second: quit at once.
const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130);
  console.error('\ninterrupted: stopping after the current step (Ctrl-C again to quit now)');
  controller.abort();
});

await mkdir(path.dirname(path.resolve(output)), { recursive: true });
const restorer = await createRestorer({ bundle: values.bundle, signal: controller.signal });
try {
  const result = await restorer.restore(input, {
    output,
    overwrite: values.overwrite,
    upscale: num(values.upscale),
    steps: num(values.steps),
    seed: num(values.seed),
    guidance:
      values.guidance === undefined
        ? undefined
        : Number(values.guidance) > 0
          ? { kind: 'region-adaptive', scale: Number(values.guidance) }
          : { kind: 'none' },
    minShortSide: num(values['min-short-side']),
    signal: controller.signal,
    onProgress(e) {
      if (e.type === 'stage') console.error(`stage ${e.stage}`);
      else if (e.type === 'step') console.error(`  step ${e.step + 1}/${e.steps} (t = ${Math.round(e.timestep)})`);
      else if (e.type === 'tile') console.error(`  ${e.stage} tile ${e.index + 1}/${e.count}`);
    },
  });
  const [, , h, w] = result.image.shape;
  const t = result.timings;
  console.log(`wrote ${output} (${w}x${h}, seed ${result.seed})`);
  for (const [stage, ms] of Object.entries(t.stages)) console.log(`  ${stage.padEnd(8)} ${ms.toFixed(1)} ms`);
  console.log(`  total    ${t.totalMs.toFixed(1)} ms`);
  console.log(`  runtime  ${t.runtimeMs.toFixed(1)} ms in ${t.runs} ONNX runs`);
  console.log(`  overhead ${t.overheadMs.toFixed(1)} ms (${((100 * t.overheadMs) / t.totalMs).toFixed(1)} %)`);
} catch (e) {
  if (e?.name !== 'AbortError') throw e;
  console.error('aborted; nothing was written');
  process.exitCode = 130;
} finally {
  await restorer.close();
}
