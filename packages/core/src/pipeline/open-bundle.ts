import { checkGraphSignature } from '../bundle/check-graph-signature';
import { decodeBundleEmbedding } from '../bundle/embedding';
import { type GraphContractName, graphContractsFor } from '../bundle/graph-contracts';
import type { BundleManifest, GraphComponent } from '../bundle/manifest';
import { parseBundleManifest } from '../bundle/parse-bundle-manifest';
import type { ModelSession, Runtime, SessionOptions } from '../runtime/types';
import { samplerFromReferenceName } from '../samplers/registry';
import { ldmLinearSchedule } from '../schedules/ldm-schedule';
import { loadBundleTokenizer } from '../text/prompt-encoder';
import { decodeUtf8 } from '../util/utf8';
import type { RestoreModel } from './model';

/** How a platform reaches a bundle's files (a folder in Node, a URL or cache in browsers). */
export interface BundleSource {
  /** Human-readable location for error messages. */
  readonly location: string;
  /** Bytes of a file, path relative to the bundle root. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * What to pass to Runtime.createSession for a graph: a path or URL lets the runtime load
   * it itself (and find external-data files beside it). Default: the bytes from readFile.
   */
  sessionSource?(path: string): string | Uint8Array | Promise<string | Uint8Array>;
}

export interface OpenBundleOptions {
  readonly session?: SessionOptions;
  /** Skip loading the cleaner graph (e.g. when a custom cleaner will be used). Default false. */
  readonly skipCleaner?: boolean;
  /** Skip loading the text encoder (prompt strings then fail; embeddings still work). Default false. */
  readonly skipTextEncoder?: boolean;
}

export interface OpenedBundle {
  readonly manifest: BundleManifest;
  readonly model: RestoreModel;
}

async function loadGraph(
  runtime: Runtime,
  source: BundleSource,
  component: GraphComponent,
  name: GraphContractName,
  manifest: BundleManifest,
  options: OpenBundleOptions,
): Promise<ModelSession> {
  const locate = async (file: string) => (source.sessionSource ? source.sessionSource(file) : source.readFile(file));
  const from = await locate(component.file);
  // A graph over 2 GB keeps its tensors in external-data files named relative to the graph.
  const dir = component.file.includes('/') ? component.file.slice(0, component.file.lastIndexOf('/') + 1) : '';
  const externalData = component.externalData?.length
    ? await Promise.all(
        component.externalData.map(async (ref) => ({
          path: ref.file.startsWith(dir) ? ref.file.slice(dir.length) : ref.file,
          data: await locate(ref.file),
        })),
      )
    : undefined;
  let session: ModelSession;
  try {
    session = await runtime.createSession(from, externalData ? { ...options.session, externalData } : options.session);
  } catch (e) {
    throw new Error(
      `cannot load the ${name} graph '${component.file}' of bundle ${source.location}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  try {
    checkGraphSignature(session, graphContractsFor(manifest)[name]);
  } catch (e) {
    await session.release();
    throw e;
  }
  return session;
}

/**
 * Reads and validates a bundle's manifest, creates a session for each graph (checking its
 * inputs and outputs against the graph contracts) and decodes the prompt embeddings.
 */
export async function openBundle(
  runtime: Runtime,
  source: BundleSource,
  options: OpenBundleOptions = {},
): Promise<OpenedBundle> {
  let json: unknown;
  try {
    json = JSON.parse(decodeUtf8(await source.readFile('manifest.json')));
  } catch (e) {
    throw new Error(`${source.location} is not a model bundle: cannot read manifest.json (${(e as Error).message})`, {
      cause: e,
    });
  }
  const manifest = parseBundleManifest(json);
  const c = manifest.components;
  const opened: ModelSession[] = [];
  const load = async (component: GraphComponent, name: GraphContractName) => {
    const s = await loadGraph(runtime, source, component, name, manifest, options);
    opened.push(s);
    return s;
  };
  try {
    const denoiser = await load(c.denoiser, 'denoiser');
    const vaeEncoder = await load(c.vaeEncoder, 'vaeEncoder');
    const vaeDecoder = await load(c.vaeDecoder, 'vaeDecoder');
    const cleaner =
      c.cleaner && !options.skipCleaner
        ? {
            session: await load(c.cleaner, 'cleaner'),
            info: {
              scale: c.cleaner.scale,
              sizeMultiple: c.cleaner.sizeMultiple,
              path: c.cleaner.preprocess === 'bsrnet' ? ('clean-then-resize' as const) : ('resize-then-clean' as const),
            },
          }
        : undefined;
    const textEncoder =
      c.textEncoder?.tokenizer && !options.skipTextEncoder
        ? {
            session: await load(c.textEncoder, 'textEncoder'),
            tokenizer: await loadBundleTokenizer(manifest, (p) => source.readFile(p)),
          }
        : undefined;
    const embedding = async (ref: BundleManifest['embeddings']['positive']) =>
      decodeBundleEmbedding(await source.readFile(ref.file), ref);
    const { schedule: s, prediction } = manifest.diffusion;
    const model: RestoreModel = {
      denoiser,
      vaeEncoder,
      vaeDecoder,
      cleaner,
      textEncoder,
      schedule: ldmLinearSchedule({
        steps: s.steps,
        betaStart: s.betaStart,
        betaEnd: s.betaEnd,
        prediction,
        zeroTerminalSnr: s.zeroTerminalSnr,
      }),
      latent: manifest.latent,
      controlOutputs: manifest.diffusion.controlOutputs,
      prompts: {
        positive: await embedding(manifest.embeddings.positive),
        negative: await embedding(manifest.embeddings.negative),
      },
      defaults: {
        sampler: samplerFromReferenceName(manifest.defaults.sampler),
        steps: manifest.defaults.steps,
        cfgScale: manifest.defaults.cfgScale,
        controlStrength: manifest.defaults.controlScale,
        minShortSide: manifest.defaults.minShortSide,
        guidanceScale: manifest.defaults.guidanceScale ?? 0,
      },
      release: async () => {
        await Promise.all(opened.map((x) => x.release()));
      },
    };
    return { manifest, model };
  } catch (e) {
    await Promise.allSettled(opened.map((x) => x.release()));
    throw e;
  }
}
