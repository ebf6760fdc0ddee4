/**
 * Seeded pseudo-random numbers.
 *
 * Algorithm (documented because results must be reproducible across platforms):
 * - state: xoshiro128** (Blackman & Vigna), four uint32 words;
 * - seeding: the 32-bit seed (and an optional stream id) expanded by splitmix32;
 * - uniform(): the top 24 bits of a draw / 2^24, in [0, 1);
 * - normal(): Box–Muller on two 53-bit uniforms, both outputs used in turn.
 * The integer stream and uniform() are bit-identical on every engine. normal() goes through
 * Math.log/cos/sin, which ECMAScript lets engines round differently in the last bit, so
 * Gaussian draws agree across engines to ~1e-16 relative, exactly within one engine.
 */
export interface Rng {
  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Integer uniform in [lo, hi] inclusive. */
  int(lo: number, hi: number): number;
  /** Standard normal. */
  normal(): number;
  /** Fill an array with standard normal draws. */
  fillNormal(out: Float32Array | Float64Array): void;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Creates a generator from an integer seed; `stream` gives independent sequences for one seed. */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const mix = splitmix32((Math.trunc(seed) ^ Math.imul(stream + 1, 0x632be5ab)) >>> 0);
  let s0 = mix();
  let s1 = mix();
  let s2 = mix();
  let s3 = mix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  let spare: number | null = null;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    return result;
  };
  const uniform = (): number => (nextUint32() >>> 8) / 16777216;
  const uniform53 = (): number => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992;
  const normal = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u1 = uniform53();
    while (u1 <= 0) u1 = uniform53();
    const u2 = uniform53();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
  return {
    nextUint32,
    uniform,
    range: (lo, hi) => lo + (hi - lo) * uniform(),
    int: (lo, hi) => lo + Math.floor(uniform() * (hi - lo + 1)),
    normal,
    fillNormal: (out) => {
      for (let i = 0; i < out.length; i++) out[i] = normal();
    },
  };
}
