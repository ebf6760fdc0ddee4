import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Whether this code runs as CommonJS (the .cjs build; vitest also defines __dirname). */
export const isCommonJs = typeof __dirname === 'string';

/** Folder of the running module, in both the ESM and the CJS build. */
export function moduleDir(): string {
  if (typeof __dirname === 'string') return __dirname;
  return path.dirname(fileURLToPath(import.meta.url));
}
