import type { Tensor } from '../tensor/tensor';
import { decodeUtf8 } from '../util/utf8';
import { cleanClipText, PYTHON_WHITESPACE } from './clean-text';

/** OpenCLIP's spelling of the special tokens (OpenAI's CLIP writes `<|startoftext|>`). */
export const CLIP_START_OF_TEXT = '<start_of_text>';
export const CLIP_END_OF_TEXT = '<end_of_text>';
/** Marks the last symbol of a word in the vocabulary. */
export const CLIP_END_OF_WORD = '</w>';
/** Merges OpenCLIP reads from the merges file: 49152 - 256 - 2 (49408 ids in all). */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;
export const CLIP_CONTEXT_LENGTH = 77;

/** Options of {@link createClipTokenizer}. */
export interface ClipTokenizerOptions {
  /** Id written first; default: the vocabulary's `<start_of_text>` (49406 with the official merges). */
  readonly startToken?: number;
  /** Id written last, also after truncation; default: the vocabulary's `<end_of_text>` (49407). */
  readonly endToken?: number;
  /** Id filling the rest of the context; default 0 (OpenCLIP pads with zeros, not with the end token). */
  readonly padToken?: number;
  /** Tokens per prompt, start and end included; default 77. */
  readonly contextLength?: number;
  /** Merge lines read after the header line; default {@link CLIP_MERGE_COUNT} (48894), as OpenCLIP. */
  readonly maxMerges?: number;
  /** Words whose BPE ids are remembered; default 20000 (the cache is cleared when full). */
  readonly cacheSize?: number;
}

/** CLIP's byte-level BPE tokenizer: text -> fixed-length token ids. */
export interface ClipTokenizer {
  /** Number of ids: 512 byte symbols + merges + 2 special tokens (49408 official). */
  readonly vocabSize: number;
  readonly mergeCount: number;
  readonly startToken: number;
  readonly endToken: number;
  readonly padToken: number;
  readonly contextLength: number;
  /** BPE ids of the cleaned text, without start/end tokens and without truncation. */
  encode(text: string): number[];
  /** `[start, ...ids, end, pad, ...]`, `contextLength` long; too long a prompt keeps its end token. */
  tokenize(text: string): Int32Array;
  /** Token ids of several prompts as a float32 tensor (B, contextLength): the text encoder's feed. */
  tokenizeToTensor(texts: string | readonly string[]): Tensor;
  /** Ids back to text (`</w>` becomes a space), for display; invalid UTF-8 becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string;
}

/**
 * GPT-2/CLIP's reversible byte -> character table, in vocabulary order: printable Latin-1
 * bytes map to themselves and come first, the other 68 bytes follow as U+0100... in byte
 * order. Returns `order[id] = byte` and `chars[byte] = character`.
 */
export function clipByteSymbols(): { readonly order: readonly number[]; readonly chars: readonly string[] } {
  const order: number[] = [];
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  for (let b = 0; b < 256; b++) if (printable(b)) order.push(b);
  const chars: string[] = new Array(256);
  for (const b of order) chars[b] = String.fromCharCode(b);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable(b)) {
      order.push(b);
      chars[b] = String.fromCharCode(256 + extra++);
    }
  }
  return { order, chars };
}

const PRETOKEN = new RegExp(
  `${CLIP_START_OF_TEXT}|${CLIP_END_OF_TEXT}|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${PYTHON_WHITESPACE}\\p{L}\\p{N}]+`,
  'giu',
);
// Under the regex module's IGNORECASE, U+0345 (which case-folds to a letter) matches none of
// the pattern's classes and so separates pieces like a space; JavaScript's /i would call it a letter.
const YPOGEGRAMMENI = /\u0345/g;
const MERGE_LINE = new RegExp(`[${PYTHON_WHITESPACE}]+`);

/** Thrown for a merges file that cannot be a CLIP BPE vocabulary. */
export class ClipTokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClipTokenizerError';
  }
}

/** Parses merge lines: first line is a header, blank lines are skipped, the rest are "a b" pairs. */
function parseMerges(mergesText: string, maxMerges: number): [string, string][] {
  const lines = mergesText.split('\n');
  const merges: [string, string][] = [];
  const last = Math.min(lines.length, maxMerges + 1);
  for (let i = 1; i < last; i++) {
    const parts = lines[i].split(MERGE_LINE).filter((p) => p.length > 0);
    if (parts.length === 0) continue;
    if (parts.length !== 2) {
      throw new ClipTokenizerError(`merges line ${i + 1} has ${parts.length} symbols, expected 2: '${lines[i]}'`);
    }
    merges.push([parts[0], parts[1]]);
  }
  return merges;
}

function checkId(name: string, id: number, vocabSize: number): number {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new ClipTokenizerError(`${name} ${id} is not an id of this vocabulary (0..${vocabSize - 1})`);
  }
  return id;
}

/**
 * CLIP's byte-level BPE exactly as OpenCLIP's `SimpleTokenizer` (the one DiffBIR's text
 * encoder was trained with), built from the merges file's text (`bpe_simple_vocab_16e6.txt`,
 * uncompressed: see `gunzip`). Vocabulary: 256 byte symbols, the same with `</w>`, one entry
 * per merge (its two symbols joined), `<start_of_text>`, `<end_of_text>`; a merge's rank is
 * its line order. Text cleaning: {@link cleanClipText}.
 */
export function createClipTokenizer(mergesText: string, options: ClipTokenizerOptions = {}): ClipTokenizer {
  const merges = parseMerges(mergesText, options.maxMerges ?? CLIP_MERGE_COUNT);
  const { order, chars } = clipByteSymbols();
  const vocab: string[] = order.map((b) => chars[b]);
  for (const b of order) vocab.push(chars[b] + CLIP_END_OF_WORD);
  for (const [a, b] of merges) vocab.push(a + b);
  vocab.push(CLIP_START_OF_TEXT, CLIP_END_OF_TEXT);
  // a later duplicate wins, as in Python's dict(zip(vocab, range(...)))
  const encoder = new Map<string, number>();
  for (let id = 0; id < vocab.length; id++) encoder.set(vocab[id], id);
  const ranks = new Map<string, number>();
  for (let rank = 0; rank < merges.length; rank++) ranks.set(merges[rank].join(' '), rank);

  const vocabSize = vocab.length;
  const startToken = checkId('startToken', options.startToken ?? vocabSize - 2, vocabSize);
  const endToken = checkId('endToken', options.endToken ?? vocabSize - 1, vocabSize);
  const padToken = checkId('padToken', options.padToken ?? 0, vocabSize);
  const contextLength = options.contextLength ?? CLIP_CONTEXT_LENGTH;
  if (!Number.isInteger(contextLength) || contextLength < 2) {
    throw new ClipTokenizerError(`contextLength must be an integer >= 2, got ${contextLength}`);
  }
  const cacheSize = options.cacheSize ?? 20000;
  const special = new Map<string, readonly number[]>([
    [CLIP_START_OF_TEXT, [encoder.get(CLIP_START_OF_TEXT) as number]],
    [CLIP_END_OF_TEXT, [encoder.get(CLIP_END_OF_TEXT) as number]],
  ]);
  const cache = new Map<string, readonly number[]>();

  const bpe = (word: string): readonly number[] => {
    const hit = special.get(word) ?? cache.get(word);
    if (hit) return hit;
    let symbols = [...word.slice(0, -1)];
    symbols.push(word.slice(-1) + CLIP_END_OF_WORD);
    while (symbols.length > 1) {
      let best = Number.POSITIVE_INFINITY;
      let first = '';
      let second = '';
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < best) [best, first, second] = [r, symbols[i], symbols[i + 1]];
      }
      if (best === Number.POSITIVE_INFINITY) break;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i + 1 < symbols.length && symbols[i] === first && symbols[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else merged.push(symbols[i]);
      }
      symbols = merged;
    }
    const ids = symbols.map((s) => encoder.get(s) as number);
    if (cache.size >= cacheSize) cache.clear();
    cache.set(word, ids);
    return ids;
  };

  const byteWord = (piece: string): string => {
    let word = '';
    for (const ch of piece) {
      let cp = ch.codePointAt(0) as number;
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      if (cp < 0x80) word += chars[cp];
      else if (cp < 0x800) word += chars[0xc0 | (cp >> 6)] + chars[0x80 | (cp & 0x3f)];
      else if (cp < 0x10000) {
        word += chars[0xe0 | (cp >> 12)] + chars[0x80 | ((cp >> 6) & 0x3f)] + chars[0x80 | (cp & 0x3f)];
      } else {
        word +=
          chars[0xf0 | (cp >> 18)] +
          chars[0x80 | ((cp >> 12) & 0x3f)] +
          chars[0x80 | ((cp >> 6) & 0x3f)] +
          chars[0x80 | (cp & 0x3f)];
      }
    }
    return word;
  };

  const encode = (text: string): number[] => {
    const ids: number[] = [];
    for (const m of cleanClipText(text).replace(YPOGEGRAMMENI, ' ').matchAll(PRETOKEN)) {
      // the special tokens' characters are all printable ASCII, so they map to themselves
      for (const id of bpe(byteWord(m[0]))) ids.push(id);
    }
    return ids;
  };

  const tokenizeInto = (text: string, out: Int32Array | Float32Array, offset: number): void => {
    const ids = encode(text);
    const n = Math.min(ids.length, contextLength - 2);
    out.fill(padToken, offset, offset + contextLength);
    out[offset] = startToken;
    for (let i = 0; i < n; i++) out[offset + 1 + i] = ids[i];
    out[offset + 1 + n] = endToken;
  };

  const byteOf = new Map<string, number>(chars.map((c, b) => [c, b]));

  return {
    vocabSize,
    mergeCount: merges.length,
    startToken,
    endToken,
    padToken,
    contextLength,
    encode,
    tokenize(text) {
      const out = new Int32Array(contextLength);
      tokenizeInto(text, out, 0);
      return out;
    },
    tokenizeToTensor(texts) {
      const list = typeof texts === 'string' ? [texts] : texts;
      const data = new Float32Array(list.length * contextLength);
      for (let row = 0; row < list.length; row++) tokenizeInto(list[row], data, row * contextLength);
      return { data, shape: [list.length, contextLength] };
    },
    decode(ids) {
      const bytes: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        const token = vocab[ids[i]];
        if (token === undefined) throw new ClipTokenizerError(`id ${ids[i]} is not in the vocabulary`);
        for (const ch of token) bytes.push(byteOf.get(ch) ?? 0x3f);
      }
      return decodeUtf8(Uint8Array.from(bytes)).split(CLIP_END_OF_WORD).join(' ');
    },
  };
}
