import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleDefaults,
  type BundleFileRef,
  type BundleManifest,
  type CleanerComponent,
  type DiffusionSpec,
  type EmbeddingRef,
  type GraphComponent,
  type LatentSpec,
  type Provenance,
  type ScheduleSpec,
  type SourceCheckpoint,
  type TextEncoderComponent,
  type TokenizerRef,
} from './manifest';

/** A manifest that does not follow the bundle format; `field` is the dotted path of the bad value. */
export class BundleManifestError extends Error {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(`bundle manifest: ${field === '' ? '' : `${field}: `}${problem}`);
    this.name = 'BundleManifestError';
    this.field = field;
  }
}

type Obj = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function object(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new BundleManifestError(path, `expected an object, got ${describe(v)}`);
  }
  return v as Obj;
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new BundleManifestError(join(path, key), `expected a string, got ${describe(v)}`);
  return v;
}

function nonEmpty(o: Obj, key: string, path: string): string {
  const v = str(o, key, path);
  if (v.length === 0) throw new BundleManifestError(join(path, key), 'must not be empty');
  return v;
}

function num(o: Obj, key: string, path: string, check?: (n: number) => string | undefined): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new BundleManifestError(join(path, key), `expected a finite number, got ${describe(v)}`);
  }
  const problem = check?.(v);
  if (problem) throw new BundleManifestError(join(path, key), `${problem}, got ${v}`);
  return v;
}

const integerAtLeast =
  (min: number) =>
  (n: number): string | undefined =>
    Number.isInteger(n) && n >= min ? undefined : `expected an integer >= ${min}`;
const positive = (n: number): string | undefined => (n > 0 ? undefined : 'expected a positive number');
const nonNegative = (n: number): string | undefined => (n >= 0 ? undefined : 'expected a number >= 0');

function bool(o: Obj, key: string, path: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean')
    throw new BundleManifestError(join(path, key), `expected true or false, got ${describe(v)}`);
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, allowed: readonly T[]): T {
  const v = o[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new BundleManifestError(
      join(path, key),
      `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(v)}`,
    );
  }
  return v as T;
}

function optional<T>(o: Obj, key: string, read: () => T): T | undefined {
  return o[key] === undefined ? undefined : read();
}

function array(o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new BundleManifestError(join(path, key), `expected an array, got ${describe(v)}`);
  return v;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A relative, '/'-separated path that stays inside the bundle folder. */
function bundlePath(o: Obj, key: string, path: string): string {
  const p = nonEmpty(o, key, path);
  const bad =
    p.startsWith('/') ||
    p.includes('\\') ||
    /^[a-zA-Z]:/.test(p) ||
    p.split('/').some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new BundleManifestError(join(path, key), `"${p}" is not a relative path inside the bundle`);
  return p;
}

function sha256(o: Obj, key: string, path: string): string {
  const v = str(o, key, path);
  if (!SHA256.test(v))
    throw new BundleManifestError(join(path, key), `expected 64 lower-case hex digits, got ${describe(v)}`);
  return v;
}

function fileRef(v: unknown, path: string): BundleFileRef {
  const o = object(v, path);
  return {
    file: bundlePath(o, 'file', path),
    sha256: sha256(o, 'sha256', path),
    bytes: num(o, 'bytes', path, integerAtLeast(0)),
  };
}

function graph(v: unknown, path: string): GraphComponent {
  const o = object(v, path);
  const ref = fileRef(o, path);
  const externalData = optional(o, 'externalData', () =>
    array(o, 'externalData', path).map((e, i) => fileRef(e, join(join(path, 'externalData'), i))),
  );
  const parameters = optional(o, 'parameters', () => num(o, 'parameters', path, integerAtLeast(0)));
  return {
    ...ref,
    ...(externalData ? { externalData } : {}),
    licence: nonEmpty(o, 'licence', path),
    opset: num(o, 'opset', path, integerAtLeast(1)),
    ...(parameters !== undefined ? { parameters } : {}),
  };
}

function cleaner(v: unknown, path: string): CleanerComponent {
  const o = object(v, path);
  return {
    ...graph(o, path),
    kind: nonEmpty(o, 'kind', path),
    scale: num(o, 'scale', path, integerAtLeast(1)),
    sizeMultiple: num(o, 'sizeMultiple', path, integerAtLeast(1)),
    preprocess: oneOf(o, 'preprocess', path, ['swinir', 'bsrnet'] as const),
  };
}

function tokenizer(v: unknown, path: string): TokenizerRef {
  const o = object(v, path);
  return {
    ...fileRef(o, path),
    kind: oneOf(o, 'kind', path, ['clip-bpe'] as const),
    startToken: num(o, 'startToken', path, integerAtLeast(0)),
    endToken: num(o, 'endToken', path, integerAtLeast(0)),
    padToken: num(o, 'padToken', path, integerAtLeast(0)),
  };
}

function textEncoder(v: unknown, path: string): TextEncoderComponent {
  const o = object(v, path);
  const tok = optional(o, 'tokenizer', () => tokenizer(o.tokenizer, join(path, 'tokenizer')));
  return { ...graph(o, path), ...(tok ? { tokenizer: tok } : {}) };
}

function latent(v: unknown, path: string): LatentSpec {
  const o = object(v, path);
  return {
    channels: num(o, 'channels', path, integerAtLeast(1)),
    downscale: num(o, 'downscale', path, integerAtLeast(1)),
    scalingFactor: num(o, 'scalingFactor', path, positive),
  };
}

function schedule(v: unknown, path: string): ScheduleSpec {
  const o = object(v, path);
  const kind = oneOf(o, 'kind', path, ['ldm-linear'] as const);
  const inUnit = (n: number) => (n > 0 && n < 1 ? undefined : 'expected a number in (0, 1)');
  const betaStart = num(o, 'betaStart', path, inUnit);
  const betaEnd = num(o, 'betaEnd', path, inUnit);
  if (betaEnd < betaStart) {
    throw new BundleManifestError(join(path, 'betaEnd'), `must be >= betaStart (${betaStart}), got ${betaEnd}`);
  }
  return {
    kind,
    betaStart,
    betaEnd,
    steps: num(o, 'steps', path, integerAtLeast(2)),
    zeroTerminalSnr: bool(o, 'zeroTerminalSnr', path),
  };
}

function diffusion(v: unknown, path: string): DiffusionSpec {
  const o = object(v, path);
  const ctxPath = join(path, 'context');
  const ctx = object(o.context, ctxPath);
  return {
    prediction: oneOf(o, 'prediction', path, ['epsilon', 'v'] as const),
    schedule: schedule(o.schedule, join(path, 'schedule')),
    controlOutputs: num(o, 'controlOutputs', path, integerAtLeast(1)),
    context: {
      length: num(ctx, 'length', ctxPath, integerAtLeast(1)),
      dim: num(ctx, 'dim', ctxPath, integerAtLeast(1)),
    },
  };
}

function defaults(v: unknown, path: string): BundleDefaults {
  const o = object(v, path);
  return {
    sampler: nonEmpty(o, 'sampler', path),
    steps: num(o, 'steps', path, integerAtLeast(1)),
    cfgScale: num(o, 'cfgScale', path, nonNegative),
    positivePrompt: str(o, 'positivePrompt', path),
    negativePrompt: str(o, 'negativePrompt', path),
    seed: num(o, 'seed', path, integerAtLeast(0)),
    controlScale: num(o, 'controlScale', path, nonNegative),
    minShortSide: num(o, 'minShortSide', path, integerAtLeast(1)),
    guidanceScale: optional(o, 'guidanceScale', () => num(o, 'guidanceScale', path, nonNegative)),
  };
}

function embedding(v: unknown, path: string, context: DiffusionSpec['context']): EmbeddingRef {
  const o = object(v, path);
  const ref = fileRef(o, path);
  const dtype = oneOf(o, 'dtype', path, ['float32', 'float16'] as const);
  const shape = array(o, 'shape', path).map((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) {
      throw new BundleManifestError(join(join(path, 'shape'), i), `expected a positive integer, got ${describe(d)}`);
    }
    return d;
  });
  const want = [1, context.length, context.dim];
  if (shape.length !== 3 || shape.some((d, i) => d !== want[i])) {
    throw new BundleManifestError(
      join(path, 'shape'),
      `expected [${want.join(', ')}] (1, diffusion.context.length, diffusion.context.dim), got [${shape.join(', ')}]`,
    );
  }
  const expectedBytes = shape.reduce((a, b) => a * b, 1) * (dtype === 'float16' ? 2 : 4);
  if (ref.bytes !== expectedBytes) {
    throw new BundleManifestError(
      join(path, 'bytes'),
      `${dtype} [${shape.join(', ')}] takes ${expectedBytes} bytes, got ${ref.bytes}`,
    );
  }
  return { ...ref, dtype, shape, text: str(o, 'text', path) };
}

function provenance(v: unknown, path: string): Provenance {
  const o = object(v, path);
  const created = nonEmpty(o, 'created', path);
  if (Number.isNaN(Date.parse(created))) {
    throw new BundleManifestError(join(path, 'created'), `expected an ISO-8601 date, got ${describe(created)}`);
  }
  const sources = array(o, 'sources', path).map((s, i): SourceCheckpoint => {
    const p = join(join(path, 'sources'), i);
    const so = object(s, p);
    return {
      role: nonEmpty(so, 'role', p),
      file: nonEmpty(so, 'file', p),
      sha256: sha256(so, 'sha256', p),
      bytes: num(so, 'bytes', p, integerAtLeast(0)),
    };
  });
  const release = optional(o, 'release', () => nonEmpty(o, 'release', path));
  const seed = optional(o, 'seed', () => num(o, 'seed', path, integerAtLeast(0)));
  return {
    tool: nonEmpty(o, 'tool', path),
    toolVersion: nonEmpty(o, 'toolVersion', path),
    created,
    randomWeights: bool(o, 'randomWeights', path),
    sources,
    ...(release !== undefined ? { release } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

function assertDistinctFiles(m: BundleManifest): void {
  const seen = new Map<string, string>();
  const add = (file: string, where: string) => {
    const before = seen.get(file);
    if (before) throw new BundleManifestError(where, `file "${file}" is also used by ${before}`);
    seen.set(file, where);
  };
  for (const [name, c] of Object.entries(m.components)) {
    if (!c) continue;
    const g = c as GraphComponent & { tokenizer?: TokenizerRef };
    add(g.file, `components.${name}.file`);
    g.externalData?.forEach((e, i) => {
      add(e.file, `components.${name}.externalData[${i}].file`);
    });
    if (g.tokenizer) add(g.tokenizer.file, `components.${name}.tokenizer.file`);
  }
  add(m.embeddings.positive.file, 'embeddings.positive.file');
  add(m.embeddings.negative.file, 'embeddings.negative.file');
}

/**
 * Validates a parsed `manifest.json` and returns it typed. Throws a BundleManifestError
 * naming the first bad field (a newer version, a missing component, a bad schedule, an
 * embedding whose byte size does not match its shape, ...). Unknown fields are dropped.
 */
export function parseBundleManifest(json: unknown): BundleManifest {
  const o = object(json, '');
  if (o.format !== BUNDLE_FORMAT) {
    throw new BundleManifestError('format', `expected "${BUNDLE_FORMAT}", got ${describe(o.format)}`);
  }
  if (o.version !== BUNDLE_VERSION) {
    const newer = typeof o.version === 'number' && o.version > BUNDLE_VERSION;
    throw new BundleManifestError(
      'version',
      newer
        ? `bundle version ${o.version} is newer than this SDK reads (${BUNDLE_VERSION}); update @diffrestore/core`
        : `expected ${BUNDLE_VERSION}, got ${describe(o.version)}`,
    );
  }
  const comps = object(o.components, 'components');
  for (const required of ['denoiser', 'vaeEncoder', 'vaeDecoder']) {
    if (comps[required] === undefined)
      throw new BundleManifestError(`components.${required}`, 'required component is missing');
  }
  const cleanerC = optional(comps, 'cleaner', () => cleaner(comps.cleaner, 'components.cleaner'));
  const textC = optional(comps, 'textEncoder', () => textEncoder(comps.textEncoder, 'components.textEncoder'));
  const diff = diffusion(o.diffusion, 'diffusion');
  const emb = object(o.embeddings, 'embeddings');
  const description = optional(o, 'description', () => str(o, 'description', ''));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    name: nonEmpty(o, 'name', ''),
    ...(description !== undefined ? { description } : {}),
    precision: oneOf(o, 'precision', '', ['fp32', 'fp16'] as const),
    ioDtype: oneOf(o, 'ioDtype', '', ['float32', 'float16'] as const),
    components: {
      denoiser: graph(comps.denoiser, 'components.denoiser'),
      vaeEncoder: graph(comps.vaeEncoder, 'components.vaeEncoder'),
      vaeDecoder: graph(comps.vaeDecoder, 'components.vaeDecoder'),
      ...(cleanerC ? { cleaner: cleanerC } : {}),
      ...(textC ? { textEncoder: textC } : {}),
    },
    latent: latent(o.latent, 'latent'),
    diffusion: diff,
    defaults: defaults(o.defaults, 'defaults'),
    embeddings: {
      positive: embedding(emb.positive, 'embeddings.positive', diff.context),
      negative: embedding(emb.negative, 'embeddings.negative', diff.context),
    },
    provenance: provenance(o.provenance, 'provenance'),
  };
  assertDistinctFiles(manifest);
  return manifest;
}
