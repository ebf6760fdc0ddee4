import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleBytes, bundleFiles } from './bundle-files';
import { parseBundleManifest } from './parse-bundle-manifest';

const FIXTURE = join(__dirname, '..', '..', '..', '..', 'fixtures', 'bundles', 'tiny-random');
const raw = () => JSON.parse(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8'));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [relative(FIXTURE, p).split('\\').join('/')];
  });
}

describe('bundleFiles', () => {
  const manifest = parseBundleManifest(raw());
  const files = bundleFiles(manifest);

  it('lists every bundle file of the fixture folder once (manifest and test references aside)', () => {
    const onDisk = walk(FIXTURE)
      .filter((p) => p !== 'manifest.json' && !p.startsWith('reference/'))
      .sort();
    expect(files.map((f) => f.path).sort()).toEqual(onDisk);
  });

  it('has sizes and sha256 that match the files (hashed here by node:crypto)', () => {
    for (const f of files) {
      const bytes = readFileSync(join(FIXTURE, f.path));
      expect(bytes.byteLength, f.path).toBe(f.bytes);
      expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(f.sha256);
    }
    expect(bundleBytes(manifest)).toBe(files.reduce((s, f) => s + statSync(join(FIXTURE, f.path)).size, 0));
  });

  it('orders graphs first, then external data and tokenizer after their graph, embeddings last', () => {
    const m = raw();
    m.components.denoiser.externalData = [{ file: 'denoiser.onnx_data', sha256: 'a'.repeat(64), bytes: 10 }];
    m.components.textEncoder.tokenizer = {
      file: 'tokenizer/bpe_simple_vocab_16e6.txt.gz',
      sha256: 'b'.repeat(64),
      bytes: 20,
      kind: 'clip-bpe',
      startToken: 49406,
      endToken: 49407,
      padToken: 0,
    };
    expect(bundleFiles(parseBundleManifest(m)).map((f) => f.path)).toEqual([
      'denoiser.onnx',
      'denoiser.onnx_data',
      'vae_encoder.onnx',
      'vae_decoder.onnx',
      'cleaner.onnx',
      'text_encoder.onnx',
      'tokenizer/bpe_simple_vocab_16e6.txt.gz',
      'embeddings/positive.bin',
      'embeddings/negative.bin',
    ]);
  });
});
