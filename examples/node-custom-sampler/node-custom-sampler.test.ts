import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSampler, maxAbsDiff, type Sampler, type Tensor } from '@diffrestore/core';
import { createRestorer, type Restorer, readImage } from '@diffrestore/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quadraticDdimSampler } from '../custom-sampler/custom-sampler';
import { restoreWithSampler } from './restore-with-sampler.mjs';

// restoreWithSampler must be the library's pipeline with the sampler swapped: checked against
// restorer.restore with a built-in sampler. The program (subprocess, built packages) must give
// what the TypeScript sampler of examples/custom-sampler gives through the same composition.
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

  it('reproduces restorer.restore with a built-in sampler (DDIM, region-adaptive guidance)', async () => {
    const guidance = { kind: 'region-adaptive', scale: 1 } as const;
    const ref = await restorer.restore({ tensor: input }, { ...OPTS, sampler: { kind: 'ddim' }, guidance });
    const ours = await restoreWithSampler(restorer.bundle.model, input, createSampler({ kind: 'ddim' }), {
      ...OPTS,
      guidance,
    });
    expect(ours.image.shape).toEqual([1, 3, 256, 256]);
    expect(maxAbsDiff(ours.cleaned, ref.cleaned)).toBe(0);
    expect(maxAbsDiff(ours.image, ref.image)).toBeLessThanOrEqual(1e-6);
  });

  it('runs the custom sampler: its steps drive stage 2 and change the result', async () => {
    const counter = { steps: 0 };
    const custom = await restoreWithSampler(
      restorer.bundle.model,
      input,
      counting(quadraticDdimSampler(), counter),
      OPTS,
    );
    expect(counter.steps).toBe(4);
    const ddim = await restoreWithSampler(restorer.bundle.model, input, createSampler({ kind: 'ddim' }), OPTS);
    expect(maxAbsDiff(custom.image, ddim.image)).toBeGreaterThan(0.05);

    // The program's JS sampler = the TypeScript one of examples/custom-sampler (8-bit output).
    const out = path.join(dir, 'custom.png');
    const args = [INPUT, out, '--upscale', '4', '--steps', '4', '--min-short-side', '64', '--seed', '9'];
    const r = spawnSync(process.execPath, [PROGRAM, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    // floor(999 (1 - i/4)^2) for i = 0..3
    expect(r.stdout).toMatch(/ddim-quadratic: 4 steps at t = 999, 561, 249, 62/);
    const written = (await readImage(out)).image;
    expect(written.shape).toEqual([1, 3, 256, 256]);
    expect(maxAbsDiff(written, custom.image)).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });
});
