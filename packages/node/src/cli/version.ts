import { readFileSync } from 'node:fs';
import path from 'node:path';
import { moduleDir } from '../module-dir';

/** The version of @diffrestore/node, read from its package.json (dist/ and src/cli/ alike). */
export function packageVersion(): string {
  let dir = moduleDir();
  for (let i = 0; i < 4; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === '@diffrestore/node' && pkg.version) return pkg.version;
    } catch {
      // not here; look one folder up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}
