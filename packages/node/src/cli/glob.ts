import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Whether a command-line word is a glob pattern (Node 20 has no fs.glob). */
export function hasGlobChars(s: string): boolean {
  return /[*?[{]/.test(s);
}

/**
 * One path segment of a glob as a RegExp: `*` any run of characters, `?` one character,
 * `[abc]` / `[!abc]` a class, `{a,b}` alternatives. A leading dot must be matched explicitly.
 */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) re += '\\[';
      else {
        let body = segment.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (ch === '{') {
      const close = segment.indexOf('}', i + 1);
      if (close === -1) re += '\\{';
      else {
        const alts = segment.slice(i + 1, close).split(',');
        re += `(?:${alts
          .map((a) =>
            a
              .replace(/[.+^$()|\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
          )
          .join('|')})`;
        i = close;
      }
    } else re += ch.replace(/[.+^$()|\\\]}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Files matching a glob, absolute and sorted. `**` spans any number of folders (not
 * following symlinked folders; hidden folders are skipped unless named explicitly).
 */
export async function glob(pattern: string, cwd: string): Promise<string[]> {
  const normal = pattern.replace(/\\/g, '/');
  const abs = path.isAbsolute(normal) || /^[a-zA-Z]:\//.test(normal);
  const root = abs ? path.parse(path.resolve(normal)).root : cwd;
  const segments = (abs ? normal.slice(root.replace(/\\/g, '/').length) : normal)
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  const found = new Set<string>();

  const walk = async (dir: string, i: number): Promise<void> => {
    if (i === segments.length) {
      if (await isFile(dir)) found.add(dir);
      return;
    }
    const seg = segments[i];
    if (seg === '**') {
      const last = i === segments.length - 1;
      if (!last) await walk(dir, i + 1);
      for (const e of await entries(dir)) {
        if (e.name.startsWith('.')) continue;
        // A trailing ** stands for every file below.
        if (last && (e.isFile() || (e.isSymbolicLink() && (await isFile(path.join(dir, e.name)))))) {
          found.add(path.join(dir, e.name));
        }
        if (e.isDirectory()) await walk(path.join(dir, e.name), i);
      }
      return;
    }
    if (!hasGlobChars(seg)) {
      const next = path.join(dir, seg);
      if (i === segments.length - 1 || (await isDir(next))) await walk(next, i + 1);
      return;
    }
    const re = segmentRegExp(seg);
    const dotOk = seg.startsWith('.');
    for (const e of await entries(dir)) {
      if (e.name.startsWith('.') && !dotOk) continue;
      if (!re.test(e.name)) continue;
      const next = path.join(dir, e.name);
      if (i === segments.length - 1) {
        if (e.isFile() || (e.isSymbolicLink() && (await isFile(next)))) found.add(next);
      } else if (e.isDirectory() || (e.isSymbolicLink() && (await isDir(next)))) await walk(next, i + 1);
    }
  };
  await walk(root, 0);
  return [...found].sort();
}
