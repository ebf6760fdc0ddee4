import { randomBytes } from 'node:crypto';
import { link, lstat, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Thrown instead of replacing an existing file when overwriting was not asked for. */
export class OutputExistsError extends Error {
  override readonly name = 'OutputExistsError';
  readonly code = 'EEXIST';
  constructor(readonly path: string) {
    super(`refusing to overwrite existing file ${path} (pass overwrite: true, or --overwrite on the command line)`);
  }
}

export interface AtomicWriteOptions {
  /** Replace an existing file. Default false: an existing file is an OutputExistsError. */
  readonly overwrite?: boolean;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Fails early, before any expensive encoding, if `dest` exists and overwriting is off. */
export async function assertWritable(dest: string, options: AtomicWriteOptions = {}): Promise<void> {
  if (!options.overwrite && (await exists(dest))) throw new OutputExistsError(dest);
}

/** A temporary name in the destination's own folder, so the final rename stays atomic. */
export function tempNameFor(dest: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes bytes so readers see either no file or the whole file: a temporary file in the
 * same folder, then a rename (overwrite) or a hard link that fails if the name exists
 * (no overwrite; race-free against another writer).
 */
export async function writeFileAtomic(
  dest: string,
  bytes: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = path.dirname(dest);
  if (!options.overwrite && (await exists(dest))) throw new OutputExistsError(dest);
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) throw new Error(`output folder ${dir} is not a folder`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`output folder ${dir} does not exist`);
    throw e;
  }
  const tmp = tempNameFor(dest);
  await writeFile(tmp, bytes, { flag: 'wx' });
  try {
    if (options.overwrite) {
      await rename(tmp, dest);
      return;
    }
    try {
      await link(tmp, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new OutputExistsError(dest);
      // File systems without hard links: check-then-rename (a tiny race, documented).
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
      if (await exists(dest)) throw new OutputExistsError(dest);
      await rename(tmp, dest);
      return;
    }
    await unlink(tmp);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
