import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreOptionsFromFlags } from '../src/cli/commands/restore';
import { readImage } from '../src/index';
import { runCliProcess } from './helpers';

// `diffrestore restore` as a user runs it: a subprocess of the built CLI on the fixture bundle.
const ROOT = path.resolve(__dirname, '../../..');
const BUNDLE = path.join(ROOT, 'fixtures/bundles/tiny-random');
const FAST = ['--bundle', BUNDLE, '--steps', '2', '--min-short-side', '64'];

const cli = (args: string[], cwd: string) => runCliProcess(args, cwd);

describe('diffrestore restore (subprocess)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'diffrestore-cli-'));
    await cp(path.join(__dirname, 'fixtures/photo-coffee-96x128.png'), path.join(dir, 'in/coffee.png'));
    await cp(path.join(__dirname, 'fixtures/photo-chelsea-64x96.png'), path.join(dir, 'in/chelsea.png'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('restores one file to the given path at the requested scale', async () => {
    const r = cli(['restore', 'in/coffee.png', '-o', 'one.png', '--upscale', '2', ...FAST], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = await readImage(path.join(dir, 'one.png'));
    expect([out.height, out.width]).toEqual([192, 256]);
    expect(r.stderr).toMatch(/restored 1 of 1 image/);
  });

  it('restores a folder into an output folder, then refuses to overwrite', async () => {
    const first = cli(['restore', 'in', '-o', 'out', ...FAST], dir);
    expect(first.code, first.stderr).toBe(0);
    expect((await readdir(path.join(dir, 'out'))).sort()).toEqual(['chelsea.png', 'coffee.png']);
    const again = cli(['restore', 'in', '-o', 'out', ...FAST], dir);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/refusing to overwrite/);
    const forced = cli(['restore', 'in', '-o', 'out', '--overwrite', ...FAST], dir);
    expect(forced.code, forced.stderr).toBe(0);
  });

  it('rejects a bad flag value with exit 2 and one line', () => {
    const r = cli(['restore', 'in', '-o', 'x', '--sampler', 'warp-drive'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--sampler must be one of/);
  });

  it('asks for --guidance when only the guidance kind or window is given', () => {
    const r = cli(['restore', 'in', '-o', 'x', '--guidance-kind', 'latent-mse'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/need --guidance X/);
  });

  it('--guidance-uncapped needs --guidance and a latent-space kind', () => {
    const alone = cli(['restore', 'in', '-o', 'x', '--guidance-uncapped'], dir);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/need --guidance X/);
    const pixel = cli(
      [
        'restore',
        'in',
        '-o',
        'x',
        '--guidance',
        '1',
        '--guidance-kind',
        'region-adaptive-pixel',
        '--guidance-uncapped',
      ],
      dir,
    );
    expect(pixel.code).toBe(2);
    expect(pixel.stderr).toMatch(/--guidance-uncapped applies to the latent-space kinds only/);
  });

  it('maps --guidance-uncapped to clampAtTarget: false, and leaves the cap on by default', () => {
    expect(restoreOptionsFromFlags({ guidance: '2', 'guidance-uncapped': true }).guidance).toEqual({
      kind: 'region-adaptive',
      space: 'latent',
      scale: 2,
      start: undefined,
      stop: undefined,
      clampAtTarget: false,
    });
    expect(restoreOptionsFromFlags({ guidance: '2' }).guidance).not.toHaveProperty('clampAtTarget');
    expect(
      restoreOptionsFromFlags({ guidance: '400', 'guidance-kind': 'latent-mse', 'guidance-uncapped': true }).guidance,
    ).toEqual({ kind: 'latent-mse', scale: 400, start: undefined, stop: undefined, clampAtTarget: false });
  });

  it('fails with exit 1 and a reason when the bundle is missing', () => {
    const r = cli(['restore', 'in/coffee.png', '-o', 'y.png', '--bundle', 'no-such-bundle'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-bundle/);
  });
});
