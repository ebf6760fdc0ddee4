import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatFromPath, type ImageFormat } from '../image-io';
import { UsageError } from './command';

export interface PlannedOutput {
  readonly input: string;
  readonly output: string;
  readonly format: ImageFormat;
}

export interface PlanOptions {
  /** The -o argument: a file for a single input, else a folder (created when missing). */
  readonly output: string;
  readonly cwd: string;
  /** Output format; default: the input's own when writable, else PNG. */
  readonly format?: ImageFormat;
  /** Appended to the input's base name in a folder, e.g. '_restored'. Default ''. */
  readonly suffix?: string;
  readonly overwrite?: boolean;
  /** Leave inputs whose output already exists out of the plan instead of failing. */
  readonly skipExisting?: boolean;
}

export interface OutputPlan {
  readonly items: PlannedOutput[];
  /** Inputs left out by skipExisting. */
  readonly skipped: PlannedOutput[];
  /** The output folder, when -o names one (it may not exist yet). */
  readonly folder?: string;
}

/** Refusal to replace existing outputs (runtime failure, exit code 1). */
export class ExistingOutputsError extends Error {
  override readonly name = 'ExistingOutputsError';
}

const EXT: Record<ImageFormat, string> = { png: '.png', jpeg: '.jpg', webp: '.webp', tiff: '.tif' };

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Decides where each input's result goes: `-o` is a file path for one input (unless it is
 * an existing folder, ends with a separator or has no image extension), otherwise a folder
 * receiving `<name><suffix>.<ext>` per input. Never plans to replace an input or an
 * existing file (unless overwrite), nor two inputs onto one output.
 */
export async function planOutputs(inputs: readonly string[], options: PlanOptions): Promise<OutputPlan> {
  if (inputs.length === 0) throw new UsageError('no inputs');
  const out = path.resolve(options.cwd, options.output);
  const outStat = await stat(out).catch(() => undefined);
  const trailingSep = /[\\/]$/.test(options.output);
  const outFormat = formatFromPath(out);
  const toFolder = inputs.length > 1 || outStat?.isDirectory() || trailingSep || !outFormat;
  if (toFolder && outStat && !outStat.isDirectory()) {
    throw new UsageError(`-o ${options.output} is an existing file; with ${inputs.length} inputs it must be a folder`);
  }
  if (inputs.length > 1 && !outStat && outFormat && !trailingSep) {
    throw new UsageError(`with ${inputs.length} inputs, -o must be a folder, not the file name ${options.output}`);
  }

  let items: PlannedOutput[];
  if (!toFolder) {
    if (options.format && options.format !== outFormat) {
      throw new UsageError(`--format ${options.format} does not match the extension of -o ${options.output}`);
    }
    items = [{ input: inputs[0], output: out, format: outFormat! }];
  } else {
    items = inputs.map((input) => {
      const format = options.format ?? formatFromPath(input) ?? 'png';
      const ownExt = path.extname(input);
      const ext = !options.format && formatFromPath(input) ? ownExt : EXT[format];
      const name = `${path.basename(input, ownExt)}${options.suffix ?? ''}${ext}`;
      return { input, output: path.join(out, name), format };
    });
  }

  const byOutput = new Map<string, string>();
  for (const it of items) {
    if (path.resolve(it.output) === path.resolve(it.input)) {
      throw new UsageError(
        `the output for ${it.input} would replace the input itself; choose another -o or a --suffix`,
      );
    }
    const key = process.platform === 'win32' || process.platform === 'darwin' ? it.output.toLowerCase() : it.output;
    const other = byOutput.get(key);
    if (other) throw new UsageError(`inputs ${other} and ${it.input} would both be written to ${it.output}`);
    byOutput.set(key, it.input);
  }

  const skipped: PlannedOutput[] = [];
  if (!options.overwrite) {
    const existing: PlannedOutput[] = [];
    for (const it of items) if (await exists(it.output)) existing.push(it);
    if (existing.length > 0 && options.skipExisting) {
      const drop = new Set(existing);
      items = items.filter((it) => !drop.has(it));
      skipped.push(...existing);
    } else if (existing.length > 0) {
      const first = existing.slice(0, 3).map((e) => e.output);
      const more = existing.length > 3 ? `, and ${existing.length - 3} more` : '';
      throw new ExistingOutputsError(
        `refusing to overwrite ${existing.length} existing file(s): ${first.join(', ')}${more} (pass --overwrite, or --skip-existing)`,
      );
    }
  }
  return { items, skipped, ...(toFolder ? { folder: out } : {}) };
}
