import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cropImage, psnrY, type Tensor } from '@diffrestore/core';
import { createRestorer, readImage } from '@diffrestore/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The sweep as a user runs it (subprocess on the built packages), random-weight fixture bundle.
const ROOT = path.resolve(__dirname, '../..');
const PROGRAM = path.join(__dirname, 'sweep.mjs');
const BUNDLE = path.join(ROOT, 'fixtures/bundles/tiny-random');
const INPUT = path.join(ROOT, 'examples/images/sample-degraded.png');
const SCALES = [0, 0.25, 0.5, 1, 2];

interface Row {
  scale: number;
  psnrToCleaned: number;
  ssimToCleaned: number;
  psnrToOriginal?: number;
  ssimToOriginal?: number;
}
interface Report {
  sheet: string;
  panel: { width: number; height: number };
  rows: Row[];
}

describe('examples/node-guidance-sweep', () => {
  let dir: string;
  let report: Report;
  let sheet: Tensor;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'example-sweep-'));
    const out = path.join(dir, 'sheet.png');
    const args = ['--out', out, '--scales', SCALES.join(','), '--steps', '2', '--min-short-side', '64', '--json'];
    const r = spawnSync(process.execPath, [PROGRAM, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    report = JSON.parse(r.stdout);
    sheet = (await readImage(out)).image;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a contact sheet of input, stage 1 and one panel per scale', () => {
    expect(report.panel).toEqual({ width: 256, height: 256 });
    // 7 panels of 256 px with 4 px gaps.
    expect(sheet.shape).toEqual([1, 3, 256, 7 * 256 + 6 * 4]);
    expect(report.rows.map((r) => r.scale)).toEqual(SCALES);
  });

  it('pulls the result towards the stage-1 output as the scale grows', () => {
    const psnrAt = (scale: number) => report.rows.find((r) => r.scale === scale)!.psnrToCleaned;
    // On the random-weight fixture the VAE does not round-trip (decode(encode(I_reg)) is ~14 dB
    // from I_reg), so latent guidance shows in pixel PSNR only once it is strong: below scale 1
    // the differences are within ~0.1 dB noise (measured 16.26, 16.16, 16.29 dB at 0, 0.25, 0.5).
    // The robust claim is the rise over whole units of scale (16.26 -> 16.79 -> 18.12 dB);
    // the fine-grained monotone claim belongs to the trained bundle's benchmark.
    expect(psnrAt(1) - psnrAt(0)).toBeGreaterThan(0.25);
    expect(psnrAt(2) - psnrAt(1)).toBeGreaterThan(0.5);
    // The original is 256 x 256 like the x4 output, so it is measured too.
    for (const r of report.rows) expect(Number.isFinite(r.psnrToOriginal)).toBe(true);
  });

  it('prints metrics that match the panels of the written sheet (8-bit)', () => {
    const panel = (i: number) => cropImage(sheet, 0, i * 260, 256, 256);
    report.rows.forEach((r, i) => {
      // The PNG is quantised to 8 bits; the printed value is from the float result.
      expect(Math.abs(psnrY(panel(2 + i), panel(1)) - r.psnrToCleaned), `scale ${r.scale}`).toBeLessThan(0.3);
    });
  });

  it('scale 0 is guidance off', async () => {
    const restorer = await createRestorer({ bundle: BUNDLE });
    try {
      const { image } = await readImage(INPUT);
      const off = await restorer.restore(
        { tensor: image },
        { upscale: 4, steps: 2, minShortSide: 64, seed: 231, guidance: { kind: 'none' } },
      );
      expect(psnrY(off.image, off.cleaned)).toBeCloseTo(report.rows[0].psnrToCleaned, 6);
    } finally {
      await restorer.close();
    }
  });
});
