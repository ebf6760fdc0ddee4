export { adainColourFix } from './adain';
export { type WaveletBands, type WaveletOptions, waveletBlur, waveletColourFix, waveletDecompose } from './wavelet';
