// Times core's per-image operations at 1024x1024 RGB (the figures quoted in
// docs/benchmarks.md). Run: npx vitest bench --run bench/image-ops.bench.ts
import { bench, describe } from 'vitest';
import { adainColourFix, resize, ssimY, type Tensor, waveletColourFix } from '../packages/core/src/index';

const SIZE = 1024;
const image: Tensor = {
  data: new Float32Array(3 * SIZE * SIZE).map((_, i) => 0.5 + 0.4 * Math.sin(i / 97) * Math.cos(i / 3001)),
  shape: [1, 3, SIZE, SIZE],
};
const other: Tensor = { data: image.data.map((v, i) => v * 0.9 + 0.05 * ((i % 7) / 7)), shape: image.shape };
const options = { iterations: 5, warmupIterations: 1 };

describe(`core image ops, ${SIZE}x${SIZE} RGB`, () => {
  bench('bicubic x2 up (antialias)', () => void resize(image, 2 * SIZE, 2 * SIZE, { antialias: true }), options);
  bench('bicubic /2 down (antialias)', () => void resize(image, SIZE / 2, SIZE / 2, { antialias: true }), options);
  bench('wavelet colour fix', () => void waveletColourFix(image, other), options);
  bench('AdaIN colour fix', () => void adainColourFix(image, other), options);
  bench('SSIM-Y', () => void ssimY(image, other), options);
});
