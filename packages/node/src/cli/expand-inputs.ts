import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, hasGlobChars } from './glob';

/** Extensions picked from folders and globs. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff'] as const;

export function isImageName(file: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase());
}

/** An input argument that names nothing. */
export class InputNotFoundError extends Error {
  override readonly name = 'InputNotFoundError';
}

/**
 * Expands command-line inputs to image files, in argument order, each file once:
 * a file is taken as is; a folder gives its image files (not recursive, sorted); a glob
 * (`*`, `?`, `[..]`, `{a,b}`, `**`) gives its matching image files (sorted).
 */
export async function expandInputs(args: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (f: string) => {
    if (!seen.has(f)) {
      seen.add(f);
      out.push(f);
    }
  };
  for (const arg of args) {
    const abs = path.resolve(cwd, arg);
    const st = await stat(abs).catch(() => undefined);
    if (st?.isFile()) {
      add(abs);
    } else if (st?.isDirectory()) {
      const names = (await readdir(abs, { withFileTypes: true }))
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.') && isImageName(e.name))
        .map((e) => e.name)
        .sort();
      if (names.length === 0) throw new InputNotFoundError(`no image files in folder ${arg}`);
      for (const n of names) add(path.join(abs, n));
    } else if (hasGlobChars(arg)) {
      const files = (await glob(arg, cwd)).filter(isImageName);
      if (files.length === 0) throw new InputNotFoundError(`no image files match ${arg}`);
      for (const f of files) add(f);
    } else {
      throw new InputNotFoundError(`input not found: ${arg}`);
    }
  }
  return out;
}
