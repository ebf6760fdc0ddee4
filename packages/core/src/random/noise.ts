import { sizeOf, type Tensor } from '../tensor/tensor';
import { createRng, type Rng } from './rng';

/**
 * Where samplers and wrappers get Gaussian noise. Everything random in a restore goes
 * through one of these, so a test can inject exact noise and a seed reproduces a run.
 */
export interface NoiseSource {
  /** A tensor of i.i.d. standard normal draws. */
  randn(shape: readonly number[]): Tensor;
}

/** Noise from a seeded generator (see rng.ts for the algorithm). */
export function gaussianNoise(seedOrRng: number | Rng): NoiseSource {
  const rng = typeof seedOrRng === 'number' ? createRng(seedOrRng) : seedOrRng;
  return {
    randn(shape) {
      const data = new Float32Array(sizeOf(shape));
      rng.fillNormal(data);
      return { data, shape: [...shape] };
    },
  };
}

/**
 * Replays given tensors in order (shapes must match the requests); throws when it runs
 * out, so a test also checks how many draws a sampler makes.
 */
export function replayNoise(tensors: readonly Tensor[]): NoiseSource & { readonly used: number } {
  let next = 0;
  return {
    get used() {
      return next;
    },
    randn(shape) {
      if (next >= tensors.length)
        throw new RangeError(`replayNoise: draw ${next + 1} requested, only ${tensors.length} given`);
      const t = tensors[next++];
      if (t.data.length !== sizeOf(shape)) {
        throw new RangeError(
          `replayNoise: draw ${next} has ${t.data.length} elements, request needs shape [${shape.join(', ')}]`,
        );
      }
      return { data: t.data.slice(), shape: [...shape] };
    },
  };
}
