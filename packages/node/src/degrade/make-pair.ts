import { createRng, type Tensor } from '@diffrestore/core';
import { cropTensor, drawPairCrop, type PairCrop } from './pair-crop';
import type { PairDegrader } from './pair-presets';
import { pairStream } from './pair-stream';

export interface MakePairOptions {
  readonly seed: number;
  readonly stem: string;
  readonly k: number;
  /** Square HQ crop side; 0 = the whole image. */
  readonly crop: number;
  /** HQ sides are made multiples of this, so LQ = HQ / scale exactly. */
  readonly scale: number;
  readonly degrade: PairDegrader;
}

export interface MadePair {
  /** The HQ target: the crop, unsharp-masked when the preset sharpens. */
  readonly hq: Tensor;
  readonly lq: Tensor;
  readonly stream: number;
  readonly crop: PairCrop;
  /** What the pipeline drew (plain JSON). */
  readonly params: unknown;
}

/**
 * Makes pair `k` of one decoded image. One generator, `createRng(seed, pairStream(stem, k))`,
 * draws the crop offsets and then everything the pipeline draws, so the pair depends only on
 * (image, seed, stem, k, settings).
 */
export function makePair(image: Tensor, options: MakePairOptions): MadePair {
  const stream = pairStream(options.stem, options.k);
  const rng = createRng(options.seed, stream);
  const [, , height, width] = image.shape;
  const crop = drawPairCrop(rng, height, width, options.crop, options.scale);
  const { hq, lq, params } = options.degrade(cropTensor(image, crop), rng);
  return { hq, lq, stream, crop, params };
}
