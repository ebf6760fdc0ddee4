export type { MetricInputOptions } from './luma-planes';
export { type PsnrOptions, psnr, psnrY } from './psnr';
export { type SsimOptions, ssim, ssimY } from './ssim';
