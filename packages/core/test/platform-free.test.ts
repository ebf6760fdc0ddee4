import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// core must run unchanged in Node, browsers and workers: no platform API may appear in
// its sources. (packages/core/tsconfig.json also compiles src with no DOM or Node types.)
const SRC = join(__dirname, '..', 'src');
const FORBIDDEN: readonly [RegExp, string][] = [
  [
    /from\s+['"](node:|fs|path|os|child_process|worker_threads|url|http|https|crypto|stream|buffer)['"/]/,
    'Node module import',
  ],
  [/require\(/, 'require()'],
  [/\bprocess\./, 'process global'],
  [/\b(document|window|navigator|localStorage|fetch|self)\s*[.(]/, 'browser global'],
  [/\bBuffer\./, 'Buffer global'],
  [/\b__dirname\b|\b__filename\b/, 'CommonJS path global'],
  [/from\s+['"]onnxruntime-(node|web)['"]/, 'platform ONNX runtime'],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

describe('core is platform-free', () => {
  const files = sources(SRC);
  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });
  it.each(files.map((f) => [relative(SRC, f), f]))('%s uses no platform API', (_name, file) => {
    const text = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
      .join('\n');
    for (const [pattern, what] of FORBIDDEN) {
      expect(pattern.test(text), `${what} in ${file}`).toBe(false);
    }
  });
  it('only imports onnxruntime-common as types', () => {
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/import\s+(type\s+)?[^;]*from\s+['"]onnxruntime-common['"]/g)) {
        expect(m[1], `value import of onnxruntime-common in ${f}`).toBeTruthy();
      }
    }
  });
});
