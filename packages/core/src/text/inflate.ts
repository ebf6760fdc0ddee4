/**
 * DEFLATE (RFC 1951) and gzip (RFC 1952) decoding, small and dependency-free: bundles ship
 * the CLIP merges as `bpe_simple_vocab_16e6.txt.gz`, and core may not use zlib or
 * DecompressionStream. Canonical Huffman decoding one bit at a time (as zlib's `puff`
 * does): about 0.1 s for the 1.4 MB vocabulary, paid once per tokenizer.
 */

/** Thrown for a stream that is not valid DEFLATE/gzip or fails its checksum. */
export class InflateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InflateError';
  }
}

const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** Order in which code-length code lengths are stored (RFC 1951 §3.2.7). */
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const MAX_BITS = 15;

/** A canonical Huffman code: how many codes of each length, and the symbols in code order. */
interface Huffman {
  readonly counts: Uint16Array;
  readonly symbols: Uint16Array;
}

function huffman(lengths: ArrayLike<number>, what: string): Huffman {
  const counts = new Uint16Array(MAX_BITS + 1);
  for (let i = 0; i < lengths.length; i++) counts[lengths[i]]++;
  counts[0] = 0;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = left * 2 - counts[len];
    if (left < 0) throw new InflateError(`over-subscribed ${what} code`);
  }
  const offsets = new Uint16Array(MAX_BITS + 2);
  for (let len = 1; len <= MAX_BITS; len++) offsets[len + 1] = offsets[len] + counts[len];
  const symbols = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s] !== 0) symbols[offsets[lengths[s]]++] = s;
  return { counts, symbols };
}

class BitReader {
  pos: number;
  private bitBuf = 0;
  private bitCount = 0;
  constructor(
    private readonly data: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  bits(n: number): number {
    let buf = this.bitBuf;
    while (this.bitCount < n) {
      if (this.pos >= this.data.length) throw new InflateError('unexpected end of compressed data');
      buf |= this.data[this.pos++] << this.bitCount;
      this.bitCount += 8;
    }
    this.bitBuf = buf >>> n;
    this.bitCount -= n;
    return buf & ((1 << n) - 1);
  }

  /** Drops the bits left in the current byte (stored blocks start on a byte boundary). */
  alignToByte(): void {
    this.bitBuf = 0;
    this.bitCount = 0;
  }

  decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= this.bits(1);
      const count = h.counts[len];
      if (code - first < count) return h.symbols[index + code - first];
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new InflateError('invalid Huffman code');
  }
}

class Output {
  buf: Uint8Array;
  length = 0;
  constructor(sizeHint: number) {
    this.buf = new Uint8Array(Math.max(1024, sizeHint));
  }

  ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + extra));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

let fixedCodes: { lit: Huffman; dist: Huffman } | undefined;

function fixedHuffman(): { lit: Huffman; dist: Huffman } {
  if (!fixedCodes) {
    const lit = new Uint8Array(288);
    lit.fill(8, 0, 144);
    lit.fill(9, 144, 256);
    lit.fill(7, 256, 280);
    lit.fill(8, 280, 288);
    fixedCodes = { lit: huffman(lit, 'literal'), dist: huffman(new Uint8Array(30).fill(5), 'distance') };
  }
  return fixedCodes;
}

function dynamicHuffman(r: BitReader): { lit: Huffman; dist: Huffman } {
  const nLit = r.bits(5) + 257;
  const nDist = r.bits(5) + 1;
  const nCode = r.bits(4) + 4;
  if (nLit > 286 || nDist > 30) throw new InflateError('bad dynamic block counts');
  const codeLengths = new Uint8Array(19);
  for (let i = 0; i < nCode; i++) codeLengths[CODE_LENGTH_ORDER[i]] = r.bits(3);
  const lengthCode = huffman(codeLengths, 'code-length');
  const lengths = new Uint8Array(nLit + nDist);
  for (let i = 0; i < nLit + nDist; ) {
    const sym = r.decode(lengthCode);
    if (sym < 16) {
      lengths[i++] = sym;
      continue;
    }
    let value = 0;
    let repeat: number;
    if (sym === 16) {
      if (i === 0) throw new InflateError('length repeat with no previous length');
      value = lengths[i - 1];
      repeat = 3 + r.bits(2);
    } else if (sym === 17) repeat = 3 + r.bits(3);
    else repeat = 11 + r.bits(7);
    if (i + repeat > nLit + nDist) throw new InflateError('too many code lengths');
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) throw new InflateError('no end-of-block code');
  return { lit: huffman(lengths.subarray(0, nLit), 'literal'), dist: huffman(lengths.subarray(nLit), 'distance') };
}

function inflateBlockData(r: BitReader, out: Output, codes: { lit: Huffman; dist: Huffman }): void {
  for (;;) {
    const sym = r.decode(codes.lit);
    if (sym < 256) {
      out.ensure(1);
      out.buf[out.length++] = sym;
      continue;
    }
    if (sym === 256) return;
    const li = sym - 257;
    if (li >= 29) throw new InflateError('invalid length symbol');
    const len = LENGTH_BASE[li] + r.bits(LENGTH_EXTRA[li]);
    const di = r.decode(codes.dist);
    if (di >= 30) throw new InflateError('invalid distance symbol');
    const dist = DIST_BASE[di] + r.bits(DIST_EXTRA[di]);
    if (dist > out.length) throw new InflateError('distance beyond the start of the output');
    out.ensure(len);
    const buf = out.buf;
    // byte by byte: a match may overlap the bytes it produces
    for (let k = 0, from = out.length - dist; k < len; k++) buf[out.length++] = buf[from + k];
  }
}

/** Inflates the raw DEFLATE stream at `start`; returns the bytes and the offset after it. */
function inflateAt(data: Uint8Array, start: number, sizeHint: number): { bytes: Uint8Array; end: number } {
  const r = new BitReader(data, start);
  const out = new Output(sizeHint);
  let last = 0;
  while (!last) {
    last = r.bits(1);
    const type = r.bits(2);
    if (type === 0) {
      r.alignToByte();
      if (r.pos + 4 > data.length) throw new InflateError('unexpected end of compressed data');
      const len = data[r.pos] | (data[r.pos + 1] << 8);
      const nlen = data[r.pos + 2] | (data[r.pos + 3] << 8);
      if ((len ^ 0xffff) !== nlen) throw new InflateError('stored block length check failed');
      r.pos += 4;
      if (r.pos + len > data.length) throw new InflateError('unexpected end of compressed data');
      out.ensure(len);
      out.buf.set(data.subarray(r.pos, r.pos + len), out.length);
      out.length += len;
      r.pos += len;
    } else if (type === 1) inflateBlockData(r, out, fixedHuffman());
    else if (type === 2) inflateBlockData(r, out, dynamicHuffman(r));
    else throw new InflateError('invalid block type 3');
  }
  return { bytes: out.buf.slice(0, out.length), end: r.pos };
}

/** Decompresses a raw DEFLATE stream (no zlib or gzip wrapper). */
export function inflateRaw(data: Uint8Array): Uint8Array {
  return inflateAt(data, 0, data.length * 3).bytes;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as gzip stores it. */
export function gzipCrc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Whether the bytes start with the gzip magic number 1f 8b. */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

function skipZeroTerminated(data: Uint8Array, pos: number): number {
  while (pos < data.length && data[pos] !== 0) pos++;
  if (pos >= data.length) throw new InflateError('truncated gzip header');
  return pos + 1;
}

function u32(data: Uint8Array, pos: number): number {
  return (data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16) | (data[pos + 3] << 24)) >>> 0;
}

/**
 * Decompresses a gzip file: every member, concatenated (as `gzip -d` and Python's
 * `gzip.decompress` do), trailing zero padding allowed. Checks each member's CRC-32 and
 * length; the optional header CRC is skipped, as Python does.
 */
export function gunzip(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let pos = 0;
  do {
    if (!isGzip(data.subarray(pos))) throw new InflateError('not a gzip stream (bad magic number)');
    if (pos + 10 > data.length) throw new InflateError('truncated gzip header');
    if (data[pos + 2] !== 8) throw new InflateError(`unknown gzip compression method ${data[pos + 2]}`);
    const flags = data[pos + 3];
    pos += 10;
    if (flags & FEXTRA) {
      if (pos + 2 > data.length) throw new InflateError('truncated gzip header');
      pos += 2 + (data[pos] | (data[pos + 1] << 8));
    }
    if (flags & FNAME) pos = skipZeroTerminated(data, pos);
    if (flags & FCOMMENT) pos = skipZeroTerminated(data, pos);
    if (flags & FHCRC) pos += 2;
    if (pos > data.length) throw new InflateError('truncated gzip header');
    const { bytes, end } = inflateAt(data, pos, (data.length - pos) * 3);
    if (end + 8 > data.length) throw new InflateError('truncated gzip trailer');
    if (u32(data, end) !== gzipCrc32(bytes)) throw new InflateError('gzip CRC-32 mismatch: the data is corrupt');
    if (u32(data, end + 4) !== bytes.length >>> 0) throw new InflateError('gzip length mismatch: the data is corrupt');
    parts.push(bytes);
    pos = end + 8;
    while (pos < data.length && data[pos] === 0) pos++;
  } while (pos < data.length);
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
