// Times the full Real-ESRGAN second-order degradation (USM included) on a 512x512 image.
// Run: npx vitest bench --run bench/degradation.bench.ts
// Each iteration uses a new seed, so the median covers the spread of drawn sizes/kernels.
import { afterAll, bench, describe } from 'vitest';
import {
  CODEFORMER_DEFAULTS,
  codeformerDegradation,
  createRng,
  REALESRGAN_DEFAULTS,
  realEsrganDegradation,
  type Tensor,
} from '../packages/core/src/index';

const SIZE = 512;
const ITERATIONS = 15;

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

const timings: Record<string, number[]> = { realesrgan: [], codeformer: [] };
let seed = 0;

describe(`degradation ${SIZE}x${SIZE}`, () => {
  bench(
    'realEsrganDegradation (defaults, USM on)',
    () => {
      const t0 = performance.now();
      realEsrganDegradation(image, REALESRGAN_DEFAULTS, createRng(seed++));
      timings.realesrgan.push(performance.now() - t0);
    },
    { iterations: ITERATIONS, time: 0, warmupIterations: 1, warmupTime: 0 },
  );
  bench(
    'codeformerDegradation (defaults)',
    () => {
      const t0 = performance.now();
      codeformerDegradation(image, CODEFORMER_DEFAULTS, createRng(seed++));
      timings.codeformer.push(performance.now() - t0);
    },
    { iterations: ITERATIONS, time: 0, warmupIterations: 1, warmupTime: 0 },
  );
  afterAll(() => {
    for (const [name, t] of Object.entries(timings)) {
      if (t.length)
        console.log(
          `${name}: median ${median(t).toFixed(1)} ms over ${t.length} runs (max ${Math.max(...t).toFixed(1)} ms)`,
        );
    }
  });
});
