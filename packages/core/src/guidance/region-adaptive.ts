import { gaussianNoise, type NoiseSource } from '../random/noise';
import type { StepPoint } from '../samplers/types';
import type { Tensor } from '../tensor/tensor';
import { clampStepAtTarget } from './clamp-at-target';
import { guidanceRescaleDivisor } from './latent-mse';
import { weightedMseLoss } from './mse-loss';
import type { Guidance } from './types';
import { inGuidanceWindow } from './window';

const GRAY = [0.2989, 0.587, 0.114] as const;
/** The reference multiplies its gradient scale by this constant. */
const REFERENCE_SCALE_FACTOR = 3000;
/** Seed of the decoder-gain estimate's directions: the same gain, so the same result, every run. */
const GAIN_SEED = 0x5eed;

function checkImage(image: Tensor, what: string): [number, number, number] {
  if (image.shape.length !== 4 || image.shape[1] !== 3) {
    throw new RangeError(`${what}: expected an RGB image (B, 3, H, W), got [${image.shape.join(', ')}]`);
  }
  return [image.shape[0], image.shape[2], image.shape[3]];
}

/**
 * DiffBIR's region-adaptive weight map W = 1 - tanh(blocksum2x2(|Sobel(gray(I))|)) for an
 * image in [0, 1], (B, 3, H, W) -> (B, 1, H, W): near 1 in flat regions (guidance pulls
 * hard), near 0 in textured ones (the prior is left free). H and W must be even.
 */
export function regionAdaptiveWeightMap(image: Tensor): Tensor {
  const [batch, h, w] = checkImage(image, 'regionAdaptiveWeightMap');
  if (h % 2 !== 0 || w % 2 !== 0) {
    throw new RangeError(`regionAdaptiveWeightMap: sides must be even (2x2 blocks), got ${h}x${w}`);
  }
  const out = new Float32Array(batch * h * w);
  const gray = new Float64Array(h * w);
  const mag = new Float64Array(h * w);
  const hw = h * w;
  for (let b = 0; b < batch; b++) {
    const base = b * 3 * hw;
    for (let i = 0; i < hw; i++) {
      gray[i] =
        GRAY[0] * image.data[base + i] + GRAY[1] * image.data[base + hw + i] + GRAY[2] * image.data[base + 2 * hw + i];
    }
    // Replicate padding by 1 = clamping the neighbour index to the image.
    const at = (y: number, x: number) => gray[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const tl = at(y - 1, x - 1);
        const tc = at(y - 1, x);
        const tr = at(y - 1, x + 1);
        const ml = at(y, x - 1);
        const mr = at(y, x + 1);
        const bl = at(y + 1, x - 1);
        const bc = at(y + 1, x);
        const br = at(y + 1, x + 1);
        // Cross-correlation (F.conv2d) with Gx = [[1,0,-1],[2,0,-2],[1,0,-1]], Gy = [[1,2,1],[0,0,0],[-1,-2,-1]].
        const gx = tl - tr + 2 * (ml - mr) + bl - br;
        const gy = tl + 2 * tc + tr - bl - 2 * bc - br;
        mag[y * w + x] = Math.sqrt(gx * gx + gy * gy);
      }
    }
    const o = b * hw;
    for (let y = 0; y < h; y += 2) {
      for (let x = 0; x < w; x += 2) {
        const s = mag[y * w + x] + mag[y * w + x + 1] + mag[(y + 1) * w + x] + mag[(y + 1) * w + x + 1];
        const v = 1 - Math.tanh(s);
        out[o + y * w + x] = v;
        out[o + y * w + x + 1] = v;
        out[o + (y + 1) * w + x] = v;
        out[o + (y + 1) * w + x + 1] = v;
      }
    }
  }
  return { data: out, shape: [batch, 1, h, w] };
}

/**
 * Average pooling over non-overlapping factor x factor blocks, (B, C, H, W) ->
 * (B, C, H/f, W/f): how a pixel weight map is carried to the latent grid (f = 8 for the
 * SD VAE). H and W must be multiples of f.
 */
export function averagePoolWeightMap(map: Tensor, factor: number): Tensor {
  if (map.shape.length !== 4) throw new RangeError('averagePoolWeightMap: expected (B, C, H, W)');
  const [b, c, h, w] = map.shape;
  if (!Number.isInteger(factor) || factor < 1 || h % factor !== 0 || w % factor !== 0) {
    throw new RangeError(`averagePoolWeightMap: ${h}x${w} is not divisible by factor ${factor}`);
  }
  const oh = h / factor;
  const ow = w / factor;
  const out = new Float32Array(b * c * oh * ow);
  const norm = 1 / (factor * factor);
  for (let p = 0; p < b * c; p++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        let s = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = p * h * w + (y * factor + dy) * w + x * factor;
          for (let dx = 0; dx < factor; dx++) s += map.data[row + dx];
        }
        out[p * oh * ow + y * ow + x] = s * norm;
      }
    }
  }
  return { data: out, shape: [b, c, oh, ow] };
}

interface RegionAdaptiveCommonOptions {
  /** The stage-1 output I_reg in [0, 1], (1 | B, 3, H, W): source of the weight map (and pixel target). */
  readonly image: Tensor;
  /** The reference's `--g_scale`; the gradient is multiplied by scale * 3000. Default 0.5. */
  readonly scale?: number;
  /** Guidance runs while tStop < t + 1 < tStart (t = training timestep). Default 1001 (every step). */
  readonly tStart?: number;
  /** Default -1. */
  readonly tStop?: number;
  /** Gradient steps per model evaluation. Default 1. */
  readonly repeat?: number;
  /** A precomputed weight map (B', 1, H, W) to use instead of regionAdaptiveWeightMap(image). */
  readonly weight?: Tensor;
  /** Called with the loss before each gradient step. */
  readonly onLoss?: (loss: number, at: StepPoint) => void;
}

/** Region-adaptive guidance with the loss in latent space against the condition latent. */
export interface LatentRegionAdaptiveOptions extends RegionAdaptiveCommonOptions {
  readonly space: 'latent';
  /** Condition latent c = VAE latent of I_reg, (1 | B, C, H/f, W/f). */
  readonly target: Tensor;
  /** VAE downsampling factor; the weight map is average-pooled by it. Default 8. */
  readonly latentFactor?: number;
  /**
   * Never step an element past the condition latent (clampStepAtTarget). Default true; false
   * is the reference's unbounded step, which overshoots once the scale is large for the
   * output size (docs/guidance.md).
   */
  readonly clampAtTarget?: boolean;
}

/** Region-adaptive guidance with the loss in pixel space (the reference's `--g_space rgb`). */
export interface PixelRegionAdaptiveOptions extends RegionAdaptiveCommonOptions {
  readonly space: 'pixel';
  /** VAE decoder: latent -> image in [-1, 1]. Tiled decoders fit. */
  readonly decode: (latent: Tensor) => Promise<Tensor>;
  /** VAE encoder: image in [-1, 1] -> latent (scaled like x0). Needed unless decodeVjp is given. */
  readonly encode?: (image: Tensor) => Promise<Tensor>;
  /**
   * Exact path: the decoder's vector-Jacobian product J_D(latent)^T g (an exported VJP
   * graph). When present it replaces the encode projection and the update equals the reference's.
   */
  readonly decodeVjp?: (latent: Tensor, pixelGradient: Tensor) => Promise<Tensor>;
  /**
   * gamma in J^T g ~= gamma * J_E g: squared norm of a decoder Jacobian column. Default
   * 'estimate': measured once, at the first guided step, by estimateDecoderGain around that
   * step's x0 (1 + gainProbes decodes, fixed noise seed). A fixed 192 (a unit-gain decoder
   * over 8x8 RGB blocks) was 20x too strong for the trained default bundle's VAE.
   */
  readonly pixelGain?: number | 'estimate';
  /** Random directions of the gain estimate. Default 2. */
  readonly gainProbes?: number;
  /** Largest pixel perturbation fed to the encoder for the finite difference. Default 0.05. */
  readonly maxPixelStep?: number;
}

export type RegionAdaptiveGuidanceOptions = LatentRegionAdaptiveOptions | PixelRegionAdaptiveOptions;

function maxAbs(d: Float32Array): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(d[i]));
  return m;
}

/**
 * DiffBIR v2 region-adaptive restoration guidance: gradient steps on
 * loss = mean_CHW(W (pred - T)^2), g = -dloss/dpred * scale * 3000, delta = g pulled back
 * to the latent, x0 += delta / coef1 (the posterior mean moves by delta). In 'latent' space
 * pred = x0, T = c and W is pooled to the latent grid; in 'pixel' space pred = decode(x0),
 * T = 2 I_reg - 1 and the pull-back is the decoder VJP when given, else the linearised
 * encoder projection (docs/guidance.md).
 */
export function regionAdaptiveGuidance(options: RegionAdaptiveGuidanceOptions): Guidance {
  const scale = options.scale ?? 0.5;
  const tStart = options.tStart ?? 1001;
  const tStop = options.tStop ?? -1;
  const repeat = options.repeat ?? 1;
  const pixelWeight = options.weight ?? regionAdaptiveWeightMap(options.image);
  const gScale = scale * REFERENCE_SCALE_FACTOR;

  let pullBack: (x0: Tensor) => Promise<{ loss: number; delta: Tensor }>;
  let limit: ((current: Tensor, next: Float32Array) => void) | undefined;
  if (options.space === 'latent') {
    const weight = averagePoolWeightMap(pixelWeight, options.latentFactor ?? 8);
    const target = options.target;
    pullBack = async (x0) => {
      const { loss, gradient } = weightedMseLoss(x0, target, weight);
      const delta = new Float32Array(gradient.data.length);
      for (let i = 0; i < delta.length; i++) delta[i] = -gScale * gradient.data[i];
      return { loss, delta: { data: delta, shape: [...x0.shape] } };
    };
    if (options.clampAtTarget ?? true) limit = (current, next) => clampStepAtTarget(current, next, target);
  } else {
    const { decode, encode, decodeVjp } = options;
    if (!decodeVjp && !encode) throw new RangeError('regionAdaptiveGuidance: pixel space needs encode or decodeVjp');
    const fixedGain = options.pixelGain ?? 'estimate';
    let gain = typeof fixedGain === 'number' ? fixedGain : undefined;
    const maxStep = options.maxPixelStep ?? 0.05;
    const image = options.image;
    checkImage(image, 'regionAdaptiveGuidance image');
    const target: Tensor = { data: image.data.map((v) => 2 * v - 1), shape: [...image.shape] };
    pullBack = async (x0) => {
      const pred = await decode(x0);
      const { loss, gradient } = weightedMseLoss(pred, target, pixelWeight);
      const g = new Float32Array(gradient.data.length);
      for (let i = 0; i < g.length; i++) g[i] = -gScale * gradient.data[i];
      if (decodeVjp) return { loss, delta: await decodeVjp(x0, { data: g, shape: [...pred.shape] }) };
      if (gain === undefined) {
        gain = await estimateDecoderGain(decode, x0, gaussianNoise(GAIN_SEED), { probes: options.gainProbes ?? 2 });
      }
      // J_E h by a finite difference small enough for the encoder to act linearly.
      const m = maxAbs(g) * gain;
      const eps = m > maxStep ? maxStep / m : 1;
      const moved = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) moved[i] = pred.data[i] + eps * gain * g[i];
      const base = await encode!(pred);
      const shifted = await encode!({ data: moved, shape: [...pred.shape] });
      const delta = new Float32Array(base.data.length);
      for (let i = 0; i < delta.length; i++) delta[i] = (shifted.data[i] - base.data[i]) / eps;
      return { loss, delta: { data: delta, shape: [...base.shape] } };
    };
  }

  return async (x0, at) => {
    if (scale === 0 || !inGuidanceWindow(at.timestep, tStart, tStop)) return x0;
    const coef1 = guidanceRescaleDivisor('posterior', at);
    if (coef1 === 0) return x0;
    let current = x0;
    for (let r = 0; r < repeat; r++) {
      const { loss, delta } = await pullBack(current);
      options.onLoss?.(loss, at);
      if (delta.data.length !== current.data.length) {
        throw new RangeError(
          `regionAdaptiveGuidance: latent delta [${delta.shape.join(', ')}] does not match x0 [${current.shape.join(', ')}]`,
        );
      }
      const next = new Float32Array(current.data.length);
      for (let i = 0; i < next.length; i++) next[i] = current.data[i] + delta.data[i] / coef1;
      limit?.(current, next);
      current = { data: next, shape: [...current.shape] };
    }
    return current;
  };
}

export interface DecoderGainOptions {
  /** Random unit directions averaged over. Default 4. */
  readonly probes?: number;
  /** Latent perturbation size (finite difference). Default 0.05. */
  readonly tau?: number;
}

/**
 * Estimates gamma = E ||J_D v||^2 over random unit-RMS latent directions v (per latent
 * element), i.e. the squared norm of a decoder Jacobian column: the pixelGain that makes the
 * encoder projection match the decoder VJP in size. Costs 1 + probes decodes.
 */
export async function estimateDecoderGain(
  decode: (latent: Tensor) => Promise<Tensor>,
  latent: Tensor,
  noise: NoiseSource,
  options: DecoderGainOptions = {},
): Promise<number> {
  const probes = options.probes ?? 4;
  const tau = options.tau ?? 0.05;
  const base = await decode(latent);
  let total = 0;
  for (let p = 0; p < probes; p++) {
    const v = noise.randn(latent.shape);
    const moved = new Float32Array(latent.data.length);
    for (let i = 0; i < moved.length; i++) moved[i] = latent.data[i] + tau * v.data[i];
    const out = await decode({ data: moved, shape: [...latent.shape] });
    let s = 0;
    for (let i = 0; i < out.data.length; i++) {
      const d = (out.data[i] - base.data[i]) / tau;
      s += d * d;
    }
    let vv = 0;
    for (let i = 0; i < v.data.length; i++) vv += v.data[i] * v.data[i];
    total += s / vv;
  }
  return total / probes;
}
