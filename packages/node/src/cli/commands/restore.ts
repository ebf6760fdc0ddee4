import {
  type GuidanceChoice,
  REFERENCE_SAMPLER_NAMES,
  type RestoreOptions,
  SAMPLER_NAMES,
  type SamplerKind,
  type SamplerSpec,
  samplerFromReferenceName,
} from '@diffrestore/core';
import { defaultBundleLocation } from '../../bundle';
import { createRestorer } from '../../restore';
import { choiceFlag, numberFlag } from '../args';
import { type CommandContext, type CommandSpec, type FlagSpec, type FlagValues, UsageError } from '../command';
import { IMAGE_OUTPUT_FLAGS, type ImageBatch, runImageBatch } from '../image-batch';

const GUIDANCE_KINDS = ['region-adaptive', 'region-adaptive-pixel', 'latent-mse'] as const;
const COLOUR_FIXES = ['wavelet', 'adain', 'none'] as const;
const CLEANERS = ['bundle', 'none'] as const;

/** Model and sampling flags of `restore`; defaults come from the bundle's manifest. */
export const RESTORE_FLAGS = {
  bundle: {
    type: 'string',
    short: 'b',
    valueName: 'PATH|URL',
    description: 'Model bundle folder or URL (default: $DIFFRESTORE_BUNDLE or the installed default bundle)',
  },
  'cache-dir': { type: 'string', valueName: 'DIR', description: 'Download cache (default ~/.cache/diffrestore)' },
  upscale: { type: 'string', valueName: 'X', description: 'Upscaling factor (default 1)' },
  steps: { type: 'string', valueName: 'N', description: 'Sampling steps (default: the bundle’s)' },
  sampler: {
    type: 'string',
    valueName: 'NAME',
    description: `Sampler: ${SAMPLER_NAMES.join(', ')} or a DiffBIR name such as edm_dpm++_3m_sde (default: the bundle’s)`,
  },
  cfg: {
    type: 'string',
    valueName: 'X',
    description: 'Classifier-free guidance scale (1 = off; default: the bundle’s)',
  },
  'cfg-rescale': { type: 'boolean', description: 'Ramp the CFG scale with the timestep (cosine schedule)' },
  prompt: {
    type: 'string',
    valueName: 'TEXT',
    description: 'Positive prompt (needs a bundle with a text encoder; default: the bundle’s precomputed one)',
  },
  'negative-prompt': { type: 'string', valueName: 'TEXT', description: 'Negative prompt (as --prompt)' },
  'control-scale': {
    type: 'string',
    valueName: 'X',
    description: 'Strength of the IRControlNet condition (default 1)',
  },
  cleaner: { type: 'string', valueName: 'KIND', description: `Stage 1: ${CLEANERS.join(', ')} (default bundle)` },
  guidance: {
    type: 'string',
    valueName: 'X',
    description:
      "Fidelity guidance scale (0 = off; default: the bundle's, else off; more = closer to the stage-1 output)",
  },
  'guidance-kind': {
    type: 'string',
    valueName: 'KIND',
    description: `${GUIDANCE_KINDS.join(', ')} (default region-adaptive, in latent space)`,
  },
  'guidance-start': { type: 'string', valueName: 'T', description: 'Guide while t + 1 < T (default: every step)' },
  'guidance-stop': { type: 'string', valueName: 'T', description: 'Guide while t + 1 > T (default -1)' },
  'guidance-uncapped': {
    type: 'boolean',
    description:
      "Latent-space guidance: the reference's unbounded step, which can overshoot the stage-1 latent at large scales",
  },
  'noise-aug': { type: 'string', valueName: 'T', description: 'Noise the condition latent to timestep T (default 0)' },
  'colour-fix': { type: 'string', valueName: 'KIND', description: `${COLOUR_FIXES.join(', ')} (default wavelet)` },
  tile: {
    type: 'string',
    valueName: 'N',
    description: 'Latent tile size for large images (default 64; 0 = never tile)',
  },
  'tile-stride': { type: 'string', valueName: 'N', description: 'Latent tile stride (default half the tile)' },
  'min-short-side': {
    type: 'string',
    valueName: 'PX',
    description: 'Raise the stage-1 short side to at least this (default: the bundle’s, 512 for SD)',
  },
  seed: { type: 'string', valueName: 'N', description: 'Random seed (default 231)' },
  providers: { type: 'string', valueName: 'LIST', description: "Execution providers, e.g. 'cuda,cpu' (default cpu)" },
  threads: { type: 'string', valueName: 'N', description: 'Threads per operator (default: onnxruntime’s)' },
} as const satisfies Record<string, FlagSpec>;

function samplerFlag(flags: FlagValues): SamplerSpec | undefined {
  const raw = flags.sampler;
  if (raw === undefined) return undefined;
  const name = String(raw);
  if ((SAMPLER_NAMES as readonly string[]).includes(name)) return { kind: name as SamplerKind } as SamplerSpec;
  if (Object.hasOwn(REFERENCE_SAMPLER_NAMES, name)) return samplerFromReferenceName(name);
  throw new UsageError(
    `--sampler must be one of ${SAMPLER_NAMES.join(', ')} or ${Object.keys(REFERENCE_SAMPLER_NAMES).join(', ')}; got '${name}'`,
  );
}

/** Turns the command line into pipeline options; throws UsageError on a bad value (exit 2). */
export function restoreOptionsFromFlags(flags: FlagValues): RestoreOptions {
  const guidanceScale = numberFlag(flags, 'guidance', { min: 0 });
  const kind = choiceFlag(flags, 'guidance-kind', GUIDANCE_KINDS) ?? 'region-adaptive';
  const start = numberFlag(flags, 'guidance-start');
  const stop = numberFlag(flags, 'guidance-stop');
  const uncapped = flags['guidance-uncapped'] === true;
  if (
    guidanceScale === undefined &&
    (flags['guidance-kind'] !== undefined || start !== undefined || stop !== undefined || uncapped)
  ) {
    throw new UsageError(
      '--guidance-kind, --guidance-start, --guidance-stop and --guidance-uncapped need --guidance X (the scale)',
    );
  }
  if (uncapped && kind === 'region-adaptive-pixel') {
    throw new UsageError('--guidance-uncapped applies to the latent-space kinds only (region-adaptive, latent-mse)');
  }
  // No --guidance: the bundle's default (its manifest's guidanceScale, else none).
  let guidance: GuidanceChoice | undefined = guidanceScale === 0 ? { kind: 'none' } : undefined;
  if (guidanceScale !== undefined && guidanceScale > 0) {
    guidance =
      kind === 'latent-mse'
        ? { kind, scale: guidanceScale, start, stop, ...(uncapped ? { clampAtTarget: false } : {}) }
        : {
            kind: 'region-adaptive',
            space: kind === 'region-adaptive-pixel' ? 'pixel' : 'latent',
            scale: guidanceScale,
            start,
            stop,
            ...(uncapped ? { clampAtTarget: false } : {}),
          };
  }
  const tile = numberFlag(flags, 'tile', { integer: true, min: 0 });
  const tileStride = numberFlag(flags, 'tile-stride', { integer: true, min: 1 });
  if (tile !== undefined && tileStride !== undefined && tile > 0 && tileStride > tile) {
    throw new UsageError(`--tile-stride (${tileStride}) must not exceed --tile (${tile})`);
  }
  const cleaner = choiceFlag(flags, 'cleaner', CLEANERS);
  return {
    upscale: numberFlag(flags, 'upscale', { min: 0.25, max: 16 }),
    steps: numberFlag(flags, 'steps', { integer: true, min: 1, max: 1000 }),
    sampler: samplerFlag(flags),
    cfgScale: numberFlag(flags, 'cfg', { min: 0 }),
    cfgRescale: flags['cfg-rescale'] === true,
    positivePrompt: typeof flags.prompt === 'string' ? flags.prompt : undefined,
    negativePrompt: typeof flags['negative-prompt'] === 'string' ? flags['negative-prompt'] : undefined,
    controlStrength: numberFlag(flags, 'control-scale', { min: 0 }),
    cleaner: cleaner ? { kind: cleaner } : undefined,
    guidance,
    noiseAugmentation: numberFlag(flags, 'noise-aug', { integer: true, min: 0, max: 999 }),
    colourFix: choiceFlag(flags, 'colour-fix', COLOUR_FIXES),
    tiling:
      tile === 0
        ? false
        : { latentTile: tile, latentStride: tileStride ?? (tile !== undefined ? tile / 2 : undefined) },
    minShortSide: numberFlag(flags, 'min-short-side', { integer: true, min: 0 }),
    seed: numberFlag(flags, 'seed', { integer: true, min: 0 }),
  };
}

/** Checks the values of the restore flags before anything loads, so mistakes are usage errors. */
export function validateRestoreFlags(flags: FlagValues): void {
  restoreOptionsFromFlags(flags);
  numberFlag(flags, 'threads', { integer: true, min: 1 });
}

const STAGE_SHARE = { prepare: 0, clean: 0.02, encode: 0.08, sample: 0.1, decode: 0.92, finish: 0.98 } as const;

/** Loads the bundle once, then restores each image of the batch with the same sessions. */
export const restoreBatch: ImageBatch = {
  verb: 'restored',
  async prepare(ctx: CommandContext) {
    const { flags } = ctx;
    const options = restoreOptionsFromFlags(flags);
    const providers = typeof flags.providers === 'string' ? flags.providers.split(',').map((s) => s.trim()) : undefined;
    const restorer = await createRestorer({
      bundle: typeof flags.bundle === 'string' ? flags.bundle : defaultBundleLocation(ctx.io.env),
      cacheDir: typeof flags['cache-dir'] === 'string' ? flags['cache-dir'] : undefined,
      runtime: { executionProviders: providers, intraOpNumThreads: numberFlag(flags, 'threads', { integer: true }) },
      skipCleaner: options.cleaner?.kind === 'none',
      signal: ctx.signal,
    });
    return async (input, pctx) => {
      let stage = 0;
      const result = await restorer.restore(
        { tensor: input.image, alpha: input.alpha },
        {
          ...options,
          signal: pctx.signal,
          onProgress: (e) => {
            if (e.type === 'stage') {
              stage = STAGE_SHARE[e.stage];
              pctx.onProgress(stage, e.stage);
            } else if (e.type === 'step') {
              pctx.onProgress(0.1 + (0.82 * (e.step + 1)) / e.steps, `step ${e.step + 1}/${e.steps}`);
            }
          },
        },
      );
      return { image: result.image, alpha: result.alpha };
    };
  },
};

export const restoreCommand: CommandSpec = {
  name: 'restore',
  summary: 'Restore images with a diffusion-prior model bundle',
  usage: '<inputs...>',
  minPositionals: 1,
  flags: { ...IMAGE_OUTPUT_FLAGS, ...RESTORE_FLAGS },
  details:
    'Inputs are files, folders (their image files, not recursive) and globs (*, ?, [..], {a,b}, **;\n' +
    'quote them so the shell leaves them alone). Alpha is kept; gray stays gray; 16-bit inputs\n' +
    'are written at 16 bits where the format allows. Files are written atomically and never\n' +
    'replaced without --overwrite.',
  run(ctx) {
    validateRestoreFlags(ctx.flags);
    return runImageBatch(ctx, restoreBatch);
  },
};
