/** Checks an NCHW shape and returns it as a 4-tuple. */
export function nchw(shape: readonly number[], what: string): [number, number, number, number] {
  if (shape.length !== 4) throw new RangeError(`${what}: expected an NCHW tensor, got [${shape.join(', ')}]`);
  return [shape[0], shape[1], shape[2], shape[3]];
}
