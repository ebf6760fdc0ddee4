import { createHash } from 'node:crypto';
import { AbortError } from '@diffrestore/core';
import { describe, expect, it } from 'vitest';
import { type CacheProgress, fetchBundleFiles, memoryStore, readBundleFile, sha256Hex } from './cache';

// Digests come from node:crypto (OpenSSL's hash API), independent of the WebCrypto path used.
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const file = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

const BASE = 'https://models.example/bundle/';
const files = {
  'unet.onnx': file(70_000, 1),
  'vae/decoder.onnx': file(5_000, 2),
  'embeddings.bin': file(0, 3),
};
const entries = Object.entries(files).map(([path, bytes]) => ({ path, sha256: hex(bytes), bytes: bytes.length }));

/** A fetch that serves `files` in 4 KiB chunks and counts requests. */
function fakeFetch(serve: Record<string, Uint8Array> = files) {
  const calls: string[] = [];
  const fetchFn = async (url: string, init: { signal?: AbortSignal }) => {
    calls.push(url);
    const path = url.slice(BASE.length);
    const bytes = serve[path];
    if (!bytes) return new Response(null, { status: 404, statusText: 'Not Found' });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 4096) controller.enqueue(bytes.slice(at, at + 4096));
        controller.close();
      },
    });
    init.signal?.throwIfAborted();
    return new Response(body);
  };
  return { fetchFn, calls };
}

describe('sha256Hex', () => {
  it('matches known digests', async () => {
    // FIPS 180-2 test vector and the empty message
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('fetchBundleFiles', () => {
  it('downloads, verifies and stores every file, with monotone byte progress', async () => {
    const store = memoryStore();
    const { fetchFn, calls } = fakeFetch();
    const progress: CacheProgress[] = [];
    const r = await fetchBundleFiles(BASE, entries, { store, fetch: fetchFn, onProgress: (p) => progress.push(p) });
    expect(r).toEqual({ downloaded: entries.map((e) => e.path), reused: [] });
    expect(calls).toEqual(entries.map((e) => BASE + e.path));
    const total = 75_000;
    expect(progress.at(-1)).toEqual({ path: 'embeddings.bin', loaded: total, total, filesDone: 3, files: 3 });
    for (let i = 1; i < progress.length; i++) expect(progress[i].loaded).toBeGreaterThanOrEqual(progress[i - 1].loaded);
    expect(progress.length).toBeGreaterThan(18); // byte-level: 70 kB in 4 KiB chunks
    const unet = await readBundleFile(BASE, entries[0], store);
    expect(hex(unet)).toBe(entries[0].sha256);
  });

  it('reuses verified files and downloads only what changed', async () => {
    const store = memoryStore();
    await fetchBundleFiles(BASE, entries, { store, fetch: fakeFetch().fetchFn });
    const changed = file(5_000, 9);
    const newEntries = entries.map((e) =>
      e.path === 'vae/decoder.onnx' ? { ...e, sha256: hex(changed), bytes: changed.length } : e,
    );
    const { fetchFn, calls } = fakeFetch({ ...files, 'vae/decoder.onnx': changed });
    const r = await fetchBundleFiles(BASE, newEntries, { store, fetch: fetchFn, reverify: true });
    expect(r).toEqual({ downloaded: ['vae/decoder.onnx'], reused: ['unet.onnx', 'embeddings.bin'] });
    expect(calls).toEqual([`${BASE}vae/decoder.onnx`]);
  });

  it('refuses a file whose digest or size does not match, storing nothing', async () => {
    const store = memoryStore();
    const { fetchFn } = fakeFetch();
    const bad = [{ ...entries[1], sha256: hex(file(5_000, 7)) }];
    await expect(fetchBundleFiles(BASE, bad, { store, fetch: fetchFn })).rejects.toThrow(
      /vae\/decoder\.onnx: SHA-256 [0-9a-f]{64} does not match the manifest's/,
    );
    expect(store.size).toBe(0);
    const short = [{ ...entries[1], bytes: 4_000 }];
    await expect(fetchBundleFiles(BASE, short, { store, fetch: fetchFn })).rejects.toThrow(/larger than 4000 bytes/);
    const long = [{ ...entries[1], bytes: 6_000 }];
    await expect(fetchBundleFiles(BASE, long, { store, fetch: fetchFn })).rejects.toThrow(/5000 bytes, expected 6000/);
    await expect(
      fetchBundleFiles(BASE, [{ path: 'nope.onnx', sha256: '0' }], { store, fetch: fetchFn }),
    ).rejects.toThrow(/HTTP 404/);
    await expect(readBundleFile(BASE, entries[1], store)).rejects.toThrow(/not in the bundle cache/);
  });

  it('keeps paths inside the bundle', async () => {
    const store = memoryStore();
    const { fetchFn } = fakeFetch();
    for (const path of ['../secret', '/etc/passwd', 'https://evil.example/x']) {
      await expect(fetchBundleFiles(BASE, [{ path, sha256: '0' }], { store, fetch: fetchFn })).rejects.toThrow(
        /must stay inside the bundle/,
      );
    }
  });

  it('stops on abort between chunks with AbortError', async () => {
    const store = memoryStore();
    const { fetchFn } = fakeFetch();
    const c = new AbortController();
    const p = fetchBundleFiles(BASE, entries, {
      store,
      fetch: fetchFn,
      onProgress: (pr) => {
        if (pr.loaded > 10_000) c.abort();
      },
      signal: c.signal,
    });
    await expect(p).rejects.toBeInstanceOf(AbortError);
    expect(store.size).toBe(0);
  });
});
