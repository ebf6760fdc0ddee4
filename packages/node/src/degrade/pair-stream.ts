/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (offset basis 0x811c9dc5, prime 0x01000193). */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The generator stream of pair `k` of the image named `stem`: a hash of the name and k, so a
 * pair's random numbers depend only on (seed, stem, k), never on which other pairs ran before.
 */
export function pairStream(stem: string, k: number): number {
  return fnv1a32(`${stem}#${k}`);
}
