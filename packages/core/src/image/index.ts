export { rgbToGray, rgbToY, rgbToYCbCr, yCbCrToRgb } from './color-space';
export {
  type ImageToPixelsOptions,
  imageFromPixels,
  imageToPixels,
  mergeAlpha,
  type PixelBuffer,
  splitAlpha,
  toRgb,
} from './convert';
export { cropImage, type ImagePadding, type ImagePadMode, padImage, padToMultiple } from './pad';
export { type ResizeByOptions, type ResizeMode, type ResizeOptions, resize, resizeBy } from './resize';
export { type ImageDims, imageDims } from './shape';
