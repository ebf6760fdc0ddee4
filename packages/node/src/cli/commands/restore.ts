import { numberFlag } from '../args';
import type { CommandSpec, FlagSpec, FlagValues } from '../command';
import { IMAGE_OUTPUT_FLAGS, type ImageBatch, runImageBatch } from '../image-batch';

/** Model and sampling flags of `restore`; the pipeline reads them once it is wired in. */
export const RESTORE_FLAGS = {
  bundle: {
    type: 'string',
    short: 'b',
    valueName: 'PATH|URL',
    description: 'Model bundle folder or URL',
    pending: true,
  },
  'cache-dir': {
    type: 'string',
    valueName: 'DIR',
    description: 'Download cache (default ~/.cache/diffrestore)',
    pending: true,
  },
  steps: { type: 'string', valueName: 'N', description: 'Sampling steps (default: the bundle’s)', pending: true },
  sampler: { type: 'string', valueName: 'NAME', description: 'Sampler (default: the bundle’s)', pending: true },
  cfg: { type: 'string', valueName: 'X', description: 'Classifier-free guidance scale', pending: true },
  guidance: {
    type: 'string',
    valueName: 'X',
    description: 'Fidelity guidance strength (0 = off; more = closer to the input)',
    pending: true,
  },
  'control-scale': {
    type: 'string',
    valueName: 'X',
    description: 'Strength of the ControlNet condition',
    pending: true,
  },
  upscale: { type: 'string', valueName: 'X', description: 'Upscaling factor', pending: true },
  tile: {
    type: 'string',
    valueName: 'N',
    description: 'Latent tile size for large images (0 = no tiling)',
    pending: true,
  },
  seed: { type: 'string', valueName: 'N', description: 'Random seed', pending: true },
  providers: {
    type: 'string',
    valueName: 'LIST',
    description: "Execution providers, e.g. 'cuda,cpu' (default cpu)",
    pending: true,
  },
  threads: { type: 'string', valueName: 'N', description: 'Threads per operator', pending: true },
} as const satisfies Record<string, FlagSpec>;

/** Checks the values of the restore flags now, so mistakes are usage errors (exit 2). */
export function validateRestoreFlags(flags: FlagValues): void {
  numberFlag(flags, 'steps', { integer: true, min: 1, max: 1000 });
  numberFlag(flags, 'cfg', { min: 0 });
  numberFlag(flags, 'guidance', { min: 0 });
  numberFlag(flags, 'control-scale', { min: 0 });
  numberFlag(flags, 'upscale', { min: 1, max: 16 });
  numberFlag(flags, 'tile', { integer: true, min: 0 });
  numberFlag(flags, 'seed', { integer: true, min: 0 });
  numberFlag(flags, 'threads', { integer: true, min: 1 });
}

/** The restore batch; `prepare` is replaced when the core pipeline is wired into the CLI. */
export const restoreBatch: ImageBatch = {
  verb: 'restored',
  async prepare() {
    throw new Error(
      "the restore pipeline is not wired into the CLI yet (a later change); 'diffrestore restore --dry-run' shows the plan",
    );
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
