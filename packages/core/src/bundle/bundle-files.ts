import { BUNDLE_COMPONENT_NAMES, type BundleFileRef, type BundleManifest } from './manifest';

/** One file to fetch and verify: path relative to the bundle root. */
export interface BundleFileEntry {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

const entry = (ref: BundleFileRef): BundleFileEntry => ({ path: ref.file, sha256: ref.sha256, bytes: ref.bytes });

/**
 * Every file the bundle consists of besides manifest.json, each once, in a stable order:
 * graphs (denoiser, vaeEncoder, vaeDecoder, cleaner, textEncoder) each followed by its
 * external-data files and tokenizer, then the positive and negative embeddings. A cache
 * that downloads and checks exactly this list holds a complete bundle.
 */
export function bundleFiles(manifest: BundleManifest): BundleFileEntry[] {
  const out: BundleFileEntry[] = [];
  const seen = new Set<string>();
  const push = (ref: BundleFileRef) => {
    if (seen.has(ref.file)) return;
    seen.add(ref.file);
    out.push(entry(ref));
  };
  for (const name of BUNDLE_COMPONENT_NAMES) {
    const c = manifest.components[name];
    if (!c) continue;
    push(c);
    for (const e of c.externalData ?? []) push(e);
    if ('tokenizer' in c && c.tokenizer) push(c.tokenizer);
  }
  push(manifest.embeddings.positive);
  push(manifest.embeddings.negative);
  return out;
}

/** Sum of the bytes of bundleFiles(manifest): what a full download costs. */
export function bundleBytes(manifest: BundleManifest): number {
  return bundleFiles(manifest).reduce((sum, f) => sum + f.bytes, 0);
}
