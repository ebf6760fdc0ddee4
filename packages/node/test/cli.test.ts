import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandSpec } from '../src/cli/command';
import { expandInputs } from '../src/cli/expand-inputs';
import { glob, segmentRegExp } from '../src/cli/glob';
import { IMAGE_OUTPUT_FLAGS, runImageBatch } from '../src/cli/image-batch';
import { ExistingOutputsError, planOutputs } from '../src/cli/output-plan';
import { BatchProgress } from '../src/cli/progress';
import { runCli } from '../src/cli/run-cli';
import { readImage } from '../src/image-io';
import { fixture, maxAbs, memoryIo, runCliProcess } from './helpers';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(tmpdir(), 'diffrestore-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function touch(rel: string, content = 'x'): string {
  const p = path.join(tmp, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

const cli = (args: string[], cwd = tmp) => runCliProcess(args, cwd, 30_000);

describe('diffrestore binary (subprocess)', () => {
  it('prints help and version', () => {
    const help = cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: diffrestore <command>/);
    expect(help.stdout).toMatch(/restore .*\n.*degrade .*\n.*info /);
    const sub = cli(['restore', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/Usage: diffrestore restore <inputs...>/);
    expect(sub.stdout).toMatch(/--overwrite/);
    const version = cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version);
  });

  it('answers usage errors with exit code 2 and one line', () => {
    for (const args of [
      ['restore', '--bogus', 'a.png'],
      ['nope'],
      ['restore', 'a.png', '-o'],
      ['restore', '--steps', 'x', 'a.png', '-o', 'o'],
      [],
    ]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      if (args.length > 0) expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(cli(['restore', '--bogus', 'a.png']).stderr).toMatch(/^diffrestore restore: unknown option --bogus/);
  });

  it('answers runtime failures with exit code 1 and one line', () => {
    const r = cli(['restore', 'missing.png', '-o', 'out.png']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('diffrestore restore: input not found: missing.png');
  });

  it('info summarizes and checks a bundle folder, and rejects an invalid manifest', () => {
    const dir = path.join(tmp, 'bundle');
    cpSync(path.resolve(__dirname, '../../../fixtures/bundles/tiny-random'), dir, { recursive: true });
    const r = cli(['info', 'bundle']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tiny-random {2}diffrestore-bundle v1/);
    expect(r.stdout).toMatch(/denoiser +denoiser\.onnx +1\.56 MiB +307\.7K params/);
    expect(r.stdout).toMatch(/positive +embeddings\/positive\.bin +9\.63 KiB/);
    expect(r.stdout).toMatch(/7 file\(s\), [\d.]+ MiB in total/);
    expect(r.stdout).toMatch(/all files present/);
    const json = JSON.parse(cli(['info', 'bundle/manifest.json', '--json']).stdout);
    expect(json.components.map((c: { name: string }) => c.name)).toEqual([
      'denoiser',
      'vaeEncoder',
      'vaeDecoder',
      'cleaner',
      'textEncoder',
    ]);
    rmSync(path.join(dir, 'embeddings', 'positive.bin'));
    const broken = cli(['info', 'bundle']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/incomplete: 1 problem\(s\): embeddings\/positive\.bin missing/);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, latent: undefined }));
    const invalid = cli(['info', 'bundle']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr).toMatch(/latent/);
    expect(cli(['info', 'nowhere']).code).toBe(1);
  });
});

describe('glob and input expansion', () => {
  const root = path.join(tmp, 'tree');
  for (const f of [
    'a.png',
    'b.JPG',
    'c.txt',
    '.hidden.png',
    'sub/d.png',
    'sub/deep/e.webp',
    'sub/f.tif',
    'x1.png',
    'x22.png',
  ]) {
    touch(path.join('tree', f));
  }
  const rel = (files: string[]) => files.map((f) => path.relative(root, f).split(path.sep).join('/'));

  it('translates glob segments', () => {
    expect(segmentRegExp('*.png').test('a.png')).toBe(true);
    expect(segmentRegExp('*.png').test('a.pngx')).toBe(false);
    expect(segmentRegExp('x?.png').test('x1.png')).toBe(true);
    expect(segmentRegExp('x?.png').test('x22.png')).toBe(false);
    expect(segmentRegExp('[ab].*').test('b.JPG')).toBe(true);
    expect(segmentRegExp('[!ab].*').test('b.JPG')).toBe(false);
    expect(segmentRegExp('*.{png,tif}').test('f.tif')).toBe(true);
    expect(segmentRegExp('a+(b).png').test('a+(b).png')).toBe(true);
  });

  it('walks * and ** without hidden files', async () => {
    expect(rel(await glob('*.png', root))).toEqual(['a.png', 'x1.png', 'x22.png']);
    expect(rel(await glob('**/*.png', root))).toEqual(['a.png', 'sub/d.png', 'x1.png', 'x22.png']);
    expect(rel(await glob('sub/**', root))).toEqual(['sub/d.png', 'sub/deep/e.webp', 'sub/f.tif']);
    expect(rel(await glob(`${root}/sub/*.{png,tif}`, tmp))).toEqual(['sub/d.png', 'sub/f.tif']);
    expect(rel(await glob('.*.png', root))).toEqual(['.hidden.png']);
  });

  it('expands files, folders (non-recursive, images only) and globs in order, once each', async () => {
    const files = await expandInputs(['sub/f.tif', '.', 'sub/**/*.webp', 'a.png'], root);
    expect(rel(files)).toEqual(['sub/f.tif', 'a.png', 'b.JPG', 'x1.png', 'x22.png', 'sub/deep/e.webp']);
    await expect(expandInputs(['nope.png'], root)).rejects.toThrow('input not found: nope.png');
    await expect(expandInputs(['*.gif'], root)).rejects.toThrow('no image files match *.gif');
  });
});

describe('output planning', () => {
  const a = touch('plan/in/a.png');
  const b = touch('plan/in/b.jpg');
  const c = touch('plan/in2/a.png');
  const cwd = path.join(tmp, 'plan');

  it('writes one input to a file, several into a folder', async () => {
    const one = await planOutputs([a], { output: 'out.webp', cwd });
    expect(one.items).toEqual([{ input: a, output: path.join(cwd, 'out.webp'), format: 'webp' }]);
    expect(one.folder).toBeUndefined();
    const many = await planOutputs([a, b], { output: 'res', cwd, suffix: '_r' });
    expect(many.folder).toBe(path.join(cwd, 'res'));
    expect(many.items.map((i) => [path.basename(i.output), i.format])).toEqual([
      ['a_r.png', 'png'],
      ['b_r.jpg', 'jpeg'],
    ]);
    const fmt = await planOutputs([a, b], { output: 'res/', cwd, format: 'tiff' });
    expect(fmt.items.map((i) => path.basename(i.output))).toEqual(['a.tif', 'b.tif']);
    const single = await planOutputs([a], { output: 'res/', cwd });
    expect(single.items[0].output).toBe(path.join(cwd, 'res', 'a.png'));
  });

  it('refuses collisions, replacing inputs, and existing files unless asked', async () => {
    await expect(planOutputs([a, c], { output: 'res', cwd })).rejects.toThrow(/would both be written to/);
    await expect(planOutputs([a], { output: 'in', cwd })).rejects.toThrow(/would replace the input itself/);
    await expect(planOutputs([a, b], { output: 'x.png', cwd })).rejects.toThrow(/must be a folder/);
    await expect(planOutputs([a], { output: 'o.png', cwd, format: 'jpeg' })).rejects.toThrow(/does not match/);
    touch('plan/res/a.png');
    const err = await planOutputs([a, b], { output: 'res', cwd }).catch((e) => e);
    expect(err).toBeInstanceOf(ExistingOutputsError);
    expect(err.message).toMatch(/refusing to overwrite 1 existing file\(s\): .*a\.png/);
    const skip = await planOutputs([a, b], { output: 'res', cwd, skipExisting: true });
    expect(skip.items.map((i) => i.input)).toEqual([b]);
    expect(skip.skipped.map((i) => i.input)).toEqual([a]);
    expect((await planOutputs([a, b], { output: 'res', cwd, overwrite: true })).items).toHaveLength(2);
  });
});

describe('progress display', () => {
  it('draws a bar on a TTY and plain lines otherwise', () => {
    let t = 0;
    const tty: string[] = [];
    const bar = new BatchProgress({ write: (s: string) => tty.push(s), isTTY: true, columns: 100 }, 4, {
      now: () => t,
    });
    bar.begin(1, 'a.png');
    t = 1000;
    bar.update(0.5, 'step 5/10');
    expect(bar.render()).toBe(`[${'#'.repeat(4)}${'.'.repeat(26)}]  12% 1/4 1.0s a.png (step 5/10)`);
    bar.end(true, 'a.png -> out/a.png');
    bar.finish();
    expect(tty.every((s) => s.startsWith('\r\x1b[2K'))).toBe(true);

    const plain: string[] = [];
    const lines = new BatchProgress({ write: (s: string) => plain.push(s), isTTY: false }, 2);
    lines.begin(1, 'a.png');
    lines.update(0.3);
    lines.end(true, 'a.png -> o/a.png (1.0s)');
    lines.begin(2, 'b.png');
    lines.end(false, 'b.png: broken');
    expect(plain).toEqual(['[1/2] a.png -> o/a.png (1.0s)\n', '[2/2] FAILED b.png: broken\n']);
  });
});

describe('image batch runner', () => {
  // A test command on the shared runner: inverts the colours.
  const invert: CommandSpec = {
    name: 'invert',
    summary: 'test',
    usage: '<inputs...>',
    minPositionals: 1,
    flags: IMAGE_OUTPUT_FLAGS,
    run: (ctx) =>
      runImageBatch(ctx, {
        verb: 'inverted',
        prepare: async () => async (img, p) => {
          p.onProgress(0.5, 'half');
          return { image: { data: img.image.data.map((v) => 1 - v), shape: img.image.shape }, alpha: img.alpha };
        },
      }),
  };
  const dir = path.join(tmp, 'batch');
  mkdirSync(path.join(dir, 'in'), { recursive: true });
  for (const f of ['rgba8.png', 'gray16.png', 'corrupt.png']) {
    copyFileSync(fixture(path.join('node_images', f)), path.join(dir, 'in', f));
  }

  it('processes every image, keeps alpha/gray/bit depth, reports failures and a summary', async () => {
    const io = memoryIo(dir);
    const code = await runCli(['invert', 'in', '-o', 'out'], io, { commands: [invert] });
    expect(code).toBe(1);
    const src = await readImage(path.join(dir, 'in', 'rgba8.png'));
    const out = await readImage(path.join(dir, 'out', 'rgba8.png'));
    expect(
      maxAbs(
        out.image.data,
        src.image.data.map((v) => 1 - v),
      ),
    ).toBeLessThan(1e-6);
    expect(maxAbs(out.alpha!.data, src.alpha!.data)).toBe(0);
    const gray = await readImage(path.join(dir, 'out', 'gray16.png'));
    expect([gray.bitDepth, gray.grayscale]).toEqual([16, true]);
    expect(existsSync(path.join(dir, 'out', 'corrupt.png'))).toBe(false);
    const err = io.err.join('');
    expect(err).toMatch(/\[1\/3\] FAILED in\/corrupt\.png: cannot read image/);
    expect(err).toMatch(/inverted 2 of 3 image\(s\) in [\d.]+s, 1 failed -> out\n$/);

    // Existing outputs: refused before any work, unless skipped or overwritten.
    const again = memoryIo(dir);
    expect(await runCli(['invert', 'in/rgba8.png', 'in/gray16.png', '-o', 'out'], again, { commands: [invert] })).toBe(
      1,
    );
    expect(again.err.join('')).toMatch(/^diffrestore invert: refusing to overwrite 2 existing file\(s\): /);
    const skip = memoryIo(dir);
    expect(
      await runCli(['invert', 'in', '-o', 'out', '--skip-existing', '--dry-run'], skip, { commands: [invert] }),
    ).toBe(0);
    expect(skip.out.join('')).toBe(
      'in/corrupt.png -> out/corrupt.png\nin/gray16.png -> out/gray16.png (exists, skipped)\nin/rgba8.png -> out/rgba8.png (exists, skipped)\n',
    );
    const over = memoryIo(dir);
    expect(
      await runCli(['invert', 'in/rgba8.png', '-o', 'out/rgba8.png', '--overwrite', '--bit-depth', '16'], over, {
        commands: [invert],
      }),
    ).toBe(0);
    expect((await readImage(path.join(dir, 'out', 'rgba8.png'))).bitDepth).toBe(16);
  });

  it('stops between images when interrupted (exit 130)', async () => {
    const ac = new AbortController();
    ac.abort();
    const io = memoryIo(dir);
    const code = await runCli(['invert', 'in', '-o', 'out-int'], io, { commands: [invert], signal: ac.signal });
    expect(code).toBe(130);
    expect(io.err.join('')).toMatch(/inverted 0 of 3 image\(s\).*interrupted/);
  });
});
