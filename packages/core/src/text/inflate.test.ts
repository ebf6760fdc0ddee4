// Streams written by Python's zlib/gzip (tools/fixtures/gen_tokenizer.py): stored, fixed and
// dynamic Huffman blocks, a header with every optional field, two members, a bad CRC.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gunzip, gzipCrc32, InflateError, inflateRaw, isGzip } from './inflate';

interface StreamCase {
  name: string;
  kind: 'gzip' | 'deflate';
  compressed: string;
  data: string | null;
}

const fixture = JSON.parse(readFileSync(join(__dirname, '../../test/fixtures/tokenizer.json'), 'utf8'));
const streams = fixture.streams as StreamCase[];
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

describe('gunzip / inflateRaw', () => {
  it.each(streams.filter((s) => s.data !== null).map((s) => [s.name, s]))('%s', (_n, s) => {
    const input = bytes(s.compressed);
    const out = s.kind === 'gzip' ? gunzip(input) : inflateRaw(input);
    expect(Buffer.from(out).equals(Buffer.from(bytes(s.data as string)))).toBe(true);
    expect(isGzip(input)).toBe(s.kind === 'gzip');
  });

  it('rejects a corrupted CRC, truncation and non-gzip input', () => {
    const bad = streams.find((s) => s.name === 'bad-crc') as StreamCase;
    expect(() => gunzip(bytes(bad.compressed))).toThrow(/CRC-32 mismatch/);
    const good = bytes((streams.find((s) => s.name === 'text-gzip9') as StreamCase).compressed);
    expect(() => gunzip(good.subarray(0, good.length - 20))).toThrow(InflateError);
    expect(() => gunzip(new Uint8Array([1, 2, 3]))).toThrow(/not a gzip stream/);
    expect(() => inflateRaw(new Uint8Array([0xff]))).toThrow(InflateError);
  });

  it('decompresses the sparse official merges file', () => {
    const text = gunzip(bytes(fixture.merges.gzipBase64));
    expect(Buffer.from(text).toString('utf8').split('\n')[0]).toBe(fixture.merges.header);
  });

  it('computes the standard CRC-32 check value', () => {
    // the CRC-32 catalogue's check: crc("123456789") = 0xCBF43926
    expect(gzipCrc32(new Uint8Array(Buffer.from('123456789')))).toBe(0xcbf43926);
  });
});
