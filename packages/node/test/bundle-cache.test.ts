import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AbortError, bundleFiles, parseBundleManifest } from '@diffrestore/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BundleProgress, fetchBundle } from '../src/bundle-cache';

const root = mkdtempSync(path.join(tmpdir(), 'diffrestore-bundle-'));
const bundleDir = path.join(root, 'served', 'tiny-bundle');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// A valid manifest (the fixture bundle's numbers) whose files are random bytes: the cache
// only moves and verifies files, it never loads them.
const FIXTURE = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../fixtures/bundles/tiny-random/manifest.json'), 'utf8'),
);
const contents: Record<string, Buffer> = {
  'denoiser.onnx': randomBytes(300_000),
  'vae_encoder.onnx': randomBytes(40_000),
  'vae_decoder.onnx': randomBytes(50_000),
  'emb/positive.bin': randomBytes(77 * 32 * 4),
  'emb/negative.bin': randomBytes(77 * 32 * 4),
};
const entry = (p: string) => ({ file: p, sha256: sha(contents[p]), bytes: contents[p].length });
const manifest = {
  ...FIXTURE,
  name: 'tiny',
  components: {
    denoiser: { ...FIXTURE.components.denoiser, ...entry('denoiser.onnx') },
    vaeEncoder: { ...FIXTURE.components.vaeEncoder, ...entry('vae_encoder.onnx') },
    vaeDecoder: { ...FIXTURE.components.vaeDecoder, ...entry('vae_decoder.onnx') },
  },
  embeddings: {
    positive: { ...FIXTURE.embeddings.positive, ...entry('emb/positive.bin') },
    negative: { ...FIXTURE.embeddings.negative, ...entry('emb/negative.bin') },
  },
  // Source checkpoints are not bundle files and must not be fetched.
  provenance: { ...FIXTURE.provenance, sources: [{ role: 'sd', file: 'v2.pth', sha256: 'a'.repeat(64), bytes: 10 }] },
};

interface Served {
  url: string;
  requests: { path: string; range?: string }[];
  close(): Promise<void>;
}

type Behaviour = (file: string, body: Buffer, count: number) => 'normal' | 'drop' | 'corrupt' | 'slow';

/** Serves `dir` over HTTP/1.1 with Range support; `behaviour` picks per request what goes wrong. */
async function serve(dir: string, behaviour: Behaviour = () => 'normal'): Promise<Served> {
  const requests: Served['requests'] = [];
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url!, 'http://x').pathname).replace(/^\/tiny-bundle\//, '');
    requests.push({ path: rel, range: req.headers.range });
    const file = path.join(dir, rel);
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const count = (counts.get(rel) ?? 0) + 1;
    counts.set(rel, count);
    let body = readFileSync(file);
    const mode = behaviour(rel, body, count);
    if (mode === 'corrupt') {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) start = Number(m[1]);
    if (start >= body.length && body.length > 0) {
      res.writeHead(416).end();
      return;
    }
    const slice = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': slice.length,
      ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (mode === 'drop') {
      // Send part of the body, then cut the connection.
      res.write(slice.subarray(0, slice.length >> 2), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (mode === 'slow') {
      let at = 0;
      const tick = () => {
        if (res.destroyed) return;
        if (at >= slice.length) return void res.end();
        res.write(slice.subarray(at, at + 16384));
        at += 16384;
        setTimeout(tick, 15);
      };
      tick();
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tiny-bundle`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let servers: Served[] = [];
let cacheN = 0;
const freshCache = () => path.join(root, `cache-${++cacheN}`);

beforeAll(() => {
  for (const [p, b] of Object.entries(contents)) {
    mkdirSync(path.dirname(path.join(bundleDir, p)), { recursive: true });
    writeFileSync(path.join(bundleDir, p), b);
  }
  writeFileSync(path.join(bundleDir, 'manifest.json'), JSON.stringify(manifest));
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function start(behaviour?: Behaviour): Promise<Served> {
  const s = await serve(`${path.dirname(bundleDir) + path.sep}tiny-bundle`, behaviour);
  servers.push(s);
  return s;
}

function expectSameFiles(folder: string): void {
  for (const [p, b] of Object.entries(contents)) expect(readFileSync(path.join(folder, p)).equals(b)).toBe(true);
  expect(existsSync(path.join(folder, 'v2.pth'))).toBe(false);
}

describe('the files a bundle cache moves', () => {
  it("are core's bundleFiles of the manifest: graphs and embeddings, not provenance sources", () => {
    expect(bundleFiles(parseBundleManifest(manifest)).map((f) => f.path)).toEqual([
      'denoiser.onnx',
      'vae_encoder.onnx',
      'vae_decoder.onnx',
      'emb/positive.bin',
      'emb/negative.bin',
    ]);
  });

  it('refuses a manifest that is not a valid bundle manifest', async () => {
    const dir = path.join(root, 'invalid');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, version: 99 }));
    await expect(fetchBundle(dir)).rejects.toThrow(/version/);
  });
});

describe('fetchBundle over HTTP (local server)', () => {
  it('downloads, verifies, reports progress and reuses the cache', async () => {
    const s = await start();
    const events: BundleProgress[] = [];
    const cacheDir = freshCache();
    const folder = await fetchBundle(s.url, { cacheDir, onProgress: (p) => events.push(p) });
    expect(folder.startsWith(path.join(cacheDir, 'bundles', 'tiny-bundle-'))).toBe(true);
    expectSameFiles(folder);
    expect(JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8'))).toEqual(manifest);
    const den = events.filter((e) => e.file === 'denoiser.onnx');
    expect(den.every((e, i) => i === 0 || e.received >= den[i - 1].received)).toBe(true);
    expect(den.at(-1)).toEqual({ file: 'denoiser.onnx', received: 300_000, total: 300_000 });
    const first = s.requests.length;
    expect(first).toBe(1 + Object.keys(contents).length); // the manifest, then each file once
    // Second call: only the manifest is fetched again.
    expect(await fetchBundle(s.url, { cacheDir })).toBe(folder);
    expect(s.requests.slice(first).map((r) => r.path)).toEqual(['manifest.json']);
    // Server gone: the complete, verified copy is used offline.
    await s.close();
    servers = [];
    expect(await fetchBundle(s.url, { cacheDir })).toBe(folder);
  });

  it('resumes with an HTTP Range request after the connection drops mid-file', async () => {
    const s = await start((file, _b, n) => (file === 'denoiser.onnx' && n === 1 ? 'drop' : 'normal'));
    const folder = await fetchBundle(s.url, { cacheDir: freshCache() });
    expectSameFiles(folder);
    const den = s.requests.filter((r) => r.path === 'denoiser.onnx');
    expect(den.length).toBe(2);
    expect(den[0].range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(den[1].range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(300_000);
    expect(existsSync(path.join(folder, 'denoiser.onnx.partial'))).toBe(false);
  });

  it('aborts mid-file with AbortError, keeps the partial and resumes on the next call', async () => {
    const s = await start((file) => (file === 'denoiser.onnx' ? 'slow' : 'normal'));
    const cacheDir = freshCache();
    const ac = new AbortController();
    const err = await fetchBundle(s.url, {
      cacheDir,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.file === 'denoiser.onnx' && p.received >= 64_000) ac.abort();
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortError);
    const before = s.requests.length;
    const folder = await fetchBundle(s.url, { cacheDir });
    expectSameFiles(folder);
    const resumed = s.requests.slice(before).find((r) => r.path === 'denoiser.onnx');
    expect(Number(/^bytes=(\d+)-$/.exec(resumed?.range ?? '')?.[1])).toBeGreaterThanOrEqual(64_000);
  });

  it('re-downloads once after a sha256 mismatch', async () => {
    const s = await start((file, _b, n) => (file === 'vae_decoder.onnx' && n === 1 ? 'corrupt' : 'normal'));
    const folder = await fetchBundle(s.url, { cacheDir: freshCache() });
    expectSameFiles(folder);
    expect(s.requests.filter((r) => r.path === 'vae_decoder.onnx').map((r) => r.range)).toEqual([undefined, undefined]);
  });

  it('fails with a clear error when the file stays corrupt', async () => {
    const s = await start((file) => (file === 'vae_decoder.onnx' ? 'corrupt' : 'normal'));
    const cacheDir = freshCache();
    const err = await fetchBundle(s.url, { cacheDir }).catch((e) => e);
    expect(err.message).toMatch(
      new RegExp(`sha256 mismatch for vae_decoder.onnx .*expected ${manifest.components.vaeDecoder.sha256}`),
    );
    expect(s.requests.filter((r) => r.path === 'vae_decoder.onnx').length).toBe(2);
  });

  it('reports a missing file with its URL and rejects unsafe manifest paths', async () => {
    const s = await start();
    await expect(
      fetchBundle(s.url, { cacheDir: freshCache(), files: [{ path: 'nope.onnx', sha256: 'b'.repeat(64), bytes: 1 }] }),
    ).rejects.toThrow(/cannot download http:\/\/127\.0\.0\.1:\d+\/tiny-bundle\/nope\.onnx: HTTP 404/);
    await expect(
      fetchBundle(s.url, { cacheDir: freshCache(), files: [{ path: '../escape', sha256: 'b'.repeat(64), bytes: 1 }] }),
    ).rejects.toThrow(/unsafe file path/);
  });
});

describe('fetchBundle on a local folder', () => {
  it('returns the folder after checking sizes, and hashes with verify', async () => {
    expect(await fetchBundle(bundleDir)).toBe(bundleDir);
    expect(await fetchBundle(bundleDir, { verify: true })).toBe(bundleDir);
    const copy = path.join(root, 'copy');
    mkdirSync(path.join(copy, 'emb'), { recursive: true });
    writeFileSync(path.join(copy, 'manifest.json'), JSON.stringify(manifest));
    const bad = Buffer.from(contents['denoiser.onnx']);
    bad[7] ^= 1;
    writeFileSync(path.join(copy, 'denoiser.onnx'), bad);
    for (const f of ['vae_encoder.onnx', 'vae_decoder.onnx', 'emb/negative.bin'])
      writeFileSync(path.join(copy, f), contents[f]);
    expect(await fetchBundle(copy).catch((e) => e.message)).toMatch(/emb\/positive\.bin: missing/);
    writeFileSync(path.join(copy, 'emb', 'positive.bin'), contents['emb/positive.bin']);
    expect(await fetchBundle(copy)).toBe(copy);
    await expect(fetchBundle(copy, { verify: true })).rejects.toThrow(
      /denoiser\.onnx: sha256 [0-9a-f]{64}, manifest says/,
    );
    await expect(fetchBundle(path.join(root, 'none'))).rejects.toThrow(/bundle folder not found/);
  });
});
