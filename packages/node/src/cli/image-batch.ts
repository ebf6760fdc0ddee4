import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Tensor } from '@diffrestore/core';
import { type DecodedImage, type ImageFormat, readImage, writeImage } from '../image-io';
import { choiceFlag, numberFlag } from './args';
import { type CliIo, type CommandContext, type FlagSpec, UsageError } from './command';
import { expandInputs } from './expand-inputs';
import { planOutputs } from './output-plan';
import { BatchProgress, formatDuration } from './progress';

/** The output flags every image command shares (wired). */
export const IMAGE_OUTPUT_FLAGS = {
  output: {
    type: 'string',
    short: 'o',
    valueName: 'PATH',
    description: 'Output file (one input) or folder (required)',
  },
  format: {
    type: 'string',
    valueName: 'FMT',
    description: "Output format: png, jpeg, webp or tiff (default: the input's)",
  },
  'bit-depth': {
    type: 'string',
    valueName: '8|16',
    description: "Bits per channel (default: the input's where the format allows)",
  },
  suffix: {
    type: 'string',
    valueName: 'TEXT',
    description: "Added to each output file name in a folder, e.g. '_restored'",
  },
  overwrite: { type: 'boolean', description: 'Replace existing output files' },
  'skip-existing': { type: 'boolean', description: 'Leave out inputs whose output file exists' },
  'dry-run': { type: 'boolean', description: 'Print the input -> output plan and stop' },
} as const satisfies Record<string, FlagSpec>;

export interface ProcessContext {
  readonly signal: AbortSignal;
  /** Progress inside this image, 0..1, with a short note ('step 12/50'). */
  onProgress(fraction: number, detail?: string): void;
}

/** Turns one decoded image into the image to write (alpha and gray are handled around it). */
export type ImageProcessor = (input: DecodedImage, ctx: ProcessContext) => Promise<{ image: Tensor; alpha?: Tensor }>;

export interface ImageBatch {
  /** Past tense for the summary: 'restored', 'degraded'. */
  readonly verb: string;
  /** Loads models etc. once, after the plan is known and before the first image. */
  prepare(ctx: CommandContext): Promise<ImageProcessor>;
}

const FORMATS: readonly ImageFormat[] = ['png', 'jpeg', 'webp', 'tiff'];

function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\n\s*(- )?/g, '; ');
}

function rel(io: CliIo, p: string): string {
  const r = path.relative(io.cwd, p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

/**
 * Runs an image command: expands inputs, plans outputs, prepares the processor, then reads,
 * processes and atomically writes each image with progress on stderr, and prints a summary.
 * A failed image does not stop the others. Returns 0, 1 (some failed) or 130 (interrupted).
 */
export async function runImageBatch(ctx: CommandContext, batch: ImageBatch): Promise<number> {
  const { flags, io } = ctx;
  const output = flags.output;
  if (typeof output !== 'string' || output === '') {
    throw new UsageError('missing -o/--output (a file for one input, else a folder)');
  }
  const format = choiceFlag(flags, 'format', FORMATS);
  const bitDepth = numberFlag(flags, 'bit-depth', { integer: true }) as 8 | 16 | undefined;
  if (bitDepth !== undefined && bitDepth !== 8 && bitDepth !== 16) {
    throw new UsageError(`--bit-depth must be 8 or 16, got ${bitDepth}`);
  }
  const inputs = await expandInputs(ctx.positionals, io.cwd);
  const plan = await planOutputs(inputs, {
    output,
    cwd: io.cwd,
    format,
    suffix: flags.suffix as string | undefined,
    overwrite: flags.overwrite === true,
    skipExisting: flags['skip-existing'] === true,
  });
  if (flags['dry-run']) {
    for (const it of plan.items) io.stdout.write(`${rel(io, it.input)} -> ${rel(io, it.output)}\n`);
    for (const it of plan.skipped) io.stdout.write(`${rel(io, it.input)} -> ${rel(io, it.output)} (exists, skipped)\n`);
    return 0;
  }
  if (plan.items.length === 0) {
    io.stderr.write(`nothing to do: all ${plan.skipped.length} output(s) exist\n`);
    return 0;
  }
  const processImage = await batch.prepare(ctx);
  if (plan.folder) await mkdir(plan.folder, { recursive: true });

  const progress = new BatchProgress(io.stderr, plan.items.length);
  let ok = 0;
  let failed = 0;
  let warnedAlpha = false;
  for (const [i, it] of plan.items.entries()) {
    if (ctx.signal.aborted) break;
    const started = performance.now();
    progress.begin(i + 1, rel(io, it.input));
    try {
      const decoded = await readImage(it.input);
      const result = await processImage(decoded, { signal: ctx.signal, onProgress: (f, d) => progress.update(f, d) });
      const sixteenOk = it.format === 'png' || it.format === 'tiff';
      const depth = bitDepth ?? (decoded.bitDepth === 16 && sixteenOk ? 16 : 8);
      let alpha = result.alpha;
      if (alpha && it.format === 'jpeg') {
        alpha = undefined;
        if (!warnedAlpha) progress.log('warning: JPEG has no alpha channel; transparency is dropped');
        warnedAlpha = true;
      }
      await mkdir(path.dirname(it.output), { recursive: true });
      await writeImage(
        it.output,
        { image: result.image, alpha, bitDepth: depth, format: it.format, grayscale: decoded.grayscale },
        { overwrite: flags.overwrite === true },
      );
      ok++;
      progress.end(
        true,
        `${rel(io, it.input)} -> ${rel(io, it.output)} (${formatDuration(performance.now() - started)})`,
      );
    } catch (e) {
      if (ctx.signal.aborted) break;
      failed++;
      progress.end(false, `${rel(io, it.input)}: ${errorLine(e)}`);
    }
  }
  progress.finish();
  const interrupted = ctx.signal.aborted;
  const parts = [`${batch.verb} ${ok} of ${plan.items.length} image(s) in ${formatDuration(progress.elapsedMs)}`];
  if (failed > 0) parts.push(`${failed} failed`);
  if (plan.skipped.length > 0) parts.push(`${plan.skipped.length} skipped (exist)`);
  if (interrupted) parts.push('interrupted');
  const where = plan.folder ? ` -> ${rel(io, plan.folder)}` : '';
  io.stderr.write(`${parts.join(', ')}${where}\n`);
  if (interrupted) return 130;
  return failed > 0 ? 1 : 0;
}
