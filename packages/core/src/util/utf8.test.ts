import { describe, expect, it } from 'vitest';
import { decodeUtf8 } from './utf8';

describe('decodeUtf8', () => {
  it('agrees with the platform TextDecoder on mixed text', () => {
    const text = 'plain ASCII, café, 한국어, 𝄞 music, emoji 😀, "quotes" {json: [1, 2]}';
    const bytes = new TextEncoder().encode(text);
    expect(decodeUtf8(bytes)).toBe(new TextDecoder().decode(bytes));
  });
  it('replaces malformed sequences like TextDecoder does', () => {
    const bytes = Uint8Array.from([0x61, 0xc3, 0x28, 0xe2, 0x82, 0x62, 0xff, 0xed, 0xa0, 0x80]);
    expect(decodeUtf8(bytes)).toBe(new TextDecoder().decode(bytes));
  });
  it('drops a byte-order mark', () => {
    expect(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe('{}');
  });
});
