/**
 * UTF-8 bytes to a string, following the WHATWG decoder (malformed sequences become one
 * U+FFFD per maximal invalid subpart). Core compiles without DOM/Node typings, so it
 * carries this instead of TextDecoder.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  let out = '';
  const chunk: number[] = [];
  const emit = (cp: number) => {
    chunk.push(cp);
    if (chunk.length >= 4096) {
      out += String.fromCodePoint(...chunk);
      chunk.length = 0;
    }
  };
  let needed = 0;
  let seen = 0;
  let cp = 0;
  let lower = 0x80;
  let upper = 0xbf;
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (; i < bytes.length; i++) {
    const b = bytes[i];
    if (needed === 0) {
      if (b <= 0x7f) emit(b);
      else if (b >= 0xc2 && b <= 0xdf) [needed, cp] = [1, b & 0x1f];
      else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
        [needed, cp] = [2, b & 0x0f];
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
        [needed, cp] = [3, b & 0x07];
      } else emit(0xfffd);
      continue;
    }
    if (b < lower || b > upper) {
      [needed, seen, cp, lower, upper] = [0, 0, 0, 0x80, 0xbf];
      emit(0xfffd);
      i--; // the byte starts the next sequence
      continue;
    }
    [lower, upper] = [0x80, 0xbf];
    cp = (cp << 6) | (b & 0x3f);
    if (++seen === needed) {
      emit(cp);
      [needed, seen, cp] = [0, 0, 0];
    }
  }
  if (needed) emit(0xfffd);
  return out + String.fromCodePoint(...chunk);
}
