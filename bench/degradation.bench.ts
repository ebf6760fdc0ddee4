// Times the full Real-ESRGAN second-order degradation (USM included) and the CodeFormer one
// on a 512x512 image. Run: npx vitest bench --run bench/degradation.bench.ts
// Each iteration uses a new seed, so the median covers the spread of drawn sizes and kernels.
// Both wall time and process CPU time are reported: on a shared machine the CPU time is the
// steadier measure of the work done.
import { bench, describe } from 'vitest';
import {
  CODEFORMER_DEFAULTS,
  codeformerDegradation,
  createRng,
  REALESRGAN_DEFAULTS,
  realEsrganDegradation,
  type Tensor,
} from '../packages/core/src/index';

const SIZE = 512;
const ITERATIONS = 21;
const WARMUP = 2;

function syntheticPhoto(size: number): Tensor {
  const data = new Float32Array(3 * size * size);
  const rng = createRng(12345);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const u = x / size;
        const v = y / size;
        const smooth = 0.5 + 0.25 * Math.sin(6 * u + 2 * c) * Math.cos(5 * v - c);
        const edge = (x - size / 2) ** 2 + (y - size / 3) ** 2 < (size / 5) ** 2 ? 0.2 : 0;
        const texture = 0.05 * Math.sin(0.9 * x + 0.4 * y) + 0.02 * (rng.uniform() - 0.5);
        data[(c * size + y) * size + x] = Math.min(1, Math.max(0, smooth + edge + texture));
      }
    }
  }
  return { data, shape: [1, 3, size, size] };
}

const image = syntheticPhoto(SIZE);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const timings: Record<string, { wall: number[]; cpu: number[] }> = {
  realesrgan: { wall: [], cpu: [] },
  codeformer: { wall: [], cpu: [] },
};
let seed = 0;

function timed(name: string, run: () => void): () => void {
  return () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const t = timings[name];
    t.wall.push(wall);
    t.cpu.push((c.user + c.system) / 1000);
    if (t.wall.length === ITERATIONS + WARMUP) report(name);
  };
}

// Printed from inside the last iteration: vitest's bench mode shows no afterAll output.
function report(name: string): void {
  const t = timings[name];
  console.log(
    `[degradation bench] ${name}: median wall ${median(t.wall).toFixed(0)} ms, median cpu ${median(t.cpu).toFixed(0)} ms over ${t.wall.length} runs (incl. warm-up), max wall ${Math.max(...t.wall).toFixed(0)} ms`,
  );
}

const options = { iterations: ITERATIONS, time: 0, warmupIterations: WARMUP, warmupTime: 0 };

describe(`degradation ${SIZE}x${SIZE}`, () => {
  bench(
    'realEsrganDegradation (defaults, USM on)',
    timed('realesrgan', () => realEsrganDegradation(image, REALESRGAN_DEFAULTS, createRng(seed++))),
    options,
  );
  bench(
    'codeformerDegradation (defaults)',
    timed('codeformer', () => codeformerDegradation(image, CODEFORMER_DEFAULTS, createRng(seed++))),
    options,
  );
});
