// Token ids from OpenCLIP's own SimpleTokenizer with the official merges, real ftfy and the
// regex module (tools/fixtures/gen_tokenizer.py); the merges travel as a sparse copy whose
// every firing merge keeps its line (the script checks OpenCLIP tokenizes it identically).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeUtf8 } from '../util/utf8';
import {
  CLIP_MERGE_COUNT,
  type ClipTokenizer,
  ClipTokenizerError,
  clipByteSymbols,
  createClipTokenizer,
} from './clip-tokenizer';
import { gunzip } from './inflate';

interface PromptCase {
  text: string;
  ids: number[];
  idsLite: number[];
  projectPython: string;
}

// read with JSON.parse: the fixture has a lone-surrogate escape Vite's JSON loader refuses
const fixture = JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/tokenizer.json'), 'utf8'));
const fromBase64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const mergesText = decodeUtf8(gunzip(fromBase64(fixture.merges.gzipBase64)));
const prompts = fixture.prompts as PromptCase[];
let shared: ClipTokenizer | undefined;
const official = () => {
  shared ??= createClipTokenizer(mergesText);
  return shared;
};

const padded = (ids: number[], n = 77, pad = 0) => [...ids, ...new Array(n - ids.length).fill(pad)];

describe('createClipTokenizer (official merges, sparse copy)', () => {
  it('reads the vocabulary OpenCLIP reads', () => {
    const tok = official();
    expect(tok.vocabSize).toBe(fixture.vocabSize);
    expect(tok.startToken).toBe(fixture.startToken);
    expect(tok.endToken).toBe(fixture.endToken);
    expect([tok.startToken, tok.endToken, tok.padToken, tok.contextLength]).toEqual([49406, 49407, 0, 77]);
    expect(tok.mergeCount).toBe(CLIP_MERGE_COUNT);
  });

  it.each(prompts.map((p, i) => [i, JSON.stringify(p.text).slice(0, 60), p] as const))(
    'prompt %i %s matches OpenCLIP (ftfy without mojibake repair)',
    (_i, _label, p) => {
      const ids = official().tokenize(p.text);
      expect(ids).toBeInstanceOf(Int32Array);
      expect([...ids]).toEqual(padded(p.idsLite));
    },
  );

  it('differs from full ftfy only on the mojibake prompt', () => {
    const differing = prompts.filter((p) => JSON.stringify(p.ids) !== JSON.stringify(p.idsLite)).map((p) => p.text);
    expect(differing).toEqual([expect.stringContaining('mojibake')]);
  });

  it('truncates to 77 keeping the end token, and pads short prompts with 0', () => {
    const long = prompts.filter((p) => p.ids.length === 77);
    expect(long.length).toBeGreaterThanOrEqual(4);
    const tok = official();
    for (const p of long) {
      const ids = tok.tokenize(p.text);
      expect(ids[76]).toBe(49407);
      expect(tok.encode(p.text).length).toBeGreaterThanOrEqual(75);
    }
    expect([...tok.tokenize('')]).toEqual(padded([49406, 49407]));
    // 75 words fit exactly; the 76th is dropped, not the end token
    const fit = prompts.find((p) => p.text === `${'a '.repeat(74)}b`) as PromptCase;
    expect(fit.ids.length).toBe(77);
    expect(tok.encode(fit.text).length).toBe(75);
  });

  it('uses only the first 48894 merges: later lines that would fire are ignored', () => {
    expect(fixture.merges.pastCutoff.length).toBeGreaterThan(10);
    const uncut = createClipTokenizer(mergesText, { maxMerges: Number.MAX_SAFE_INTEGER });
    expect(uncut.mergeCount).toBeGreaterThan(CLIP_MERGE_COUNT);
    const text = 'supercalifragilisticexpialidocious watermark';
    expect(uncut.encode(text)).not.toEqual(official().encode(text));
  });

  it('batches prompts into a float32 (B, 77) tensor of ids', () => {
    const texts = prompts.slice(0, 3).map((p) => p.text);
    const t = official().tokenizeToTensor(texts);
    expect(t.shape).toEqual([3, 77]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(t.data)).toEqual(prompts.slice(0, 3).flatMap((p) => padded(p.idsLite)));
    expect(official().tokenizeToTensor('a photo of a cat').shape).toEqual([1, 77]);
  });

  it('decodes ids back to the cleaned text', () => {
    const tok = official();
    expect(tok.decode(tok.encode('A Photo of a CAT, 85mm'))).toBe('a photo of a cat , 8 5 mm ');
    expect(tok.decode(tok.encode('東京の夜景'))).toBe('東京の夜景 ');
  });

  it('honours explicit special ids and context length', () => {
    const tok = createClipTokenizer(mergesText, { contextLength: 8, padToken: 7 });
    const want = prompts.find((p) => p.text === 'a photo of a cat') as PromptCase;
    expect([...tok.tokenize('a photo of a cat')]).toEqual(padded(want.idsLite, 8, 7));
    expect([...tok.tokenize(prompts[0].text)]).toEqual([49406, ...prompts[0].ids.slice(1, 7), 49407]);
    expect(() => createClipTokenizer(mergesText, { contextLength: 1 })).toThrow(ClipTokenizerError);
    expect(() => createClipTokenizer(mergesText, { startToken: 49408 })).toThrow(ClipTokenizerError);
  });

  it('refuses a malformed merges line', () => {
    expect(() => createClipTokenizer('#version: 0.2\na b\nc d e\n')).toThrow(/line 3 has 3 symbols/);
  });
});

describe('createClipTokenizer (no merges: one token per byte)', () => {
  const tok = createClipTokenizer('');
  const { order } = clipByteSymbols();

  it('has 514 ids: bytes, bytes + </w>, start, end', () => {
    expect([tok.vocabSize, tok.startToken, tok.endToken]).toEqual([514, 512, 513]);
    // OpenCLIP's byte order: '!' (0x21) is id 0, 'a' id 64, 'a</w>' 320, byte 0x00 id 188
    expect([order[0], order[64], order[188]]).toEqual([0x21, 0x61, 0x00]);
    expect([...tok.tokenize('ab a')].slice(0, 5)).toEqual([512, 64, 321, 320, 513]);
  });

  it('tokenizes the tiny bundle fixture prompts like its reference tokens', () => {
    const root = join(__dirname, '../../../../fixtures/bundles/tiny-random');
    const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
    const raw = readFileSync(join(root, 'reference/text-encoder-prompts.tokens.bin'));
    const ref = Array.from(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4));
    const ours = Array.from(
      tok.tokenizeToTensor([manifest.defaults.positivePrompt, manifest.defaults.negativePrompt]).data,
    );
    // tools/clip_tokenizer.py (which wrote the fixture) numbers the 512 byte symbols in byte
    // order instead of OpenCLIP's; accept that numbering until the fixture is regenerated.
    const byteOrder = ours.map((id) => (id < 256 ? order[id] : id < 512 ? 256 + order[id - 256] : id));
    expect(ours.length).toBe(154);
    expect(ours[76]).toBe(513); // both prompts are longer than 75 bytes
    expect(ours).toSatisfy((o: number[]) => o.join() === ref.join() || byteOrder.join() === ref.join());
  });
});
