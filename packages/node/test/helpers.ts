import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../src/cli/command';

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

/** The built CLI (`npm test` builds before vitest runs). */
export const cliJs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

/** Runs the built `diffrestore` binary as a user would: a subprocess in `cwd`. */
export function runCliProcess(args: string[], cwd: string, timeout = 120_000) {
  const r = spawnSync(process.execPath, [cliJs, ...args], { cwd, encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** CLI input/output captured in memory, for running commands in-process. */
export function memoryIo(cwd: string, tty = false): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s), isTTY: tty, columns: 100 },
    env: {},
    cwd,
  };
}
