/** One file of a bundle folder, path relative to the bundle root ('/'-separated). */
export interface BundleFile {
  readonly path: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  readonly bytes: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Every `{ file | path, sha256, bytes }` object in a manifest, each path once, in document
 * order; the `provenance` subtree is skipped (it lists source checkpoints, not bundle
 * files). Fits the diffrestore manifest and simple `{ files: [...] }` manifests alike.
 */
export function listManifestFiles(manifest: unknown): BundleFile[] {
  const out: BundleFile[] = [];
  const seen = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    if (!isRecord(v)) return;
    const p = typeof v.file === 'string' ? v.file : typeof v.path === 'string' ? v.path : undefined;
    if (p !== undefined && typeof v.sha256 === 'string' && SHA256.test(v.sha256) && typeof v.bytes === 'number') {
      if (!seen.has(p)) {
        seen.add(p);
        out.push({ path: p, sha256: v.sha256.toLowerCase(), bytes: v.bytes });
      }
    }
    for (const [k, child] of Object.entries(v)) if (k !== 'provenance') visit(child);
  };
  visit(manifest);
  return out;
}

/** Rejects paths that would leave the bundle folder (absolute, `..`, backslashes, drive letters). */
export function assertSafeRelativePath(p: string): void {
  const parts = p.split('/');
  const bad =
    p.length === 0 ||
    p.startsWith('/') ||
    p.includes('\\') ||
    /^[a-zA-Z]:/.test(p) ||
    parts.some((s) => s === '..' || s === '.' || s === '') ||
    p.includes('\0');
  if (bad) throw new Error(`unsafe file path in bundle manifest: ${JSON.stringify(p)}`);
}
