import { choiceFlag, numberFlag } from '../args';
import type { CommandSpec, FlagSpec, FlagValues } from '../command';
import { IMAGE_OUTPUT_FLAGS, type ImageBatch, runImageBatch } from '../image-batch';

/** Degradation presets core provides (Real-ESRGAN second order, StableSR mild, CodeFormer). */
export const DEGRADE_PRESETS = ['realesrgan', 'stablesr-mild', 'codeformer', 'codeformer-face'] as const;

export const DEGRADE_FLAGS = {
  preset: {
    type: 'string',
    valueName: 'NAME',
    description: `Degradation: ${DEGRADE_PRESETS.join(', ')}`,
    default: 'realesrgan',
    pending: true,
  },
  seed: {
    type: 'string',
    valueName: 'N',
    description: 'Random seed (default 0); image i uses seed + i',
    pending: true,
  },
  scale: { type: 'string', valueName: 'X', description: 'Downscaling factor of the result', pending: true },
  'params-json': {
    type: 'boolean',
    description: 'Write the drawn parameters beside each output as .json',
    pending: true,
  },
} as const satisfies Record<string, FlagSpec>;

export function validateDegradeFlags(flags: FlagValues): void {
  choiceFlag(flags, 'preset', DEGRADE_PRESETS);
  numberFlag(flags, 'seed', { integer: true, min: 0 });
  numberFlag(flags, 'scale', { min: 1, max: 16 });
}

/** The degrade batch; `prepare` is replaced when core's degradations are wired into the CLI. */
export const degradeBatch: ImageBatch = {
  verb: 'degraded',
  async prepare() {
    throw new Error(
      "the degradation pipelines are not wired into the CLI yet (a later change); 'diffrestore degrade --dry-run' shows the plan",
    );
  },
};

export const degradeCommand: CommandSpec = {
  name: 'degrade',
  summary: 'Synthesize degraded (low-quality) versions of images, for training data and tests',
  usage: '<inputs...>',
  minPositionals: 1,
  flags: { ...IMAGE_OUTPUT_FLAGS, ...DEGRADE_FLAGS },
  details: 'Inputs are files, folders (their image files, not recursive) and quoted globs.',
  run(ctx) {
    validateDegradeFlags(ctx.flags);
    return runImageBatch(ctx, degradeBatch);
  },
};
