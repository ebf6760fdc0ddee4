import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Tensor } from '@diffrestore/core';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputExistsError } from '../src/atomic-write';
import { readImage, writeImage } from '../src/image-io';
import { fixture, maxAbs, meanAbs, ref } from './helpers';

const img = (name: string) => fixture(path.join('node_images', name));
const { height: H, width: W } = ref.images;
const tmp = mkdtempSync(path.join(tmpdir(), 'diffrestore-image-io-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Planar float channels from interleaved HWC integers (the NumPy arrays of the fixture). */
function planar(hwc: number[], channels: number, pick: number[], max: number): number[] {
  const plane = hwc.length / channels;
  const out: number[] = [];
  for (const c of pick) for (let p = 0; p < plane; p++) out.push(hwc[p * channels + c] / max);
  return out;
}

describe('readImage against Pillow / NumPy fixtures', () => {
  it.each([
    ['rgb8.png', 'png'],
    ['rgb8.tiff', 'tiff'],
    ['rgb8_lossless.webp', 'webp'],
  ])('%s: 8-bit RGB', async (name, format) => {
    const r = await readImage(img(name));
    expect([r.format, r.bitDepth, r.width, r.height, r.channelsOriginal, r.grayscale]).toEqual([
      format,
      8,
      W,
      H,
      3,
      false,
    ]);
    expect(r.image.shape).toEqual([1, 3, H, W]);
    expect(r.alpha).toBeUndefined();
    expect(maxAbs(r.image.data, planar(ref.images.rgb8, 3, [0, 1, 2], 255))).toBeLessThan(1e-7);
  });

  it('8-bit RGBA keeps alpha aside', async () => {
    const r = await readImage(img('rgba8.png'));
    expect(r.channelsOriginal).toBe(4);
    expect(maxAbs(r.image.data, planar(ref.images.rgba8, 4, [0, 1, 2], 255))).toBeLessThan(1e-7);
    expect(r.alpha?.shape).toEqual([1, 1, H, W]);
    expect(maxAbs(r.alpha!.data, planar(ref.images.rgba8, 4, [3], 255))).toBeLessThan(1e-7);
  });

  it('8-bit gray expands to three equal channels and is remembered', async () => {
    const r = await readImage(img('gray8.png'));
    expect([r.channelsOriginal, r.grayscale]).toEqual([1, true]);
    expect(maxAbs(r.image.data, planar(ref.images.gray8, 1, [0, 0, 0], 255))).toBeLessThan(1e-7);
  });

  it('16-bit RGB, gray and RGBA PNG keep all 16 bits', async () => {
    const rgb = await readImage(img('rgb16.png'));
    expect(rgb.bitDepth).toBe(16);
    expect(maxAbs(rgb.image.data, planar(ref.images.rgb16, 3, [0, 1, 2], 65535))).toBeLessThan(1e-7);
    const gray = await readImage(img('gray16.png'));
    expect([gray.bitDepth, gray.grayscale]).toEqual([16, true]);
    expect(maxAbs(gray.image.data, planar(ref.images.gray16, 1, [0, 0, 0], 65535))).toBeLessThan(1e-7);
    const rgba = await readImage(img('rgba16.png'));
    expect(maxAbs(rgba.image.data, planar(ref.images.rgba16, 4, [0, 1, 2], 65535))).toBeLessThan(1e-7);
    expect(maxAbs(rgba.alpha!.data, planar(ref.images.rgba16, 4, [3], 65535))).toBeLessThan(1e-7);
  });

  it('JPEG decodes close to the source pixels', async () => {
    const s = ref.images.smooth;
    const r = await readImage(img('smooth.jpg'));
    expect([r.format, r.width, r.height]).toEqual(['jpeg', s.width, s.height]);
    // Lossy (quality 95, 4:2:0 chroma): small mean error, bounded worst case.
    expect(meanAbs(r.image.data, planar(s.hwc, 3, [0, 1, 2], 255))).toBeLessThan(1.5 / 255);
    expect(maxAbs(r.image.data, planar(s.hwc, 3, [0, 1, 2], 255))).toBeLessThan(12 / 255);
  });

  it('reads from bytes', async () => {
    const r = await readImage(new Uint8Array(readFileSync(img('rgb8.png'))));
    expect(maxAbs(r.image.data, planar(ref.images.rgb8, 3, [0, 1, 2], 255))).toBeLessThan(1e-7);
  });

  it('names the path for missing and corrupt files', async () => {
    await expect(readImage(img('missing.png'))).rejects.toThrow(/image file not found: .*missing\.png/);
    await expect(readImage(img('corrupt.png'))).rejects.toThrow(/cannot read image .*corrupt\.png/);
    await expect(readImage(new Uint8Array([1, 2, 3]))).rejects.toThrow(/cannot read image <3 bytes>/);
  });
});

describe('writeImage round trips', () => {
  const rgb8 = async () => readImage(img('rgb8.png'));

  it.each([
    ['out8.png', 8, 0],
    ['out8.tif', 8, 0],
    ['out8.webp', 8, 0],
    ['out16.png', 16, 0],
    ['out16.tiff', 16, 0],
  ] as const)('%s (%d-bit)', async (name, bitDepth, tol) => {
    const src = bitDepth === 16 ? await readImage(img('rgb16.png')) : await rgb8();
    const file = path.join(tmp, name);
    await writeImage(file, { image: src.image, bitDepth }, { lossless: true });
    const back = await readImage(file);
    expect(back.bitDepth).toBe(bitDepth);
    expect(back.image.shape).toEqual(src.image.shape);
    expect(maxAbs(back.image.data, src.image.data)).toBeLessThanOrEqual(tol === 0 ? 1e-7 : tol);
  });

  it('JPEG round trip of a smooth image stays close', async () => {
    const src = await readImage(img('smooth.jpg'));
    const file = path.join(tmp, 'out.jpg');
    await writeImage(file, { image: src.image });
    const back = await readImage(file);
    expect(meanAbs(back.image.data, src.image.data)).toBeLessThan(1 / 255);
    expect(maxAbs(back.image.data, src.image.data)).toBeLessThan(6 / 255);
  });

  it.each([
    ['rgba8.png', 'a8.png', 8],
    ['rgba8.png', 'a8.webp', 8],
    ['rgba8.png', 'a8.tif', 8],
    ['rgba16.png', 'a16.png', 16],
    ['rgba16.png', 'a16.tif', 16],
  ] as const)('%s -> %s preserves alpha', async (from, to, bitDepth) => {
    const src = await readImage(img(from));
    const file = path.join(tmp, to);
    await writeImage(file, { image: src.image, alpha: src.alpha, bitDepth }, { lossless: true });
    const back = await readImage(file);
    expect(back.channelsOriginal).toBe(4);
    expect(maxAbs(back.image.data, src.image.data)).toBeLessThan(1e-7);
    expect(maxAbs(back.alpha!.data, src.alpha!.data)).toBeLessThan(1e-7);
  });

  it.each([
    ['gray8.png', 'g8.png', 8],
    ['gray16.png', 'g16.png', 16],
    ['gray16.png', 'g16.tif', 16],
  ] as const)('%s -> %s stays one gray channel', async (from, to, bitDepth) => {
    const src = await readImage(img(from));
    const file = path.join(tmp, to);
    await writeImage(file, { image: src.image, bitDepth, grayscale: src.grayscale });
    const back = await readImage(file);
    expect([back.channelsOriginal, back.grayscale, back.bitDepth]).toEqual([1, true, bitDepth]);
    expect(maxAbs(back.image.data, src.image.data)).toBeLessThan(1e-7);
  });

  it('quantizes with rounding and clamps out-of-range values', async () => {
    const values = [-0.5, 0, 0.5 / 255, 0.49 / 255, 0.5, 1, 1.5, Number.NaN];
    const image: Tensor = { data: Float32Array.from(values), shape: [1, 1, 1, values.length] };
    const file = path.join(tmp, 'q.png');
    await writeImage(file, { image });
    const back = await readImage(file);
    const got = Array.from(back.image.data.slice(0, values.length), (v) => Math.round(v * 255));
    expect(got).toEqual([0, 0, 1, 0, 128, 255, 255, 0]);
  });

  it('refuses to overwrite unless asked, writing atomically', async () => {
    const src = await rgb8();
    const file = path.join(tmp, 'existing.png');
    writeFileSync(file, 'keep me');
    const err = await writeImage(file, { image: src.image }).catch((e) => e);
    expect(err).toBeInstanceOf(OutputExistsError);
    expect(err.message).toMatch(/refusing to overwrite existing file .*existing\.png/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    await writeImage(file, { image: src.image }, { overwrite: true });
    expect((await readImage(file)).width).toBe(W);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rejects impossible requests with clear errors', async () => {
    const src = await readImage(img('rgba8.png'));
    await expect(writeImage(path.join(tmp, 'x.jpg'), { image: src.image, alpha: src.alpha })).rejects.toThrow(
      /JPEG cannot store an alpha/,
    );
    await expect(writeImage(path.join(tmp, 'x.webp'), { image: src.image, bitDepth: 16 })).rejects.toThrow(
      /WEBP cannot store 16 bits/,
    );
    await expect(writeImage(path.join(tmp, 'x.bmp'), { image: src.image })).rejects.toThrow(
      /cannot tell the image format/,
    );
    await expect(writeImage(path.join(tmp, 'nope', 'x.png'), { image: src.image })).rejects.toThrow(
      /output folder .*nope does not exist/,
    );
    await expect(
      writeImage(path.join(tmp, 'y.png'), { image: { data: new Float32Array(4), shape: [1, 2, 1, 2] } }),
    ).rejects.toThrow(/shape/);
  });
});
