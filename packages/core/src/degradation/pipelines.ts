import { resize, resizeBy } from '../image/resize';
import type { Rng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import { chooseUniform, chooseWeighted, uniformIn } from './choice';
import type { CodeformerConfig, DegradationResizeMode, RealEsrganConfig, RealEsrganOrderConfig } from './config';
import { filter2dReflect } from './filter';
import { jpegCompress } from './jpeg';
import { addGaussianNoise, addPoissonNoise } from './noise';
import {
  type BlurKernelParams,
  buildBlurKernel,
  drawBlurKernelParams,
  drawFinalSincParams,
  drawKernelBeta,
} from './random-kernels';
import { quantize8bit } from './rounding';
import { unsharpMask } from './unsharp';

/** A drawn random resize. */
export interface ResizeStepParams {
  direction: 'up' | 'down' | 'keep';
  /** Drawn factor (relative to the step's reference size). */
  scale: number;
  mode: DegradationResizeMode;
  /** Output size. */
  height: number;
  width: number;
}

/** A drawn noise step. Gaussian sigma is in 8-bit units (the image sees sigma / 255). */
export type NoiseStepParams =
  | { kind: 'gaussian'; sigma: number; gray: boolean }
  | { kind: 'poisson'; scale: number; gray: boolean };

/** Every random choice of one Real-ESRGAN degradation (plain JSON). */
export interface RealEsrganDrawnParams {
  pipeline: 'realesrgan';
  /** HQ size [height, width]. */
  inputSize: [number, number];
  scale: number;
  sharpened: boolean;
  first: { kernel: BlurKernelParams; resize: ResizeStepParams; noise: NoiseStepParams; jpegQuality: number };
  /** `kernel` is null when the second blur was skipped. */
  second: { kernel: BlurKernelParams | null; resize: ResizeStepParams; noise: NoiseStepParams };
  final: {
    /** Which of the two final branches ran. */
    order: 'resize-sinc-jpeg' | 'jpeg-resize-sinc';
    resizeMode: DegradationResizeMode;
    /** null: identity pulse instead of the sinc filter. */
    sinc: BlurKernelParams | null;
    jpegQuality: number;
  };
  resizedBack: boolean;
  /** LQ size [height, width]. */
  outputSize: [number, number];
}

/** Every random choice of one CodeFormer-style degradation (plain JSON). */
export interface CodeformerDrawnParams {
  pipeline: 'codeformer';
  inputSize: [number, number];
  kernel: BlurKernelParams;
  /** Downsampling factor and the size it gave. */
  downsample: { factor: number; height: number; width: number; mode: DegradationResizeMode };
  /** null when the config disables noise. */
  noise: NoiseStepParams | null;
  /** null when the config disables JPEG. */
  jpegQuality: number | null;
  outputSize: [number, number];
}

/** Result of a degradation: the LQ image, the HQ it was made from, and what was drawn. */
export interface DegradationResult<P> {
  /** (1, 3, h, w) in [0, 1]. */
  lq: Tensor;
  /** The HQ target of the pair: the input, or its unsharp-masked version when `sharpen` is on. */
  hq: Tensor;
  params: P;
}

function checkImage(image: Tensor, what: string): [number, number] {
  if (image.shape.length !== 4 || image.shape[0] !== 1 || image.shape[1] !== 3) {
    throw new RangeError(`${what}: expected a (1, 3, H, W) image, got [${image.shape.join(', ')}]`);
  }
  return [image.shape[2], image.shape[3]];
}

const atLeastOne = (v: number): number => Math.max(1, v);

function drawResizeDirection(
  rng: Rng,
  order: RealEsrganOrderConfig,
): { direction: ResizeStepParams['direction']; scale: number } {
  const direction = (['up', 'down', 'keep'] as const)[chooseWeighted(rng, order.resizeProbs)];
  const scale =
    direction === 'up'
      ? uniformIn(rng, [1, order.resizeRange[1]])
      : direction === 'down'
        ? uniformIn(rng, [order.resizeRange[0], 1])
        : 1;
  return { direction, scale };
}

function drawNoise(rng: Rng, order: RealEsrganOrderConfig): NoiseStepParams {
  if (rng.uniform() < order.gaussianNoiseProb) {
    const sigma = uniformIn(rng, order.noiseRange);
    return { kind: 'gaussian', sigma, gray: rng.uniform() < order.grayNoiseProb };
  }
  const scale = uniformIn(rng, order.poissonScaleRange);
  return { kind: 'poisson', scale, gray: rng.uniform() < order.grayNoiseProb };
}

/**
 * Draws every parameter of one Real-ESRGAN degradation for an HQ of `height` x `width`.
 * Draw order: first kernel; second-blur coin and kernel; final sinc; first resize
 * (direction, scale, mode), noise, JPEG quality; second resize, noise; final branch, resize
 * mode, JPEG quality. Sizes follow the reference: first `floor(H s1)` (F.interpolate
 * scale_factor), second `trunc(H / scale * s2)`, final `floor(H / scale)`, each at least 1.
 */
export function drawRealEsrganParams(
  rng: Rng,
  config: RealEsrganConfig,
  height: number,
  width: number,
): RealEsrganDrawnParams {
  const { first, second, scale } = config;
  if (!(scale > 0)) throw new RangeError(`scale must be positive, got ${scale}`);
  const kernel1 = drawBlurKernelParams(rng, first.kernel);
  const kernel2 = rng.uniform() < second.blurProb ? drawBlurKernelParams(rng, second.kernel) : null;
  const sinc = drawFinalSincParams(rng, config.finalSincProb, config.finalSincSizes, config.finalSincOmegaRange);

  const r1 = drawResizeDirection(rng, first);
  const mode1 = chooseUniform(rng, first.resizeModes);
  const noise1 = drawNoise(rng, first);
  const jpeg1 = uniformIn(rng, first.jpegRange);

  const r2 = drawResizeDirection(rng, second);
  const mode2 = chooseUniform(rng, second.resizeModes);
  const noise2 = drawNoise(rng, second);

  const order = rng.uniform() < 0.5 ? 'resize-sinc-jpeg' : 'jpeg-resize-sinc';
  const finalMode = chooseUniform(rng, config.finalResizeModes);
  const jpeg2 = uniformIn(rng, second.jpegRange);

  return {
    pipeline: 'realesrgan',
    inputSize: [height, width],
    scale,
    sharpened: config.sharpen,
    first: {
      kernel: kernel1,
      resize: {
        ...r1,
        mode: mode1,
        height: atLeastOne(Math.floor(height * r1.scale)),
        width: atLeastOne(Math.floor(width * r1.scale)),
      },
      noise: noise1,
      jpegQuality: jpeg1,
    },
    second: {
      kernel: kernel2,
      resize: {
        ...r2,
        mode: mode2,
        height: atLeastOne(Math.trunc((height / scale) * r2.scale)),
        width: atLeastOne(Math.trunc((width / scale) * r2.scale)),
      },
      noise: noise2,
    },
    final: { order, resizeMode: finalMode, sinc, jpegQuality: jpeg2 },
    resizedBack: config.resizeBack,
    outputSize: config.resizeBack
      ? [height, width]
      : [atLeastOne(Math.floor(height / scale)), atLeastOne(Math.floor(width / scale))],
  };
}

function applyNoise(image: Tensor, noise: NoiseStepParams, rng: Rng): Tensor {
  return noise.kind === 'gaussian'
    ? addGaussianNoise(image, noise.sigma / 255, rng, { gray: noise.gray })
    : addPoissonNoise(image, noise.scale, rng, { gray: noise.gray });
}

function clampImage(image: Tensor): Tensor {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = image.data[i];
    out[i] = v < 0 ? 0 : Math.min(v, 1);
  }
  return { data: out, shape: [...image.shape] };
}

function resizeTo(image: Tensor, height: number, width: number, mode: DegradationResizeMode): Tensor {
  if (image.shape[2] === height && image.shape[3] === width) return image;
  return resize(image, height, width, { mode, antialias: false });
}

/**
 * Applies drawn Real-ESRGAN parameters to an HQ image; `rng` supplies only the noise
 * samples. With the same params and an Rng in the same state the output is identical.
 */
export function applyRealEsrganParams(
  image: Tensor,
  params: RealEsrganDrawnParams,
  config: RealEsrganConfig,
  rng: Rng,
): DegradationResult<RealEsrganDrawnParams> {
  const [h, w] = checkImage(image, 'applyRealEsrganParams');
  if (params.inputSize[0] !== h || params.inputSize[1] !== w) {
    throw new RangeError(`params were drawn for ${params.inputSize.join('x')}, image is ${h}x${w}`);
  }
  const padTo = config.kernelPadTo;
  const jpeg = { pad: config.jpegPad };
  const hq = params.sharpened ? unsharpMask(image, config.unsharp) : image;

  // First order: blur -> resize (scale_factor semantics) -> noise -> clamp -> JPEG.
  let out = filter2dReflect(hq, buildBlurKernel(params.first.kernel, padTo));
  const r1 = params.first.resize;
  if (r1.scale !== 1) {
    out =
      r1.height === Math.floor(h * r1.scale) && r1.width === Math.floor(w * r1.scale)
        ? resizeBy(out, r1.scale, { mode: r1.mode, antialias: false })
        : resizeTo(out, r1.height, r1.width, r1.mode);
  }
  out = applyNoise(out, params.first.noise, rng);
  out = jpegCompress(clampImage(out), params.first.jpegQuality, jpeg);

  // Second order: blur (maybe) -> resize relative to HQ / scale -> noise.
  if (params.second.kernel) out = filter2dReflect(out, buildBlurKernel(params.second.kernel, padTo));
  const r2 = params.second.resize;
  out = resizeTo(out, r2.height, r2.width, r2.mode);
  out = applyNoise(out, params.second.noise, rng);

  // Final: resize to HQ / scale + sinc, and JPEG, in the drawn order.
  const fh = atLeastOne(Math.floor(h / params.scale));
  const fw = atLeastOne(Math.floor(w / params.scale));
  const sincKernel = buildBlurKernel(params.final.sinc, padTo);
  const resizeAndSinc = (x: Tensor): Tensor =>
    filter2dReflect(resizeTo(x, fh, fw, params.final.resizeMode), sincKernel);
  if (params.final.order === 'resize-sinc-jpeg') {
    out = jpegCompress(clampImage(resizeAndSinc(out)), params.final.jpegQuality, jpeg);
  } else {
    out = resizeAndSinc(jpegCompress(clampImage(out), params.final.jpegQuality, jpeg));
  }

  // lq = clamp(round(255 x), 0, 255) / 255
  const lq = new Float32Array(out.data.length);
  for (let i = 0; i < lq.length; i++) lq[i] = quantize8bit(out.data[i]);
  let result: Tensor = { data: lq, shape: [...out.shape] };
  if (params.resizedBack) result = clampImage(resizeTo(result, h, w, 'bicubic'));
  return { lq: result, hq, params };
}

/**
 * The Real-ESRGAN second-order degradation of a (1, 3, H, W) HQ image in [0, 1]: draws all
 * parameters from `rng` (see {@link drawRealEsrganParams}), then the noise samples, and
 * applies them. Output (1, 3, floor(H / scale), floor(W / scale)) on the 8-bit grid.
 */
export function realEsrganDegradation(
  image: Tensor,
  config: RealEsrganConfig,
  rng: Rng,
): DegradationResult<RealEsrganDrawnParams> {
  const [h, w] = checkImage(image, 'realEsrganDegradation');
  const params = drawRealEsrganParams(rng, config, h, w);
  return applyRealEsrganParams(image, params, config, rng);
}

/**
 * Draws every parameter of one CodeFormer-style degradation. Draw order: kernel family,
 * sigma_x, (sigma_y, theta), (beta); downsampling factor; noise sigma; JPEG quality.
 * The downsampled size is `floor(W / factor)` like `cv2.resize(..., (int(w // s), int(h // s)))`.
 */
export function drawCodeformerParams(
  rng: Rng,
  config: CodeformerConfig,
  height: number,
  width: number,
): CodeformerDrawnParams {
  const type = config.kernelTypes[chooseWeighted(rng, config.kernelProbs)];
  const sigmaX = uniformIn(rng, config.blurSigma);
  const anisotropic = type === 'aniso' || type === 'generalized_aniso' || type === 'plateau_aniso';
  const sigmaY = anisotropic ? uniformIn(rng, config.blurSigma) : sigmaX;
  const theta = anisotropic ? uniformIn(rng, config.rotationRange) : 0;
  const kernel: BlurKernelParams = { type, size: config.kernelSize, sigmaX, sigmaY, theta };
  if (type === 'generalized_iso' || type === 'generalized_aniso')
    kernel.beta = drawKernelBeta(rng, config.betaGeneralized);
  if (type === 'plateau_iso' || type === 'plateau_aniso') kernel.beta = drawKernelBeta(rng, config.betaPlateau);

  const factor = uniformIn(rng, config.downsampleRange);
  const noise: NoiseStepParams | null = config.noiseRange
    ? { kind: 'gaussian', sigma: uniformIn(rng, config.noiseRange), gray: false }
    : null;
  const jpegQuality = config.jpegRange ? uniformIn(rng, config.jpegRange) : null;
  return {
    pipeline: 'codeformer',
    inputSize: [height, width],
    kernel,
    downsample: {
      factor,
      height: atLeastOne(Math.floor(height / factor)),
      width: atLeastOne(Math.floor(width / factor)),
      mode: config.resizeMode,
    },
    noise,
    jpegQuality,
    outputSize: [
      atLeastOne(Math.floor(height / config.outputScale)),
      atLeastOne(Math.floor(width / config.outputScale)),
    ],
  };
}

/** Applies drawn CodeFormer-style parameters; `rng` supplies only the noise samples. */
export function applyCodeformerParams(
  image: Tensor,
  params: CodeformerDrawnParams,
  config: CodeformerConfig,
  rng: Rng,
): DegradationResult<CodeformerDrawnParams> {
  const [h, w] = checkImage(image, 'applyCodeformerParams');
  if (params.inputSize[0] !== h || params.inputSize[1] !== w) {
    throw new RangeError(`params were drawn for ${params.inputSize.join('x')}, image is ${h}x${w}`);
  }
  let out = filter2dReflect(image, buildBlurKernel(params.kernel));
  const d = params.downsample;
  out = resizeTo(out, d.height, d.width, d.mode);
  if (params.noise) out = applyNoise(out, params.noise, rng);
  if (params.jpegQuality !== null) out = jpegCompress(clampImage(out), params.jpegQuality, { pad: config.jpegPad });
  out = resizeTo(out, params.outputSize[0], params.outputSize[1], d.mode);
  return { lq: out, hq: image, params };
}

/**
 * CodeFormer-style degradation of a (1, 3, H, W) HQ image in [0, 1]:
 * blur -> downsample by U[range] -> Gaussian noise -> JPEG -> resize to HQ / outputScale.
 */
export function codeformerDegradation(
  image: Tensor,
  config: CodeformerConfig,
  rng: Rng,
): DegradationResult<CodeformerDrawnParams> {
  const [h, w] = checkImage(image, 'codeformerDegradation');
  const params = drawCodeformerParams(rng, config, h, w);
  return applyCodeformerParams(image, params, config, rng);
}
