import type { ModelSession } from '../runtime/types';
import { map } from '../tensor/ops';
import type { Tensor } from '../tensor/tensor';
import { runTiled } from '../tiling/pixel-tiles';
import type { AbortSignalLike } from '../util/abort';

export interface VaeCodec {
  /** RGB [0,1] -> latent scaled by the scaling factor (posterior mean, diffbir-inference.md §4). */
  encode(image: Tensor): Promise<Tensor>;
  /** Scaled latent -> RGB [0,1] (clamped). */
  decode(latent: Tensor): Promise<Tensor>;
  /** Same maps on the model's native ranges: image in [-1,1] <-> scaled latent. */
  encodeSigned(image: Tensor): Promise<Tensor>;
  decodeSigned(latent: Tensor): Promise<Tensor>;
}

export interface VaeCodecOptions {
  readonly scalingFactor: number;
  readonly downscale: number;
  /** Pixel tile and stride; images larger than one tile are processed tile by tile. */
  readonly tile?: { readonly size: number; readonly stride: number };
  readonly signal?: AbortSignalLike;
  readonly onTile?: (stage: 'encode' | 'decode', index: number, count: number) => void;
}

async function runOne(session: ModelSession, input: string, output: string, x: Tensor, signal?: AbortSignalLike) {
  const out = await session.run({ [input]: x }, { signal });
  const result = out[output];
  if (!result) throw new Error(`VAE graph produced no output named '${output}'`);
  return result;
}

/**
 * The bundle's VAE as encode/decode functions. Tiled encode/decode blends overlapping
 * tiles (the documented approximation of the reference's GroupNorm-synchronised tiling).
 */
export function createVaeCodec(encoder: ModelSession, decoder: ModelSession, options: VaeCodecOptions): VaeCodec {
  const { scalingFactor: s, downscale, tile, signal, onTile } = options;
  const encodeSigned = async (image: Tensor): Promise<Tensor> => {
    const run = (t: Tensor) => runOne(encoder, 'image', 'mean', t, signal);
    const big = tile && (image.shape[2] > tile.size || image.shape[3] > tile.size);
    const mean = big
      ? await runTiled(image, run, {
          tile: tile.size,
          stride: tile.stride,
          scale: 1 / downscale,
          weights: 'gaussian',
          signal,
          onTile: onTile ? (p) => onTile('encode', p.index, p.count) : undefined,
        })
      : await run(image);
    return map(mean, (v) => v * s);
  };
  const decodeSigned = async (latent: Tensor): Promise<Tensor> => {
    const z = map(latent, (v) => v / s);
    const run = (t: Tensor) => runOne(decoder, 'latent', 'image', t, signal);
    const latentTile = tile ? Math.max(1, Math.round(tile.size / downscale)) : 0;
    const big = tile && (z.shape[2] > latentTile || z.shape[3] > latentTile);
    return big
      ? runTiled(z, run, {
          tile: latentTile,
          stride: Math.max(1, Math.round(tile.stride / downscale)),
          scale: downscale,
          weights: 'gaussian',
          signal,
          onTile: onTile ? (p) => onTile('decode', p.index, p.count) : undefined,
        })
      : run(z);
  };
  return {
    encodeSigned,
    decodeSigned,
    encode: (image) => encodeSigned(map(image, (v) => 2 * v - 1)),
    decode: async (latent) => map(await decodeSigned(latent), (v) => Math.min(1, Math.max(0, (v + 1) / 2))),
  };
}
