// Restore benchmark: wall time per stage, time inside ONNX runs and the pipeline's own
// overhead (wall - runtime), median of N runs, on a bundle (default: the tiny fixture).
// Usage: npm run build && node bench/restore.mjs [--bundle DIR] [--runs N] [--size PX] [--steps N]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createRestorer } from '@diffrestore/node';

const { values } = parseArgs({
  options: {
    bundle: { type: 'string', default: 'fixtures/bundles/tiny-random' },
    runs: { type: 'string', default: '5' },
    size: { type: 'string', default: '512' },
    steps: { type: 'string', default: '10' },
    worker: { type: 'string', default: 'true' },
  },
});
const runs = Number(values.runs);
const size = Number(values.size);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const data = new Float32Array(3 * size * size);
for (let c = 0; c < 3; c++)
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      data[(c * size + y) * size + x] = 0.5 + 0.3 * Math.sin(x / 17 + c) * Math.cos(y / 23);
const input = { tensor: { data, shape: [1, 3, size, size] } };

const restorer = await createRestorer({
  bundle: path.resolve(values.bundle),
  runtime: { worker: values.worker === 'true' },
});
const rows = [];
await restorer.restore(input, { steps: 2, minShortSide: size }); // warm-up: graph optimisation, worker start
for (let i = 0; i < runs; i++) {
  const r = await restorer.restore(input, { steps: Number(values.steps), minShortSide: size, seed: i });
  rows.push(r.timings);
}
await restorer.close();

const m = (f) => median(rows.map(f)).toFixed(1);
console.log(
  `bundle ${values.bundle}, ${size}x${size}, ${values.steps} steps, worker ${values.worker}, median of ${runs}`,
);
console.log(
  `total ${m((t) => t.totalMs)} ms, inside ONNX ${m((t) => t.runtimeMs)} ms, overhead ${m((t) => t.overheadMs)} ms`,
);
console.log(
  `overhead share ${(100 * median(rows.map((t) => t.overheadMs / t.totalMs))).toFixed(1)} %, ONNX runs ${rows[0].runs}`,
);
for (const s of Object.keys(rows[0].stages)) console.log(`  ${s.padEnd(8)} ${m((t) => t.stages[s])} ms`);
