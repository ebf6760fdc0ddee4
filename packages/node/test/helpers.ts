import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const fixture = (name: string) => path.join(fixturesDir, name);

interface Ref {
  affine: { shape: number[]; x: number[]; y: number[] };
  affine_fp16: { shape: number[]; x: number[]; y: number[] };
  tokens: { tokens: number[]; shape: number[]; emb: number[]; emb_shape: number[]; token_sum: number };
  slow: { n: number; iterations: number; x: number[]; y: number[] };
  images: {
    height: number;
    width: number;
    rgb8: number[];
    rgba8: number[];
    gray8: number[];
    rgb16: number[];
    gray16: number[];
    rgba16: number[];
    smooth: { height: number; width: number; hwc: number[] };
  };
}

/** NumPy references written by tools/fixtures/gen_node_fixtures.py. */
export const ref: Ref = JSON.parse(readFileSync(fixture('node_fixtures.json'), 'utf8'));

export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function meanAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}
