import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { makePair } from '../../degrade/make-pair';
import { type PlannedPair, planPairs } from '../../degrade/pair-plan';
import {
  defaultPairScale,
  PAIR_PRESET_ALIASES,
  PAIR_PRESETS,
  pairDegrader,
  resolvePairPreset,
} from '../../degrade/pair-presets';
import { ParamsLog } from '../../degrade/params-log';
import { type DecodedImage, readImage, writeImage } from '../../image-io';
import { numberFlag } from '../args';
import { type CliIo, type CommandContext, type CommandSpec, type FlagSpec, UsageError } from '../command';
import { expandInputs } from '../expand-inputs';
import { BatchProgress, formatDuration } from '../progress';

/** Degradation presets core provides (Real-ESRGAN second order, StableSR mild, CodeFormer). */
export const DEGRADE_PRESETS = PAIR_PRESETS;

const PRESET_NAMES = [...PAIR_PRESETS, ...Object.keys(PAIR_PRESET_ALIASES)];
const MAX_SEED = 0xffffffff;

export const DEGRADE_FLAGS = {
  output: {
    type: 'string',
    short: 'o',
    valueName: 'DIR',
    description: 'Pairs folder: receives hq/, lq/ and params.jsonl (required)',
  },
  preset: {
    type: 'string',
    valueName: 'NAME',
    description: `Degradation model: ${PAIR_PRESETS.join(', ')} ('mild' = stablesr-mild)`,
    default: 'realesrgan',
  },
  scale: {
    type: 'string',
    valueName: 'N',
    description: 'LQ = HQ / N, integer 1-16 (default 4 for realesrgan/stablesr-mild, 1 for codeformer*)',
  },
  crop: {
    type: 'string',
    valueName: 'N',
    description: 'HQ is a random N x N crop, N a multiple of the scale; 0 = the whole image',
    default: '512',
  },
  'per-image': { type: 'string', valueName: 'N', description: 'Pairs per input image', default: '1' },
  seed: { type: 'string', valueName: 'S', description: 'Random seed, integer 0-4294967295', default: '0' },
  'resize-back': {
    type: 'boolean',
    description: 'Resize the LQ back to the HQ size (for same-size restoration models)',
  },
  'no-sharpen': {
    type: 'boolean',
    description: 'HQ target is the plain crop, not unsharp-masked (realesrgan/stablesr-mild sharpen by default)',
  },
  overwrite: { type: 'boolean', description: 'Remake pairs whose files exist (default: skip them)' },
  'dry-run': { type: 'boolean', description: 'Print the pairs that would be made and stop' },
} as const satisfies Record<string, FlagSpec>;

/** The settings of one `degrade` run, from its flags. */
export interface DegradeSettings {
  readonly output: string;
  readonly preset: (typeof PAIR_PRESETS)[number];
  readonly scale: number;
  readonly crop: number;
  readonly perImage: number;
  readonly seed: number;
  readonly resizeBack: boolean;
  /** False with --no-sharpen; otherwise the preset's own choice. */
  readonly sharpen: boolean | undefined;
  readonly overwrite: boolean;
  readonly dryRun: boolean;
}

/** Validates the flags; every problem is a one-line UsageError. */
export function degradeSettings(flags: CommandContext['flags']): DegradeSettings {
  const output = flags.output;
  if (typeof output !== 'string' || output === '') throw new UsageError('missing -o/--output (the pairs folder)');
  const presetName = String(flags.preset ?? 'realesrgan');
  const preset = resolvePairPreset(presetName);
  if (!preset) throw new UsageError(`--preset must be one of ${PRESET_NAMES.join(', ')}, got '${presetName}'`);
  const scale = numberFlag(flags, 'scale', { integer: true, min: 1, max: 16 }) ?? defaultPairScale(preset);
  const crop = numberFlag(flags, 'crop', { integer: true, min: 0 }) ?? 512;
  if (crop > 0 && crop % scale !== 0) throw new UsageError(`--crop ${crop} must be a multiple of the scale ${scale}`);
  if (flags['no-sharpen'] === true && preset.startsWith('codeformer')) {
    throw new UsageError(`--no-sharpen is for the realesrgan and stablesr-mild presets; ${preset} never sharpens`);
  }
  return {
    output,
    preset,
    scale,
    crop,
    perImage: numberFlag(flags, 'per-image', { integer: true, min: 1, max: 100_000 }) ?? 1,
    seed: numberFlag(flags, 'seed', { integer: true, min: 0, max: MAX_SEED }) ?? 0,
    resizeBack: flags['resize-back'] === true,
    sharpen: flags['no-sharpen'] === true ? false : undefined,
    overwrite: flags.overwrite === true,
    dryRun: flags['dry-run'] === true,
  };
}

function rel(io: CliIo, p: string): string {
  const r = path.relative(io.cwd, p);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : p;
}

/** A path for params.jsonl: relative to the working folder, with '/' on every platform. */
function portable(from: string, p: string): string {
  return path.relative(from, p).split(path.sep).join('/');
}

function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\n\s*(- )?/g, '; ');
}

/** Groups pairs by source image, keeping their order, so each image is decoded once. */
function bySource(pairs: readonly PlannedPair[]): PlannedPair[][] {
  const groups = new Map<string, PlannedPair[]>();
  for (const p of pairs) {
    const g = groups.get(p.source);
    if (g) g.push(p);
    else groups.set(p.source, [p]);
  }
  return [...groups.values()];
}

function cropNote(s: DegradeSettings, img: DecodedImage): string | undefined {
  if (s.crop === 0 || (img.height >= s.crop && img.width >= s.crop)) return undefined;
  const side = (n: number) => (n >= s.crop ? s.crop : n - (n % s.scale));
  return `is ${img.width}x${img.height}, smaller than --crop ${s.crop}: using ${side(img.width)}x${side(img.height)}`;
}

/**
 * `diffrestore degrade`: makes `perImage` (LQ, HQ) pairs per input. Pair k of image `stem`
 * draws everything from `createRng(seed, fnv1a32('<stem>#<k>'))`, so a pair's bytes do not
 * depend on which other pairs ran; existing pairs are skipped, which makes a run resumable.
 */
export async function runDegrade(ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  const s = degradeSettings(ctx.flags);
  const outDir = path.resolve(io.cwd, s.output);
  const outStat = await stat(outDir).catch(() => undefined);
  if (outStat && !outStat.isDirectory()) throw new UsageError(`-o ${s.output} is an existing file, not a folder`);
  const inputs = await expandInputs(ctx.positionals, io.cwd);
  const pairs = await planPairs(inputs, outDir, s.perImage);
  const todo = s.overwrite ? pairs : pairs.filter((p) => p.existing !== 'both');
  const skipped = pairs.length - todo.length;

  if (s.dryRun) {
    const settings = `preset ${s.preset}, scale ${s.scale}, crop ${s.crop || 'whole image'}, seed ${s.seed}${s.resizeBack ? ', resize back' : ''}${s.sharpen === false ? ', no sharpening' : ''}`;
    io.stdout.write(`# ${pairs.length} pair(s) from ${inputs.length} image(s): ${settings}\n`);
    const doing = new Set(todo);
    for (const p of pairs) {
      const note = doing.has(p) ? (p.existing === 'none' ? '' : ' (exists, remade)') : ' (exists, skipped)';
      io.stdout.write(`${rel(io, p.source)} -> ${rel(io, p.hqPath)}, ${rel(io, p.lqPath)}${note}\n`);
    }
    return 0;
  }

  await mkdir(path.join(outDir, 'hq'), { recursive: true });
  await mkdir(path.join(outDir, 'lq'), { recursive: true });
  const log = await ParamsLog.open(path.join(outDir, 'params.jsonl'));
  const unlogged = pairs.filter((p) => p.existing === 'both' && !todo.includes(p) && !log.has(p.id)).length;
  if (unlogged > 0) {
    io.stderr.write(
      `warning: ${unlogged} existing pair(s) have no line in ${rel(io, log.file)}; --overwrite remakes them\n`,
    );
  }
  if (todo.length === 0) {
    io.stderr.write(`nothing to do: all ${pairs.length} pair(s) exist in ${rel(io, outDir)}\n`);
    return 0;
  }

  const degrade = pairDegrader({ preset: s.preset, scale: s.scale, resizeBack: s.resizeBack, sharpen: s.sharpen });
  const progress = new BatchProgress(io.stderr, todo.length);
  const complete = new Set(pairs.filter((p) => p.existing === 'both').map((p) => p.id));
  let index = 0;
  let made = 0;
  let failed = 0;
  let images = 0;
  for (const group of bySource(todo)) {
    if (ctx.signal.aborted) break;
    const source = rel(io, group[0].source);
    let decoded: DecodedImage | undefined;
    let readError: unknown;
    try {
      decoded = await readImage(group[0].source);
      const note = cropNote(s, decoded);
      if (note) progress.log(`warning: ${source} ${note}`);
      if (decoded.alpha) progress.log(`warning: ${source} has an alpha channel; pairs are RGB, it is dropped`);
      images++;
    } catch (e) {
      readError = e;
    }
    for (const pair of group) {
      if (ctx.signal.aborted) break;
      const started = performance.now();
      progress.begin(++index, `${source} #${pair.k}`);
      try {
        if (!decoded) throw readError;
        const { hq, lq, stream, crop, params } = makePair(decoded.image, { ...s, stem: pair.stem, k: pair.k, degrade });
        // The line goes first: an image on disk then always has its parameters.
        await log.append({
          id: pair.id,
          source: portable(io.cwd, pair.source),
          hq: portable(outDir, pair.hqPath),
          lq: portable(outDir, pair.lqPath),
          seed: s.seed,
          stream,
          crop,
          preset: s.preset,
          scale: s.scale,
          resizeBack: s.resizeBack,
          params,
        });
        complete.delete(pair.id);
        // A lone file of a pair is the remains of an interrupted run: it is replaced.
        const overwrite = s.overwrite || pair.existing === 'one';
        await writeImage(pair.hqPath, { image: hq, format: 'png', bitDepth: 8 }, { overwrite });
        await writeImage(pair.lqPath, { image: lq, format: 'png', bitDepth: 8 }, { overwrite });
        complete.add(pair.id);
        made++;
        const [, , lh, lw] = lq.shape;
        const [, , hh, hw] = hq.shape;
        progress.end(
          true,
          `${source} -> ${pair.id} (HQ ${hw}x${hh}, LQ ${lw}x${lh}, ${formatDuration(performance.now() - started)})`,
        );
      } catch (e) {
        if (ctx.signal.aborted) break;
        failed++;
        progress.end(false, `${source} (${pair.id}): ${errorLine(e)}`);
      }
    }
  }
  progress.finish();
  const order = pairs.map((p) => p.id);
  await log.compact(order, new Set(order.filter((id) => !complete.has(id))));

  const elapsed = progress.elapsedMs;
  const rate = made > 0 ? `, ${(made / (elapsed / 1000)).toFixed(2)} pairs/s` : '';
  const parts = [
    `degraded ${made} of ${todo.length} pair(s) from ${images} image(s) in ${formatDuration(elapsed)}${rate}`,
  ];
  if (failed > 0) parts.push(`${failed} failed`);
  if (skipped > 0) parts.push(`${skipped} skipped (exist)`);
  if (ctx.signal.aborted) parts.push('interrupted');
  io.stderr.write(`${parts.join(', ')} -> ${rel(io, outDir)}\n`);
  if (ctx.signal.aborted) return 130;
  return failed > 0 ? 1 : 0;
}

export const degradeCommand: CommandSpec = {
  name: 'degrade',
  summary: 'Synthesize (LQ, HQ) training pairs with the Real-ESRGAN or CodeFormer degradation model',
  usage: '<inputs...>',
  minPositionals: 1,
  flags: DEGRADE_FLAGS,
  details: [
    'Inputs are HQ image files, folders (their image files, not recursive) and quoted globs.',
    'Writes <out>/hq/<stem>_<k>.png, <out>/lq/<stem>_<k>.png (k = 0..N-1) and <out>/params.jsonl',
    '(one JSON line per pair: id, source, seed, stream, crop, preset, scale, drawn params).',
    'Pair k of <stem> uses its own random stream, so results do not depend on the order or on',
    'which pairs already exist: pairs whose two files exist are skipped, and rerunning resumes.',
  ].join('\n'),
  run: runDegrade,
};
