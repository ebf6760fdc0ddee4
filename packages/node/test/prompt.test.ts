// Prompts through the tiny bundle's real text_encoder.onnx on onnxruntime-node, compared with
// the PyTorch outputs make_fixture.py stored (reference/reference.json, tolerance 1e-4).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type BundleManifest,
  createClipTokenizer,
  encodePrompt,
  loadBundleTokenizer,
  parseBundleManifest,
} from '@diffrestore/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeRuntime } from '../src/runtime';
import { maxAbs } from './helpers';

const BUNDLE = path.resolve(__dirname, '../../../fixtures/bundles/tiny-random');
const manifest: BundleManifest = parseBundleManifest(
  JSON.parse(readFileSync(path.join(BUNDLE, 'manifest.json'), 'utf8')),
);
const reference = JSON.parse(readFileSync(path.join(BUNDLE, 'reference/reference.json'), 'utf8'));
const textCase = reference.cases.find((c: { name: string }) => c.name === 'text-encoder-prompts');
const floats = (file: string) => {
  const b = readFileSync(path.join(BUNDLE, file));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
};
const refTokens = floats(textCase.inputs[0].file);
const refContext = floats(textCase.outputs[0].file);
const texts = [manifest.defaults.positivePrompt, manifest.defaults.negativePrompt];

const runtime = createNodeRuntime({ worker: false, intraOpNumThreads: 1 });
afterAll(() => runtime.close());

describe('encodePrompt on onnxruntime-node', () => {
  it('gives the stored PyTorch context for the default prompts', async () => {
    const session = await runtime.createSession(path.join(BUNDLE, 'text_encoder.onnx'));
    expect(session.inputs[0]).toMatchObject({ name: 'tokens', type: 'int64' });
    const tok = createClipTokenizer(''); // the fixture was tokenized with no merges (tools/make_fixture.py)
    expect(Array.from(tok.tokenizeToTensor(texts).data)).toEqual(Array.from(refTokens));

    const both = await encodePrompt(session, tok, texts);
    expect(both.shape).toEqual(textCase.outputs[0].shape);
    expect(maxAbs(both.data, refContext)).toBeLessThanOrEqual(reference.tolerance.maxAbs);
    const negative = await encodePrompt(session, tok, texts[1]);
    expect(negative.shape).toEqual([1, 77, manifest.diffusion.context.dim]);
    expect(maxAbs(negative.data, refContext.subarray(77 * manifest.diffusion.context.dim))).toBeLessThanOrEqual(1e-4);
    // the empty prompt is encoded too, and is not a zero tensor
    const empty = await encodePrompt(session, tok, '');
    expect(maxAbs(empty.data, new Float32Array(empty.data.length))).toBeGreaterThan(1e-3);
    await session.release();
  });

  it('reports that the fixture bundle ships no tokenizer', async () => {
    const read = async (p: string) => new Uint8Array(readFileSync(path.join(BUNDLE, p)));
    await expect(loadBundleTokenizer(manifest, read)).rejects.toThrow(/no tokenizer/);
  });
});
