// encodePrompt against the tiny bundle's PyTorch text-encoder reference (through a JS
// stand-in session that serves the stored outputs for the stored token rows) and against
// OpenCLIP's ids (tools/fixtures/gen_tokenizer.py); loadBundleTokenizer on fake bundles.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BundleManifest, parseBundleManifest } from '../bundle';
import type { ModelSession } from '../runtime/types';
import type { Tensor } from '../tensor/tensor';
import { createClipTokenizer } from './clip-tokenizer';
import { gunzip } from './inflate';
import { encodePrompt, loadBundleTokenizer, readClipMerges } from './prompt-encoder';

const fixture = JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/tokenizer.json'), 'utf8'));
const TINY = join(__dirname, '../../../../fixtures/bundles/tiny-random');
const tinyManifest = (): BundleManifest =>
  parseBundleManifest(JSON.parse(readFileSync(join(TINY, 'manifest.json'), 'utf8')));
const floats = (file: string) => {
  const b = readFileSync(join(TINY, file));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
};
const sparseGz = new Uint8Array(Buffer.from(fixture.merges.gzipBase64, 'base64'));
const padded = (ids: number[]) => [...ids, ...new Array(77 - ids.length).fill(0)];

/** A session that records its feeds and answers with `respond`. */
function standIn(
  respond: (tokens: Tensor) => Tensor,
  names = { input: 'tokens', output: 'context' },
): ModelSession & { feeds: Record<string, Tensor>[] } {
  const feeds: Record<string, Tensor>[] = [];
  return {
    feeds,
    inputs: [{ name: names.input, type: 'int64', shape: ['batch', 77] }],
    outputs: [{ name: names.output, type: 'float32', shape: ['batch', 77, 'dim'] }],
    async run(f) {
      feeds.push({ ...f });
      return { [names.output]: respond(f[names.input]) };
    },
    async release() {},
  };
}

describe('encodePrompt', () => {
  it("reproduces the tiny bundle's text-encoder reference for the default prompts", async () => {
    const manifest = tinyManifest();
    const refTokens = floats('reference/text-encoder-prompts.tokens.bin');
    const refContext = floats('reference/text-encoder-prompts.context.bin');
    const dim = manifest.diffusion.context.dim;
    const rows = [0, 1].map((b) => refTokens.subarray(b * 77, (b + 1) * 77).join());
    // the stand-in knows only the two reference token rows
    const session = standIn((tokens) => {
      const B = tokens.shape[0];
      const data = new Float32Array(B * 77 * dim);
      for (let b = 0; b < B; b++) {
        const row = rows.indexOf(tokens.data.subarray(b * 77, (b + 1) * 77).join());
        if (row < 0) throw new Error('tokens differ from the reference tokens');
        data.set(refContext.subarray(row * 77 * dim, (row + 1) * 77 * dim), b * 77 * dim);
      }
      return { data, shape: [B, 77, dim] };
    });
    const texts = [manifest.defaults.positivePrompt, manifest.defaults.negativePrompt];
    const tok = createClipTokenizer(''); // the fixture was tokenized with no merges (tools/make_fixture.py)

    const one = await encodePrompt(session, tok, texts[1]);
    expect(one.shape).toEqual([1, 77, dim]);
    expect(Array.from(one.data)).toEqual(Array.from(refContext.subarray(77 * dim)));
    const both = await encodePrompt(session, tok, texts);
    expect(both.shape).toEqual([2, 77, dim]);
    expect(Array.from(both.data)).toEqual(Array.from(refContext));
    // what reached the graph: float32 ids, (B, 77), under 'tokens'
    const fed = session.feeds[1].tokens;
    expect(Object.keys(session.feeds[1])).toEqual(['tokens']);
    expect(fed.data).toBeInstanceOf(Float32Array);
    expect(fed.shape).toEqual([2, 77]);
    await expect(encodePrompt(session, tok, 'a different prompt')).rejects.toThrow(/differ from the reference/);
  });

  it('feeds OpenCLIP ids and returns the graph output unchanged', async () => {
    const tok = createClipTokenizer(readClipMerges(sparseGz));
    // a stand-in "encoder": context[b, i, d] = id * (d + 1)
    const session = standIn(
      (tokens) => {
        const D = 3;
        const data = new Float32Array(tokens.data.length * D);
        for (let i = 0; i < tokens.data.length; i++)
          for (let d = 0; d < D; d++) data[i * D + d] = tokens.data[i] * (d + 1);
        return { data, shape: [...tokens.shape, D] };
      },
      { input: 'input_ids', output: 'last_hidden' },
    );
    const p = fixture.prompts.find((q: { text: string }) => q.text === 'a photo of a cat');
    const out = await encodePrompt(session, tok, p.text);
    expect(out.shape).toEqual([1, 77, 3]);
    const ids = padded(p.ids);
    expect(Array.from(out.data).filter((_, k) => k % 3 === 1)).toEqual(ids.map((v) => 2 * v));
  });

  it('names the problem when the graph does not fit', async () => {
    const tok = createClipTokenizer('');
    const flat = standIn((t) => ({ data: new Float32Array(t.data.length), shape: [t.shape[0], 77] }));
    await expect(encodePrompt(flat, tok, 'x')).rejects.toThrow(/shape \[1, 77\], expected \[1, 77, D\]/);
    await expect(encodePrompt(flat, tok, 'x', { inputName: 'ids' })).rejects.toThrow(/no input 'ids' \(has tokens\)/);
  });
});

describe('readClipMerges / loadBundleTokenizer', () => {
  it('reads gzipped and plain merges alike, stopping after the merges it needs', () => {
    const plain = gunzip(sparseGz);
    expect(readClipMerges(plain)).toBe(readClipMerges(sparseGz));
    const two = readClipMerges(sparseGz, 2);
    expect(two.split('\n').length).toBe(4); // header, 2 merges, and what follows the last newline
    expect(two.split('\n')[1]).toBe('i n');
  });

  it("loads a bundle's tokenizer file and checks its special ids", async () => {
    const base = tinyManifest();
    const ref = {
      file: 'tokenizer/bpe.txt.gz',
      sha256: '0'.repeat(64),
      bytes: sparseGz.length,
      kind: 'clip-bpe' as const,
    };
    const withTokenizer = (startToken: number, endToken: number): BundleManifest => ({
      ...base,
      components: {
        ...base.components,
        textEncoder: {
          ...(base.components.textEncoder as NonNullable<BundleManifest['components']['textEncoder']>),
          tokenizer: { ...ref, startToken, endToken, padToken: 0 },
        },
      },
    });
    const asked: string[] = [];
    const read = async (path: string) => {
      asked.push(path);
      return sparseGz;
    };
    const tok = await loadBundleTokenizer(withTokenizer(49406, 49407), read);
    expect(asked).toEqual(['tokenizer/bpe.txt.gz']);
    const p = fixture.prompts[0];
    expect([...tok.tokenize(p.text)]).toEqual(padded(p.idsLite));
    await expect(loadBundleTokenizer(withTokenizer(512, 513), read)).rejects.toThrow(/start\/end ids 49406\/49407/);
    await expect(loadBundleTokenizer(base, read)).rejects.toThrow(/has a text encoder but no tokenizer/);
    const { textEncoder: _t, ...noText } = base.components;
    await expect(loadBundleTokenizer({ ...base, components: noText }, read)).rejects.toThrow(/has no text encoder/);
  });
});
