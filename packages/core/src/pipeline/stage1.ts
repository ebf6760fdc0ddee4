import { cropImage, padToMultiple } from '../image/pad';
import { resize } from '../image/resize';
import type { Tensor } from '../tensor/tensor';
import { runTiled } from '../tiling/pixel-tiles';
import type { AbortSignalLike } from '../util/abort';
import type { Cleaner } from './cleaner';
import type { CleanerPath } from './model';

export interface Stage1Plan {
  /** Size of the stage-1 output (and of the stage-2 working image). */
  readonly height: number;
  readonly width: number;
}

/**
 * Target size of stage 1: input x upscale, then raised so the short side is at least
 * `minShortSide` (diffbir-inference.md §3), aspect ratio kept.
 */
export function planStage1(height: number, width: number, upscale: number, minShortSide: number): Stage1Plan {
  if (!(upscale > 0)) throw new RangeError(`upscale must be positive, got ${upscale}`);
  let h = Math.round(height * upscale);
  let w = Math.round(width * upscale);
  const short = Math.min(h, w);
  if (short < minShortSide) {
    const f = minShortSide / short;
    h = Math.max(minShortSide, Math.round(h * f));
    w = Math.max(minShortSide, Math.round(w * f));
  }
  return { height: h, width: w };
}

export interface CleanerRun {
  readonly cleaner: Cleaner;
  readonly path: CleanerPath;
  /** Output / input size of the cleaner. */
  readonly scale: number;
  readonly sizeMultiple: number;
  readonly tile?: { readonly size: number; readonly stride: number };
}

function resizeTo(image: Tensor, height: number, width: number): Tensor {
  if (image.shape[2] === height && image.shape[3] === width) return image;
  // The reference resizes with antialiased bicubic (diffbir-inference.md §3), up or down.
  return resize(image, height, width, { mode: 'bicubic', antialias: true });
}

async function applyCleaner(
  image: Tensor,
  run: CleanerRun,
  signal: AbortSignalLike | undefined,
  onTile?: (index: number, count: number) => void,
): Promise<Tensor> {
  const [, , h, w] = image.shape;
  const { image: padded } = padToMultiple(image, run.sizeMultiple, 'zero');
  const tile = run.tile;
  const cleaned =
    tile && (padded.shape[2] > tile.size || padded.shape[3] > tile.size)
      ? await runTiled(padded, (t) => run.cleaner(t, { signal }), {
          tile: tile.size,
          stride: tile.stride,
          scale: run.scale,
          weights: 'gaussian',
          signal,
          onTile: onTile ? (p) => onTile(p.index, p.count) : undefined,
        })
      : await run.cleaner(padded, { signal });
  return cropImage(cleaned, 0, 0, h * run.scale, w * run.scale);
}

/** Stage 1 of diffbir-inference.md §3: resize and clean in the order the cleaner needs. */
export async function runStage1(
  image: Tensor,
  plan: Stage1Plan,
  run: CleanerRun | undefined,
  options: { signal?: AbortSignalLike; onTile?: (index: number, count: number) => void } = {},
): Promise<Tensor> {
  if (!run) return resizeTo(image, plan.height, plan.width);
  if (run.path === 'resize-then-clean') {
    const resized = resizeTo(image, Math.round(plan.height / run.scale), Math.round(plan.width / run.scale));
    return resizeTo(await applyCleaner(resized, run, options.signal, options.onTile), plan.height, plan.width);
  }
  const cleaned = await applyCleaner(image, run, options.signal, options.onTile);
  return resizeTo(cleaned, plan.height, plan.width);
}
