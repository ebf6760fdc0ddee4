import type { BundleManifest } from '../bundle/manifest';
import type { ModelSession } from '../runtime/types';
import type { Tensor } from '../tensor/tensor';
import type { AbortSignalLike } from '../util/abort';
import { decodeUtf8 } from '../util/utf8';
import { CLIP_MERGE_COUNT, type ClipTokenizer, ClipTokenizerError, createClipTokenizer } from './clip-tokenizer';
import { gunzip, isGzip } from './inflate';

/** What {@link encodePrompt} needs of a tokenizer. */
export type PromptTokenizer = Pick<ClipTokenizer, 'tokenizeToTensor'>;

/** Options of {@link encodePrompt}. */
export interface EncodePromptOptions {
  readonly signal?: AbortSignalLike;
  /** Graph input fed the token ids; default 'tokens' when present, else the first input. */
  readonly inputName?: string;
  /** Graph output read; default 'context' when present, else the first output. */
  readonly outputName?: string;
}

function pick(names: readonly { name: string }[], wanted: string | undefined, fallback: string, what: string): string {
  if (wanted !== undefined) {
    if (!names.some((n) => n.name === wanted)) {
      throw new Error(`text encoder has no ${what} '${wanted}' (has ${names.map((n) => n.name).join(', ')})`);
    }
    return wanted;
  }
  if (names.some((n) => n.name === fallback)) return fallback;
  if (names.length === 0) throw new Error(`text encoder has no ${what}s`);
  return names[0].name;
}

/**
 * Runs prompts through a bundle's text encoder (`text_encoder.onnx`: tokens int64 (B, 77) ->
 * context (B, 77, D)): one string gives (1, 77, D), a list (B, 77, D), ready to replace
 * the bundle's default embeddings. Token ids are fed as a float32 tensor; the runtime
 * converts them to the graph's int64 (exact: ids are far below 2^24).
 */
export async function encodePrompt(
  session: ModelSession,
  tokenizer: PromptTokenizer,
  text: string | readonly string[],
  options: EncodePromptOptions = {},
): Promise<Tensor> {
  const input = pick(session.inputs, options.inputName, 'tokens', 'input');
  const output = pick(session.outputs, options.outputName, 'context', 'output');
  const tokens = tokenizer.tokenizeToTensor(text);
  const result = await session.run({ [input]: tokens }, { signal: options.signal });
  const context = result[output];
  if (!context) throw new Error(`text encoder returned no '${output}'`);
  if (context.shape.length !== 3 || context.shape[0] !== tokens.shape[0] || context.shape[1] !== tokens.shape[1]) {
    throw new Error(
      `text encoder output '${output}' has shape [${context.shape.join(', ')}], expected [${tokens.shape.join(', ')}, D]`,
    );
  }
  return context;
}

/**
 * The text of a merges file from its bytes, gzipped (`bpe_simple_vocab_16e6.txt.gz`) or
 * plain: only the header and the first `maxMerges` lines are decoded (the official file has
 * 262144 merges, OpenCLIP reads 48894), for `createClipTokenizer`.
 */
export function readClipMerges(bytes: Uint8Array, maxMerges: number = CLIP_MERGE_COUNT): string {
  const raw = isGzip(bytes) ? gunzip(bytes) : bytes;
  let end = 0;
  for (let line = 0; line <= maxMerges && end < raw.length; line++) {
    const nl = raw.indexOf(0x0a, end);
    end = nl < 0 ? raw.length : nl + 1;
  }
  return decodeUtf8(raw.subarray(0, end));
}

/** Reads one file of a bundle by its manifest path (relative, '/'-separated). */
export type BundleFileReader = (path: string) => Promise<Uint8Array>;

/**
 * The tokenizer a bundle ships (`components.textEncoder.tokenizer`, the CLIP merges file,
 * gzipped or plain), with the bundle's special-token ids and context length. Throws when
 * the bundle has none (then the caller brings its own merges to `createClipTokenizer`) or
 * when the file's vocabulary does not give the ids the manifest names.
 */
export async function loadBundleTokenizer(
  manifest: BundleManifest,
  readFile: BundleFileReader,
): Promise<ClipTokenizer> {
  const ref = manifest.components.textEncoder?.tokenizer;
  if (!ref) {
    throw new ClipTokenizerError(
      manifest.components.textEncoder
        ? `bundle '${manifest.name}' has a text encoder but no tokenizer: tokenize prompts with createClipTokenizer(merges)`
        : `bundle '${manifest.name}' has no text encoder: only its default prompt embeddings can be used`,
    );
  }
  if (ref.kind !== 'clip-bpe') throw new ClipTokenizerError(`unknown tokenizer kind '${ref.kind}'`);
  const text = readClipMerges(await readFile(ref.file));
  const tokenizer = createClipTokenizer(text, {
    padToken: ref.padToken,
    contextLength: manifest.diffusion.context.length,
  });
  if (tokenizer.startToken !== ref.startToken || tokenizer.endToken !== ref.endToken) {
    throw new ClipTokenizerError(
      `${ref.file} gives start/end ids ${tokenizer.startToken}/${tokenizer.endToken}, the manifest says ` +
        `${ref.startToken}/${ref.endToken}: wrong or truncated merges file`,
    );
  }
  return tokenizer;
}
