export { besselJ1 } from './bessel';
export {
  CODEFORMER_DEFAULTS,
  CODEFORMER_FACE_DEFAULTS,
  type CodeformerConfig,
  type DegradationResizeMode,
  REALESRGAN_DEFAULTS,
  type RealEsrganConfig,
  type RealEsrganOrderConfig,
  STABLESR_MILD,
} from './config';
export { filter2dReflect, filterSeparableReflect, reflectIndex } from './filter';
export {
  JPEG_CHROMA_TABLE,
  JPEG_LUMA_TABLE,
  type JpegOptions,
  jpegCompress,
  jpegQualityFactor,
  scaledJpegTable,
} from './jpeg';
export {
  type BlurKernel,
  gaussianKernel,
  generalizedGaussianKernel,
  type KernelShape,
  padKernel,
  plateauKernel,
  pulseKernel,
  separableFactors,
  sincKernel,
  sincKernelValue,
  trimKernel,
} from './kernels';
export { addGaussianNoise, addPoissonNoise, GRAY_NOISE_LUMA, type NoiseOptions } from './noise';
export {
  applyCodeformerParams,
  applyRealEsrganParams,
  type CodeformerDrawnParams,
  codeformerDegradation,
  type DegradationResult,
  drawCodeformerParams,
  drawRealEsrganParams,
  type NoiseStepParams,
  type RealEsrganDrawnParams,
  type ResizeStepParams,
  realEsrganDegradation,
} from './pipelines';
export { POISSON_INVERSION_LIMIT, type PoissonSampler, poissonSampler, samplePoisson } from './poisson';
export {
  type BlurKernelDistribution,
  type BlurKernelParams,
  type BlurKernelType,
  buildBlurKernel,
  drawBlurKernelParams,
  drawFinalSincParams,
  drawKernelBeta,
  SINC_WIDE_CUTOFF_FROM_SIZE,
} from './random-kernels';
export { opencvGaussianWindow, type UnsharpOptions, unsharpMask } from './unsharp';
