import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { maxAbsDiff, type Sampler, type Tensor } from '@diffrestore/core';
import { createRestorer, type Restorer, readImage } from '@diffrestore/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quadraticDdimSampler } from '../custom-sampler/custom-sampler';

// The program (subprocess, built packages) plugs its JS sampler into restore; it must give what
// the TypeScript sampler of examples/custom-sampler gives through restorer.restore in-process.
const ROOT = path.resolve(__dirname, '../..');
const PROGRAM = path.join(__dirname, 'restore.mjs');
const BUNDLE = path.join(ROOT, 'fixtures/bundles/tiny-random');
const INPUT = path.join(ROOT, 'examples/images/sample-degraded.png');
const OPTS = { upscale: 4, steps: 4, minShortSide: 64, seed: 9 };

/** Counts the steps a sampler's runs take. */
function counting(sampler: Sampler, counter: { steps: number }): Sampler {
  return {
    name: sampler.name,
    start(setup) {
      const run = sampler.start(setup);
      const step: typeof run.step = (x, i, predict) => {
        counter.steps++;
        return run.step(x, i, predict);
      };
      return { ...run, init: (n) => run.init(n), step };
    },
  };
}

describe('examples/node-custom-sampler', () => {
  let restorer: Restorer;
  let input: Tensor;
  let dir: string;
  beforeAll(async () => {
    restorer = await createRestorer({ bundle: BUNDLE });
    input = (await readImage(INPUT)).image;
    dir = await mkdtemp(path.join(tmpdir(), 'example-sampler-'));
  });
  afterAll(async () => {
    await restorer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the program restores with its sampler, as the TypeScript sampler does in restore()', async () => {
    const out = path.join(dir, 'custom.png');
    const args = [INPUT, out, '--upscale', '4', '--steps', '4', '--min-short-side', '64', '--seed', '9'];
    const r = spawnSync(process.execPath, [PROGRAM, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    // floor(999 (1 - i/4)^2) for i = 0..3
    expect(r.stdout).toMatch(/ddim-quadratic: 4 steps at t = 999, 561, 249, 62/);
    const written = (await readImage(out)).image;
    expect(written.shape).toEqual([1, 3, 256, 256]);

    const counter = { steps: 0 };
    const ts = await restorer.restore(
      { tensor: input },
      { ...OPTS, sampler: counting(quadraticDdimSampler(), counter) },
    );
    expect(counter.steps).toBe(4);
    // 8-bit file vs float result: at most half a level apart.
    expect(maxAbsDiff(written, ts.image)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it('the custom sampler drives stage 2: its result differs from the built-in DDIM on the uniform grid', async () => {
    const custom = await restorer.restore({ tensor: input }, { ...OPTS, sampler: quadraticDdimSampler() });
    const ddim = await restorer.restore({ tensor: input }, { ...OPTS, sampler: { kind: 'ddim' } });
    expect(maxAbsDiff(custom.cleaned, ddim.cleaned)).toBe(0);
    expect(maxAbsDiff(custom.image, ddim.image)).toBeGreaterThan(0.05);
  });
});
