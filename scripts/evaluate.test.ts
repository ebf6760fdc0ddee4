import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createRng,
  cropImage,
  psnrY,
  REALESRGAN_DEFAULTS,
  realEsrganDegradation,
  resize,
  ssimY,
  type Tensor,
} from '@diffrestore/core';
import { readImage } from '@diffrestore/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// scripts/evaluate.mjs as the benchmark runs it (subprocess on the built packages), on the
// random-weight fixture bundle and two held-out crops; numbers are not quality claims here.
const ROOT = path.resolve(__dirname, '..');
const PROGRAM = path.join(__dirname, 'evaluate.mjs');
const BUNDLE = path.join(ROOT, 'fixtures/bundles/tiny-random');
const IMAGES = ['examples/images/sample-original.png', 'examples/images/chelsea-256.png'].map((p) =>
  path.join(ROOT, p),
);
const SCALES = [0, 0.5, 2];
const TASKS = ['sr4', 'restore1'];
const CROP = 128;
const SEED = 3;

interface MethodResult {
  psnrY: number;
  ssimY: number;
  psnrYToCleaner?: number;
  ssimYToCleaner?: number;
  seconds: number;
}
interface Results {
  protocol: { tasks: string[]; scales: number[]; steps: number; minShortSide: number; seed: number };
  summary: {
    task: string;
    key: string;
    method: string;
    guidance?: number;
    psnrY: number;
    ssimY: number;
    psnrYToCleaner?: number;
    medianSeconds: number;
  }[];
  fidelityRises: Record<string, { toCleaner: boolean; toTruth: boolean }>;
  images: {
    name: string;
    crop: { top: number; left: number; size: number };
    tasks: Record<string, { stream: number; lqSize: number[]; border: number; methods: Record<string, MethodResult> }>;
  }[];
}

/** FNV-1a 32-bit of UTF-8 text (docs/evaluation.md: the degradation stream of image/task). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

const clamp01 = (t: Tensor): Tensor => ({ data: t.data.map((v) => Math.min(1, Math.max(0, v))), shape: t.shape });

/** Runs the script on the fixture bundle and the two crops into a fresh folder; its outputs. */
async function runEvaluate(prefix: string, options: string[]) {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const args = ['--bundle', BUNDLE, '--images', IMAGES.join(','), '--out', dir, ...options];
  const r = spawnSync(process.execPath, [PROGRAM, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
  expect(r.status, r.stderr).toBe(0);
  const results = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8'));
  return { dir, results, markdown: await readFile(path.join(dir, 'results.md'), 'utf8') };
}

describe('scripts/evaluate.mjs', () => {
  let dir: string;
  let results: Results;
  let markdown: string;
  beforeAll(async () => {
    ({ dir, results, markdown } = await runEvaluate('evaluate-', [
      ...['--scales', SCALES.join(','), '--tasks', TASKS.join(','), '--seed', String(SEED), '--crop', String(CROP)],
      ...['--steps', '2', '--min-short-side', '64', '--no-warmup', '--quiet'],
    ]));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the stream hash is FNV-1a (published test vectors)', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('writes results.json, results.md and one 3-panel-row grid per task', async () => {
    for (const f of ['results.json', 'results.md', 'grid-sr4.png', 'grid-restore1.png']) {
      expect(existsSync(path.join(dir, f)), f).toBe(true);
    }
    // 2 images (rows) x 4 panels (LQ up-sampled, cleaner, full, ground truth), 4 px gaps.
    const grid = (await readImage(path.join(dir, 'grid-sr4.png'))).image;
    expect(grid.shape).toEqual([1, 3, 2 * CROP + 4, 4 * CROP + 3 * 4]);
    expect(results.protocol).toMatchObject({ tasks: TASKS, scales: SCALES, steps: 2, minShortSide: 64, seed: SEED });
  });

  it('has one table row per task and method, with the documented columns', () => {
    const lines = markdown.split('\n');
    const head = lines.findIndex((l) => l.startsWith('| task | method | guidance |'));
    expect(head).toBeGreaterThanOrEqual(0);
    const cells = (l: string) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    expect(cells(lines[head])).toEqual([
      'task',
      'method',
      'guidance',
      'PSNR-Y (dB)',
      'SSIM-Y',
      'PSNR-Y to cleaner (dB)',
      'median wall (s)',
    ]);
    const rows: string[][] = [];
    for (let i = head + 2; lines[i]?.startsWith('|'); i++) rows.push(cells(lines[i]));
    const expected = TASKS.flatMap((t) => [
      [t, t === 'sr4' ? 'bicubic' : 'input', '–'],
      [t, 'cleaner only', '–'],
      ...SCALES.map((s) => [t, 'full pipeline', String(s)]),
    ]);
    expect(rows.map((r) => r.slice(0, 3))).toEqual(expected);
    for (const r of rows) {
      expect(r).toHaveLength(7);
      for (const c of [r[3], r[4], r[6]]) expect(Number.isFinite(Number(c)), c).toBe(true);
    }
    // the table prints the summary's numbers
    for (const [i, s] of results.summary.entries()) expect(Number(rows[i][3])).toBeCloseTo(s.psnrY, 2);
  });

  it('bicubic PSNR-Y / SSIM-Y equal an independent recomputation of the protocol', async () => {
    for (const [i, file] of IMAGES.entries()) {
      const name = path.basename(file, '.png');
      const img = results.images[i];
      expect(img.name).toBe(name);
      const { image } = await readImage(file);
      const [, , h, w] = image.shape;
      const side = Math.floor(Math.min(CROP, h, w) / 8) * 8;
      const top = Math.floor((h - side) / 2);
      const left = Math.floor((w - side) / 2);
      expect(img.crop).toEqual({ top, left, size: side });
      const truth = cropImage(image, top, left, side, side);
      for (const [task, scale] of [
        ['sr4', 4],
        ['restore1', 1],
      ] as const) {
        const stream = fnv1a(`${name}/${task}`);
        expect(img.tasks[task].stream).toBe(stream);
        const config = { ...REALESRGAN_DEFAULTS, scale, resizeBack: false, sharpen: false };
        const { lq } = realEsrganDegradation(truth, config, createRng(SEED, stream));
        expect(img.tasks[task].lqSize).toEqual([side / scale, side / scale]);
        const up = scale === 1 ? lq : clamp01(resize(lq, side, side, { mode: 'bicubic' }));
        const opts = { crop: scale, quantize: true };
        const got = img.tasks[task].methods.bicubic;
        expect(got.psnrY).toBeCloseTo(psnrY(up, truth, opts), 9);
        expect(got.ssimY).toBeCloseTo(ssimY(up, truth, opts), 9);
      }
    }
  });

  it('every number is finite and the summary is the per-image mean / median', () => {
    for (const img of results.images) {
      for (const t of TASKS) {
        const methods = img.tasks[t].methods;
        expect(Object.keys(methods)).toEqual(['bicubic', 'cleaner', ...SCALES.map((s) => `full@${s}`)]);
        for (const [key, m] of Object.entries(methods)) {
          const values = [m.psnrY, m.ssimY, m.seconds];
          if (key.startsWith('full@')) values.push(m.psnrYToCleaner as number, m.ssimYToCleaner as number);
          for (const v of values) expect(Number.isFinite(v), `${img.name} ${t} ${key}`).toBe(true);
          expect(m.ssimY).toBeLessThanOrEqual(1);
        }
      }
    }
    for (const s of results.summary) {
      const per = results.images.map((img) => img.tasks[s.task].methods[s.key]);
      expect(s.psnrY).toBeCloseTo((per[0].psnrY + per[1].psnrY) / 2, 9);
      expect(s.medianSeconds).toBeCloseTo((per[0].seconds + per[1].seconds) / 2, 9);
    }
    expect(Object.keys(results.fidelityRises)).toEqual(TASKS);
  });
});

describe('scripts/evaluate.mjs with several degradation seeds', () => {
  let dir: string;
  let results: Omit<Results, 'images'> & {
    protocol: { seeds: number[] };
    images: (Results['images'][number] & { seed: number })[];
  };
  let markdown: string;
  const SEEDS = [3, 8];
  beforeAll(async () => {
    ({ dir, results, markdown } = await runEvaluate('evaluate-seeds-', [
      ...['--scales', '0', '--tasks', 'sr4', '--seed', SEEDS.join(','), '--crop', '64'],
      ...['--steps', '1', '--min-short-side', '64', '--no-warmup', '--quiet', '--grid-images', '0'],
    ]));
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('makes one draw per image and seed, each from its own seed, and averages over all of them', async () => {
    expect(results.protocol).toMatchObject({ seed: SEEDS[0], seeds: SEEDS });
    expect(results.images.map((i) => [i.name, i.seed])).toEqual(
      IMAGES.flatMap((f) => SEEDS.map((s) => [path.basename(f, '.png'), s])),
    );
    for (const img of results.images) {
      const { image } = await readImage(IMAGES.find((f) => path.basename(f, '.png') === img.name) as string);
      const { top, left, size } = img.crop;
      const truth = cropImage(image, top, left, size, size);
      const config = { ...REALESRGAN_DEFAULTS, scale: 4, resizeBack: false, sharpen: false };
      const { lq } = realEsrganDegradation(truth, config, createRng(img.seed, fnv1a(`${img.name}/sr4`)));
      const up = clamp01(resize(lq, size, size, { mode: 'bicubic' }));
      expect(img.tasks.sr4.methods.bicubic.psnrY).toBeCloseTo(psnrY(up, truth, { crop: 4, quantize: true }), 9);
    }
    const draws = results.images.map((i) => i.tasks.sr4.methods.bicubic.psnrY);
    expect(new Set(draws.map((v) => v.toFixed(6))).size).toBe(draws.length); // the seeds draw differently
    const bicubic = results.summary.find((s) => s.key === 'bicubic');
    expect(bicubic?.psnrY).toBeCloseTo(draws.reduce((a, b) => a + b, 0) / draws.length, 9);
    expect(markdown).toContain('degradation seeds 3, 8');
    // per-image table: one column per image, the mean of its draws
    const row = markdown
      .split('\n')
      .filter((l) => l.startsWith('| sr4 | bicubic |'))
      .at(-1) as string;
    const cells = row
      .split('|')
      .slice(3, -1)
      .map((c) => Number(c.trim()));
    expect(cells).toHaveLength(IMAGES.length);
    expect(cells[0]).toBeCloseTo((draws[0] + draws[1]) / 2, 2);
  });

  it('rejects a seed that is not an unsigned 32-bit integer', () => {
    const r = spawnSync(
      process.execPath,
      [PROGRAM, '--bundle', BUNDLE, '--images', IMAGES[0], '--out', dir, '--seed', '1,-2'],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--seed must be integers');
  });
});
