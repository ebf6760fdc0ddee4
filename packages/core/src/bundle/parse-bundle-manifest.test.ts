import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundleManifestError, parseBundleManifest } from './parse-bundle-manifest';

const FIXTURE = join(__dirname, '..', '..', '..', '..', 'fixtures', 'bundles', 'tiny-random');
// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary manifest JSON
type Json = Record<string, any>;
const raw = (): Json => JSON.parse(readFileSync(join(FIXTURE, 'manifest.json'), 'utf8'));

/** Applies `edit` to a fresh copy of the fixture manifest and returns the parse error. */
function errorOf(edit: (m: Json) => void): BundleManifestError {
  const m = raw();
  edit(m);
  try {
    parseBundleManifest(m);
  } catch (e) {
    expect(e).toBeInstanceOf(BundleManifestError);
    return e as BundleManifestError;
  }
  throw new Error('expected parseBundleManifest to throw');
}

describe('parseBundleManifest on the committed fixture (written by tools/make_fixture.py)', () => {
  const m = parseBundleManifest(raw());

  it('reads the graph components and cleaner facts', () => {
    expect(m.components.denoiser.file).toBe('denoiser.onnx');
    expect(m.components.vaeEncoder.file).toBe('vae_encoder.onnx');
    expect(m.components.vaeDecoder.file).toBe('vae_decoder.onnx');
    expect(m.components.cleaner).toMatchObject({ kind: 'swinir', scale: 1, sizeMultiple: 64, preprocess: 'swinir' });
    expect(m.components.textEncoder?.file).toBe('text_encoder.onnx');
    expect(m.components.textEncoder?.tokenizer).toBeUndefined();
  });

  it('carries the SD latent and LDM schedule numbers (diffbir-inference.md §4-5)', () => {
    expect(m.latent).toEqual({ channels: 4, downscale: 8, scalingFactor: 0.18215 });
    expect(m.diffusion.schedule).toEqual({
      kind: 'ldm-linear',
      betaStart: 0.00085,
      betaEnd: 0.012,
      steps: 1000,
      zeroTerminalSnr: true,
    });
    expect(m.diffusion.prediction).toBe('v');
    expect(m.diffusion.controlOutputs).toBe(13);
  });

  it('has v2.1 defaults and embeddings of shape (1, L, D)', () => {
    expect(m.defaults).toMatchObject({ sampler: 'edm_dpm++_3m_sde', steps: 10, cfgScale: 6, seed: 231 });
    const { length, dim } = m.diffusion.context;
    expect(m.embeddings.positive.shape).toEqual([1, length, dim]);
    expect(m.embeddings.positive.text).toBe(m.defaults.positivePrompt);
    expect(m.embeddings.negative.text).toBe(m.defaults.negativePrompt);
  });

  it('reads the optional default guidance scale, absent in the release-style fixture', () => {
    expect(m.defaults.guidanceScale).toBeUndefined();
    const withGuidance = raw();
    withGuidance.defaults.guidanceScale = 1.5;
    expect(parseBundleManifest(withGuidance).defaults.guidanceScale).toBe(1.5);
    expect(
      errorOf((x) => {
        x.defaults.guidanceScale = -1;
      }).message,
    ).toMatch(/defaults\.guidanceScale.*>= 0/);
  });

  it('drops unknown fields instead of passing them through', () => {
    const withExtra = { ...raw(), surprise: 1 };
    expect('surprise' in parseBundleManifest(withExtra)).toBe(false);
  });
});

describe('parseBundleManifest rejects broken manifests, naming the field', () => {
  const cases: [string, (m: Json) => void, string, RegExp][] = [
    [
      'not an object',
      (m) => {
        for (const k of Object.keys(m)) delete m[k];
      },
      'format',
      /expected "diffrestore-bundle"/,
    ],
    ['wrong format', (m) => (m.format = 'other'), 'format', /expected "diffrestore-bundle", got "other"/],
    ['newer version', (m) => (m.version = 2), 'version', /newer than this SDK reads \(1\)/],
    ['version as string', (m) => (m.version = '1'), 'version', /expected 1/],
    ['missing denoiser', (m) => delete m.components.denoiser, 'components.denoiser', /required component is missing/],
    ['missing vae decoder', (m) => delete m.components.vaeDecoder, 'components.vaeDecoder', /missing/],
    ['bad schedule kind', (m) => (m.diffusion.schedule.kind = 'cosine'), 'diffusion.schedule.kind', /"ldm-linear"/],
    ['beta out of range', (m) => (m.diffusion.schedule.betaStart = 1.5), 'diffusion.schedule.betaStart', /\(0, 1\)/],
    ['betas reversed', (m) => (m.diffusion.schedule.betaEnd = 0.0001), 'diffusion.schedule.betaEnd', /betaStart/],
    ['fractional steps', (m) => (m.diffusion.schedule.steps = 999.5), 'diffusion.schedule.steps', /integer/],
    [
      'zsnr not boolean',
      (m) => (m.diffusion.schedule.zeroTerminalSnr = 'yes'),
      'diffusion.schedule.zeroTerminalSnr',
      /true or false/,
    ],
    ['bad prediction', (m) => (m.diffusion.prediction = 'x0'), 'diffusion.prediction', /"epsilon", "v"/],
    ['bad precision', (m) => (m.precision = 'int8'), 'precision', /"fp32", "fp16"/],
    ['bad sha256', (m) => (m.components.denoiser.sha256 = 'ABC'), 'components.denoiser.sha256', /64 lower-case hex/],
    ['negative bytes', (m) => (m.components.vaeEncoder.bytes = -1), 'components.vaeEncoder.bytes', />= 0/],
    [
      'escaping path',
      (m) => (m.components.denoiser.file = '../denoiser.onnx'),
      'components.denoiser.file',
      /inside the bundle/,
    ],
    [
      'absolute path',
      (m) => (m.components.denoiser.file = '/tmp/x.onnx'),
      'components.denoiser.file',
      /inside the bundle/,
    ],
    [
      'duplicate file',
      (m) => (m.components.vaeDecoder.file = 'vae_encoder.onnx'),
      'components.vaeDecoder.file',
      /also used by/,
    ],
    [
      'cleaner preprocess',
      (m) => (m.components.cleaner.preprocess = 'resize'),
      'components.cleaner.preprocess',
      /"swinir", "bsrnet"/,
    ],
    ['cleaner scale 0', (m) => (m.components.cleaner.scale = 0), 'components.cleaner.scale', /integer >= 1/],
    [
      'missing licence',
      (m) => delete m.components.cleaner.licence,
      'components.cleaner.licence',
      /expected a string, got missing/,
    ],
    [
      'embedding shape',
      (m) => (m.embeddings.positive.shape = [1, 77, 31]),
      'embeddings.positive.shape',
      /expected \[1, 77, 32\]/,
    ],
    ['embedding bytes', (m) => (m.embeddings.negative.bytes = 4), 'embeddings.negative.bytes', /takes 9856 bytes/],
    [
      'embedding dtype',
      (m) => (m.embeddings.negative.dtype = 'bfloat16'),
      'embeddings.negative.dtype',
      /"float32", "float16"/,
    ],
    ['missing defaults', (m) => delete m.defaults, 'defaults', /expected an object, got missing/],
    ['bad created date', (m) => (m.provenance.created = 'yesterday'), 'provenance.created', /ISO-8601/],
    [
      'bad source sha',
      (m) => m.provenance.sources.push({ role: 'sd', file: 'a', sha256: 'x', bytes: 1 }),
      'provenance.sources[0].sha256',
      /hex/,
    ],
  ];
  it.each(cases)('%s', (_name, edit, field, message) => {
    const e = errorOf(edit);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(field);
  });

  it('accepts an fp16 embedding whose byte count is half', () => {
    const m = raw();
    m.embeddings.positive.dtype = 'float16';
    m.embeddings.positive.bytes = 77 * 32 * 2;
    expect(parseBundleManifest(m).embeddings.positive.dtype).toBe('float16');
  });

  it('accepts a bundle without cleaner and text encoder (both optional)', () => {
    const m = raw();
    delete m.components.cleaner;
    delete m.components.textEncoder;
    const parsed = parseBundleManifest(m);
    expect(parsed.components.cleaner).toBeUndefined();
    expect(parsed.components.textEncoder).toBeUndefined();
  });
});
