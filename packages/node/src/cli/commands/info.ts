import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  type BundleManifest,
  bundleBytes,
  bundleFiles,
  type GraphComponent,
  parseBundleManifest,
} from '@diffrestore/core';
import type { CommandSpec } from '../command';

interface Part {
  readonly name: string;
  readonly file?: string;
  readonly bytes: number;
  readonly parameters?: number;
}

/** What `info` reports about a bundle, from its validated manifest. */
export interface BundleSummary {
  readonly name: string;
  readonly format?: string;
  readonly version?: string | number;
  readonly description?: string;
  readonly precision?: string;
  readonly ioDtype?: string;
  readonly components: Part[];
  readonly embeddings: Part[];
  readonly files: number;
  readonly totalBytes: number;
  /** Local folders: files absent or of another size than listed. */
  readonly problems?: string[];
}

/** Summarizes a bundle manifest; an invalid one throws core's BundleManifestError naming the field. */
export function summarizeManifest(json: unknown): BundleSummary {
  const m: BundleManifest = parseBundleManifest(json);
  const components = Object.entries(m.components)
    .filter((e): e is [string, GraphComponent] => e[1] !== undefined)
    .map(([name, c]) => ({
      name,
      file: c.file,
      bytes: c.bytes + (c.externalData ?? []).reduce((s, x) => s + x.bytes, 0),
      ...(c.parameters !== undefined ? { parameters: c.parameters } : {}),
    }));
  const embeddings = Object.entries(m.embeddings).map(([name, e]) => ({ name, file: e.file, bytes: e.bytes }));
  return {
    name: m.name,
    format: m.format,
    version: m.version,
    description: m.description,
    precision: m.precision,
    ioDtype: m.ioDtype,
    components,
    embeddings,
    files: bundleFiles(m).length,
    totalBytes: bundleBytes(m),
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B params`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M params`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K params`;
  return `${n} params`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  return rows.map((r) => `    ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}`.trimEnd());
}

export function formatSummary(s: BundleSummary): string {
  const head = [s.name, s.format && `${s.format}${s.version !== undefined ? ` v${s.version}` : ''}`]
    .filter(Boolean)
    .join('  ');
  const lines = [s.format ? head : `${head}${s.version !== undefined ? `  version ${s.version}` : ''}`];
  if (s.description) lines.push(`  ${s.description}`);
  if (s.precision || s.ioDtype) {
    lines.push(`  precision ${s.precision ?? '?'}${s.ioDtype ? `, graph I/O ${s.ioDtype}` : ''}`);
  }
  const group = (title: string, ps: Part[]) => {
    if (ps.length === 0) return;
    lines.push(`  ${title}:`);
    lines.push(
      ...table(
        ps.map((p) => [p.name, p.file ?? '', formatBytes(p.bytes), p.parameters ? formatParams(p.parameters) : '']),
      ),
    );
  };
  group('components', s.components);
  group('embeddings', s.embeddings);
  lines.push(`  ${s.files} file(s), ${formatBytes(s.totalBytes)} in total`);
  if (s.problems) {
    lines.push(
      s.problems.length === 0
        ? '  all files present with the listed sizes'
        : `  incomplete: ${s.problems.length} problem(s): ${s.problems.join('; ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function loadManifest(
  target: string,
  cwd: string,
): Promise<{ manifest: unknown; folder?: string; name: string }> {
  if (/^https?:\/\//i.test(target)) {
    const url = new URL('manifest.json', target.endsWith('/') ? target : `${target}/`).href;
    const res = await fetch(url).catch((e: Error) => {
      throw new Error(`cannot download ${url}: ${e.message}`);
    });
    if (!res.ok) throw new Error(`cannot download ${url}: HTTP ${res.status}`);
    const name = new URL(target).pathname.split('/').filter(Boolean).pop() ?? 'bundle';
    return { manifest: parseJson(await res.text(), url), name };
  }
  const abs = path.resolve(cwd, target);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new Error(`bundle not found: ${target}`);
  const folder = st.isDirectory() ? abs : path.dirname(abs);
  const file = st.isDirectory() ? path.join(abs, 'manifest.json') : abs;
  const text = await readFile(file, 'utf8').catch(() => {
    throw new Error(`no manifest.json in ${folder}`);
  });
  return { manifest: parseJson(text, file), folder, name: path.basename(folder) };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${where} is not valid JSON: ${(e as Error).message}`);
  }
}

async function checkFiles(manifest: unknown, folder: string): Promise<string[]> {
  const problems: string[] = [];
  for (const f of bundleFiles(parseBundleManifest(manifest))) {
    const st = await stat(path.join(folder, ...f.path.split('/'))).catch(() => undefined);
    if (!st) problems.push(`${f.path} missing`);
    else if (st.size !== f.bytes) problems.push(`${f.path} is ${st.size} bytes, listed ${f.bytes}`);
  }
  return problems;
}

export const infoCommand: CommandSpec = {
  name: 'info',
  summary: "Show a model bundle's manifest: name, version, components and sizes",
  usage: '<bundle>',
  minPositionals: 1,
  maxPositionals: 1,
  flags: {
    json: { type: 'boolean', description: 'Print the summary as JSON' },
  },
  details:
    '<bundle> is a bundle folder, its manifest.json, or the http(s) URL of a bundle folder.\n' +
    'For a local folder, every listed file is checked for presence and size; the exit code\n' +
    'is 1 when one is missing or has another size.',
  async run({ flags, positionals, io }) {
    const { manifest, folder } = await loadManifest(positionals[0], io.cwd);
    const base = summarizeManifest(manifest);
    const summary: BundleSummary = folder ? { ...base, problems: await checkFiles(manifest, folder) } : base;
    io.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return summary.problems && summary.problems.length > 0 ? 1 : 0;
  },
};
