import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GraphContract, graphContractsFor } from '../bundle/graph-contracts';
import { parseBundleManifest } from '../bundle/parse-bundle-manifest';
import type { ModelSession, Runtime, SessionOptions } from '../runtime/types';
import { type BundleSource, openBundle } from './open-bundle';

// openBundle against a runtime whose sessions report exactly (or deliberately not) the
// graph contracts, and a bundle source in memory: no ONNX involved.
const FIXTURE = join(__dirname, '..', '..', '..', '..', 'fixtures', 'bundles', 'tiny-random');
const manifestJson = JSON.parse(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8'));
const contracts = graphContractsFor(parseBundleManifest(manifestJson));
const FILE_TO_GRAPH: Record<string, GraphContract> = {
  'denoiser.onnx': contracts.denoiser,
  'vae_encoder.onnx': contracts.vaeEncoder,
  'vae_decoder.onnx': contracts.vaeDecoder,
  'cleaner.onnx': contracts.cleaner,
  'text_encoder.onnx': contracts.textEncoder,
};

function fakeRuntime(breakGraph?: string) {
  const created: { source: string; options?: SessionOptions }[] = [];
  let released = 0;
  const runtime: Runtime = {
    name: 'fake',
    async createSession(source, options) {
      const file = String(source);
      created.push({ source: file, options });
      const c = FILE_TO_GRAPH[file];
      const io = (list: GraphContract['inputs']) =>
        list.map((t) => ({ name: t.name, type: t.type, shape: [...t.shape] }));
      const session: ModelSession = {
        inputs: file === breakGraph ? [] : io(c.inputs),
        outputs: io(c.outputs),
        run: async () => ({}),
        release: async () => {
          released++;
        },
      };
      return session;
    },
  };
  return { runtime, created, released: () => released };
}

function memorySource(manifest: unknown, extra: Record<string, Uint8Array> = {}): BundleSource {
  return {
    location: 'memory:tiny-random',
    readFile: async (p) => {
      if (p === 'manifest.json') return new TextEncoder().encode(JSON.stringify(manifest));
      if (extra[p]) return extra[p];
      return new Uint8Array(readFileSync(join(FIXTURE, p)));
    },
    sessionSource: (p) => p,
  };
}

describe('openBundle', () => {
  it('creates a checked session per graph, maps the cleaner, decodes the embeddings', async () => {
    const { runtime, created } = fakeRuntime();
    const { manifest, model } = await openBundle(runtime, memorySource(manifestJson));
    expect(created.map((c) => c.source)).toEqual([
      'denoiser.onnx',
      'vae_encoder.onnx',
      'vae_decoder.onnx',
      'cleaner.onnx',
    ]);
    expect(model.cleaner?.info).toEqual({ scale: 1, sizeMultiple: 64, path: 'resize-then-clean' });
    expect(model.textEncoder).toBeUndefined(); // the fixture ships no tokenizer
    expect(model.prompts.positive.shape).toEqual([1, 77, 32]);
    expect(model.schedule.prediction).toBe(manifest.diffusion.prediction);
    expect(model.schedule.alphasCumprod[999]).toBe(0); // zero terminal SNR
    expect(model.defaults.sampler).toEqual({ kind: 'dpmpp-3m-sde' });
  });

  it('hands a graph its external-data files, named relative to the graph', async () => {
    const data = new Uint8Array([1, 2, 3, 4]);
    const withExternal = structuredClone(manifestJson);
    withExternal.components.denoiser.externalData = [
      { file: 'denoiser.onnx_data', sha256: 'c'.repeat(64), bytes: data.length },
    ];
    const { runtime, created } = fakeRuntime();
    await openBundle(runtime, memorySource(withExternal, { 'denoiser.onnx_data': data }), {
      session: { intraOpNumThreads: 2 },
    });
    expect(created[0].options).toEqual({
      intraOpNumThreads: 2,
      externalData: [{ path: 'denoiser.onnx_data', data: 'denoiser.onnx_data' }],
    });
    expect(created[1].options).toEqual({ intraOpNumThreads: 2 });
  });

  it('releases what it opened when a later graph breaks its contract', async () => {
    const { runtime, released } = fakeRuntime('vae_decoder.onnx');
    await expect(openBundle(runtime, memorySource(manifestJson))).rejects.toThrow(
      /vaeDecoder graph does not match its contract/,
    );
    expect(released()).toBe(3); // denoiser and encoder opened before, and the failing decoder itself
  });

  it('says clearly when a location is not a bundle', async () => {
    const { runtime } = fakeRuntime();
    const notBundle: BundleSource = {
      location: 'memory:empty',
      readFile: async () => {
        throw new Error('no such file');
      },
    };
    await expect(openBundle(runtime, notBundle)).rejects.toThrow(/memory:empty is not a model bundle/);
  });
});
