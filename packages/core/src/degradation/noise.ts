import type { Rng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import { type PoissonSampler, poissonSampler } from './poisson';
import { roundHalfEven } from './rounding';

/** Luma weights of torchvision's rgb_to_grayscale, used by the gray Poisson variant. */
export const GRAY_NOISE_LUMA: readonly [number, number, number] = [0.2989, 0.587, 0.114];

function nchw(image: Tensor, what: string): [number, number, number, number] {
  if (image.shape.length !== 4) throw new RangeError(`${what}: expected NCHW, got [${image.shape.join(', ')}]`);
  return image.shape as unknown as [number, number, number, number];
}

function clamp01(v: number): number {
  return v < 0 ? 0 : Math.min(v, 1);
}

/** Options of the additive noise steps. */
export interface NoiseOptions {
  /** One noise map shared by all channels (gray noise) instead of one per channel. Default false. */
  gray?: boolean;
  /** Clip the result to [0, 1]. Default true (the reference always clips). */
  clip?: boolean;
}

/**
 * x + sigma * n with n ~ N(0, 1) i.i.d. per pixel and channel, or, when gray, one map per
 * image added to every channel. `sigma` is in image units ([0, 1] range; divide the
 * reference's 8-bit sigmas by 255).
 */
export function addGaussianNoise(image: Tensor, sigma: number, rng: Rng, options: NoiseOptions = {}): Tensor {
  const [n, c, h, w] = nchw(image, 'addGaussianNoise');
  const gray = options.gray ?? false;
  const clip = options.clip ?? true;
  const plane = h * w;
  const src = image.data;
  const out = new Float32Array(src.length);
  const map = new Float64Array(plane);
  for (let b = 0; b < n; b++) {
    if (gray) rng.fillNormal(map);
    for (let ch = 0; ch < c; ch++) {
      if (!gray) rng.fillNormal(map);
      const o = (b * c + ch) * plane;
      for (let i = 0; i < plane; i++) {
        const v = src[o + i] + sigma * map[i];
        out[o + i] = clip ? clamp01(v) : v;
      }
    }
  }
  return { data: out, shape: [...image.shape] };
}

function level8bit(x: number): number {
  const v = roundHalfEven(x * 255);
  return v < 0 ? 0 : Math.min(v, 255);
}

/**
 * Poisson noise of 8-bit levels: `vals = 2^ceil(log2(#distinct levels))`, and for each level
 * l the noise `(Poisson(l/255 vals) / vals - l/255)`; one sampler per present level.
 */
function poissonNoiseOfLevels(levels: Uint8Array, rng: Rng): Float64Array {
  const present = new Uint8Array(256);
  let distinct = 0;
  for (let i = 0; i < levels.length; i++) {
    if (present[levels[i]] === 0) {
      present[levels[i]] = 1;
      distinct++;
    }
  }
  const vals = 2 ** Math.ceil(Math.log2(Math.max(1, distinct)));
  const samplers: (PoissonSampler | null)[] = Array.from({ length: 256 }, (_, l) =>
    present[l] ? poissonSampler((l / 255) * vals) : null,
  );
  const noise = new Float64Array(levels.length);
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    noise[i] = (samplers[l] as PoissonSampler)(rng) / vals - l / 255;
  }
  return noise;
}

/**
 * Shot noise as in basicsr `generate_poisson_noise_pt`: the image is rounded to 8 bits
 * (x8), `vals = 2^ceil(log2(#unique x8))`, `noise = (Poisson(x8 vals) / vals - x8) * scale`
 * and the result is x + noise (clipped). The gray variant draws the noise on the luma
 * (rounded to 8 bits likewise) and adds it to every channel; it needs 3 channels.
 */
export function addPoissonNoise(image: Tensor, scale: number, rng: Rng, options: NoiseOptions = {}): Tensor {
  const [n, c, h, w] = nchw(image, 'addPoissonNoise');
  const gray = options.gray ?? false;
  const clip = options.clip ?? true;
  if (gray && c !== 3) throw new RangeError(`addPoissonNoise: gray noise needs 3 channels, got ${c}`);
  const plane = h * w;
  const per = c * plane;
  const src = image.data;
  const out = new Float32Array(src.length);
  for (let b = 0; b < n; b++) {
    const o = b * per;
    if (gray) {
      const levels = new Uint8Array(plane);
      const [wr, wg, wb] = GRAY_NOISE_LUMA;
      for (let i = 0; i < plane; i++) {
        levels[i] = level8bit(wr * src[o + i] + wg * src[o + plane + i] + wb * src[o + 2 * plane + i]);
      }
      const noise = poissonNoiseOfLevels(levels, rng);
      for (let ch = 0; ch < c; ch++) {
        const oc = o + ch * plane;
        for (let i = 0; i < plane; i++) {
          const v = src[oc + i] + noise[i] * scale;
          out[oc + i] = clip ? clamp01(v) : v;
        }
      }
    } else {
      const levels = new Uint8Array(per);
      for (let i = 0; i < per; i++) levels[i] = level8bit(src[o + i]);
      const noise = poissonNoiseOfLevels(levels, rng);
      for (let i = 0; i < per; i++) {
        const v = src[o + i] + noise[i] * scale;
        out[o + i] = clip ? clamp01(v) : v;
      }
    }
  }
  return { data: out, shape: [...image.shape] };
}
