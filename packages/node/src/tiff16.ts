/**
 * A minimal baseline TIFF encoder for 16-bit images (uncompressed, one strip, little
 * endian). sharp 0.34 reads 16-bit TIFF but writes TIFF at 8 bits only.
 */
export function encodeTiff16(pixels: Uint16Array, width: number, height: number, channels: 1 | 2 | 3 | 4): Uint8Array {
  if (pixels.length !== width * height * channels) throw new RangeError('pixel count does not match the size');
  const hasAlpha = channels === 2 || channels === 4;
  const photometric = channels >= 3 ? 2 : 1; // RGB or BlackIsZero
  const SHORT = 3;
  const LONG = 4;
  const entries: [tag: number, type: number, count: number, value: number][] = [];
  const entryCount = hasAlpha ? 11 : 10;
  const ifdSize = 2 + entryCount * 12 + 4;
  const bitsOffset = 8 + ifdSize;
  const bitsInline = channels <= 2;
  const dataOffset = bitsOffset + (bitsInline ? 0 : 2 * channels);
  const dataBytes = pixels.length * 2;
  entries.push([256, LONG, 1, width]);
  entries.push([257, LONG, 1, height]);
  entries.push([258, SHORT, channels, bitsInline ? -1 : bitsOffset]);
  entries.push([259, SHORT, 1, 1]);
  entries.push([262, SHORT, 1, photometric]);
  entries.push([273, LONG, 1, dataOffset]);
  entries.push([277, SHORT, 1, channels]);
  entries.push([278, LONG, 1, height]);
  entries.push([279, LONG, 1, dataBytes]);
  entries.push([284, SHORT, 1, 1]);
  if (hasAlpha) entries.push([338, SHORT, 1, 2]); // unassociated alpha

  const out = new Uint8Array(dataOffset + dataBytes);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49]); // "II"
  view.setUint16(2, 42, true);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, count, true);
    if (value === -1) {
      // BitsPerSample for one or two samples fits in the value field itself.
      for (let c = 0; c < count; c++) view.setUint16(at + 8 + 2 * c, 16, true);
    } else if (type === SHORT && count === 1) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, value, true);
  });
  view.setUint32(10 + entries.length * 12, 0, true);
  if (!bitsInline) for (let c = 0; c < channels; c++) view.setUint16(bitsOffset + 2 * c, 16, true);
  for (let i = 0; i < pixels.length; i++) view.setUint16(dataOffset + 2 * i, pixels[i], true);
  return out;
}
