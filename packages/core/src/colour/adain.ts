import { imageDims } from '../image/shape';
import type { Tensor } from '../tensor/tensor';

/** Per-(image, channel) mean and sqrt(unbiased variance + eps), in float64. */
function channelStats(t: Tensor, eps: number): { mean: Float64Array; std: Float64Array } {
  const { n, c, h, w } = imageDims(t, 'adainColourFix input');
  const hw = h * w;
  if (hw < 2) throw new RangeError('adainColourFix: need at least two pixels per channel');
  const mean = new Float64Array(n * c);
  const std = new Float64Array(n * c);
  for (let p = 0; p < n * c; p++) {
    const plane = t.data.subarray(p * hw, (p + 1) * hw);
    let s = 0;
    for (let i = 0; i < hw; i++) s += plane[i];
    const m = s / hw;
    let ss = 0;
    for (let i = 0; i < hw; i++) {
      const d = plane[i] - m;
      ss += d * d;
    }
    mean[p] = m;
    std[p] = Math.sqrt(ss / (hw - 1) + eps);
  }
  return { mean, std };
}

/**
 * AdaIN colour fix (diffbir-inference.md section 8): each channel of each image is shifted and
 * scaled to the reference's mean and standard deviation. The reference may have another
 * spatial size (only its statistics are used) but the same batch and channel count.
 */
export function adainColourFix(image: Tensor, reference: Tensor): Tensor {
  const eps = 1e-5;
  const { n, c, h, w } = imageDims(image, 'adainColourFix image');
  const r = imageDims(reference, 'adainColourFix reference');
  if (r.n !== n || r.c !== c) {
    throw new RangeError(
      `adainColourFix: reference [${reference.shape.join(', ')}] has another batch or channel count`,
    );
  }
  const src = channelStats(image, eps);
  const ref = channelStats(reference, eps);
  const hw = h * w;
  const out = new Float32Array(image.data.length);
  for (let p = 0; p < n * c; p++) {
    // (x - mu_x) / sigma_x * sigma_ref + mu_ref, sigma = sqrt(unbiased var + 1e-5)
    const gain = ref.std[p] / src.std[p];
    const mx = src.mean[p];
    const mr = ref.mean[p];
    for (let i = p * hw; i < (p + 1) * hw; i++) out[i] = (image.data[i] - mx) * gain + mr;
  }
  return { data: out, shape: [...image.shape] };
}
