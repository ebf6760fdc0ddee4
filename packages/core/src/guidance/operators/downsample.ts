import type { Tensor } from '../../tensor/tensor';
import { blurOperator, gaussianBlurKernel } from './blur';
import { composeOperators } from './compose';
import { nchw } from './nchw';
import type { LinearOperator } from './types';

export interface SubsampleOptions {
  /** Sampling phase: out[i] = in[i f + offset], 0 <= offset < f. Default floor((f - 1) / 2), the block centre rounded down. */
  readonly offset?: number;
  /**
   * Full-resolution (height, width) the adjoint returns. Default (f h', f w') from the
   * measurement's size, which is exact whenever f divides the input sides.
   */
  readonly inputSize?: readonly [number, number];
}

const subsampledSize = (n: number, factor: number, offset: number) => Math.max(0, Math.ceil((n - offset) / factor));

/**
 * A = keep every f-th pixel in both axes: out[i, j] = in[i f + o, j f + o]. The adjoint
 * puts the values back on a zero grid (zero-upsampling).
 */
export function subsampleOperator(factor: number, options: SubsampleOptions = {}): LinearOperator {
  const offset = options.offset ?? Math.floor((factor - 1) / 2);
  if (!Number.isInteger(factor) || factor < 1 || !Number.isInteger(offset) || offset < 0 || offset >= factor) {
    throw new RangeError(
      `subsampleOperator: need an integer factor >= 1 and 0 <= offset < factor, got ${factor}, ${offset}`,
    );
  }
  return {
    apply(x) {
      const [b, c, h, w] = nchw(x.shape, 'subsampleOperator');
      const oh = subsampledSize(h, factor, offset);
      const ow = subsampledSize(w, factor, offset);
      const out = new Float32Array(b * c * oh * ow);
      for (let p = 0; p < b * c; p++) {
        for (let i = 0; i < oh; i++) {
          const row = (p * h + i * factor + offset) * w + offset;
          for (let j = 0; j < ow; j++) out[(p * oh + i) * ow + j] = x.data[row + j * factor];
        }
      }
      return { data: out, shape: [b, c, oh, ow] };
    },
    adjoint(y) {
      const [b, c, oh, ow] = nchw(y.shape, 'subsampleOperator adjoint');
      const [h, w] = options.inputSize ?? [oh * factor, ow * factor];
      if (oh !== subsampledSize(h, factor, offset) || ow !== subsampledSize(w, factor, offset)) {
        throw new RangeError(`subsampleOperator: adjoint input ${oh}x${ow} does not come from ${h}x${w}`);
      }
      const out = new Float32Array(b * c * h * w);
      for (let p = 0; p < b * c; p++) {
        for (let i = 0; i < oh; i++) {
          const row = (p * h + i * factor + offset) * w + offset;
          for (let j = 0; j < ow; j++) out[row + j * factor] = y.data[(p * oh + i) * ow + j];
        }
      }
      return { data: out, shape: [b, c, h, w] };
    },
    outputShape(shape) {
      const [b, c, h, w] = nchw(shape, 'subsampleOperator');
      return [b, c, subsampledSize(h, factor, offset), subsampledSize(w, factor, offset)];
    },
  };
}

/** Default anti-alias kernel for an integer downsampling factor: Gaussian with sigma = f / 2. */
export function antiAliasKernel(factor: number): Tensor {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`antiAliasKernel: bad factor ${factor}`);
  return factor === 1 ? { data: new Float32Array([1]), shape: [1, 1] } : gaussianBlurKernel(factor / 2);
}

export interface DownsampleOperatorOptions extends SubsampleOptions {
  /** Anti-alias kernel (odd sides). Default antiAliasKernel(factor). */
  readonly kernel?: Tensor;
}

/**
 * A = S_f K: anti-alias blur K (zero padding) then keep every f-th pixel. The adjoint is
 * K^T S_f^T: zero-upsample, then correlate with the flipped kernel.
 */
export function downsampleOperator(factor: number, options: DownsampleOperatorOptions = {}): LinearOperator {
  return composeOperators(subsampleOperator(factor, options), blurOperator(options.kernel ?? antiAliasKernel(factor)));
}

/** x f super-resolution degradation with the default anti-alias kernel (ADIR's SR operator). */
export function superResolutionOperator(factor: number, options: DownsampleOperatorOptions = {}): LinearOperator {
  return downsampleOperator(factor, options);
}
