import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBundleEmbedding } from './embedding';
import { parseBundleManifest } from './parse-bundle-manifest';

const FIXTURE = join(__dirname, '..', '..', '..', '..', 'fixtures', 'bundles', 'tiny-random');
const read = (p: string) => new Uint8Array(readFileSync(join(FIXTURE, p)));

describe('decodeBundleEmbedding', () => {
  const m = parseBundleManifest(JSON.parse(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8')));

  it('equals the PyTorch text-encoder output for the same prompts (reference case)', () => {
    // reference/text-encoder-prompts.context.bin: the text encoder run on [positive, negative].
    const ref = new Float32Array(read('reference/text-encoder-prompts.context.bin').slice().buffer);
    const pos = decodeBundleEmbedding(read(m.embeddings.positive.file), m.embeddings.positive);
    const neg = decodeBundleEmbedding(read(m.embeddings.negative.file), m.embeddings.negative);
    expect(pos.shape).toEqual([1, 77, 32]);
    const n = pos.data.length;
    expect(Array.from(pos.data)).toEqual(Array.from(ref.subarray(0, n)));
    expect(Array.from(neg.data)).toEqual(Array.from(ref.subarray(n, 2 * n)));
  });

  it('decodes little-endian float16 bit patterns exactly', () => {
    // 1, -2, 65504 (max half), 2^-24 (smallest subnormal), 0.333251953125 (0x3555)
    const bytes = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x55, 0x35, 0x00, 0x00]);
    const t = decodeBundleEmbedding(bytes, { dtype: 'float16', shape: [1, 2, 3], file: 'x.bin' });
    expect(Array.from(t.data)).toEqual([1, -2, 65504, 2 ** -24, 0.333251953125, 0]);
  });

  it('rejects a byte count that does not match the shape', () => {
    expect(() =>
      decodeBundleEmbedding(new Uint8Array(10), { dtype: 'float32', shape: [1, 2, 2], file: 'e.bin' }),
    ).toThrow(/e\.bin: 10 bytes, expected 16/);
  });
});
