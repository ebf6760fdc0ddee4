import { describe, expect, it } from 'vitest';
// Reference values of xoshiro128** for the state splitmix32 derives from seed 1 (stream 0),
// computed independently with Python integer arithmetic (tools/fixtures/gen_rng.py).
import fixture from '../../test/fixtures/rng.json';
import { gaussianNoise, replayNoise } from './noise';
import { createRng } from './rng';

describe('createRng', () => {
  it('matches the independent Python implementation of splitmix32 + xoshiro128**', () => {
    for (const c of fixture.cases) {
      const rng = createRng(c.seed, c.stream);
      expect(Array.from({ length: c.uint32.length }, () => rng.nextUint32())).toEqual(c.uint32);
    }
  });
  it('same seed, same stream; different seed or stream, different stream', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const d = createRng(7, 1);
    const xs = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(xs);
    expect(Array.from({ length: 8 }, () => d.nextUint32())).not.toEqual(xs);
  });
  it('uniform draws are in [0,1) with mean 1/2 and variance 1/12', () => {
    const rng = createRng(3);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      s2 += u * u;
    }
    const mean = s / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });
  it('normal draws have mean 0, variance 1 and Gaussian tails', () => {
    const rng = createRng(11);
    const n = 200_000;
    const xs = new Float64Array(n);
    rng.fillNormal(xs);
    let s = 0;
    let s2 = 0;
    let beyond2 = 0;
    for (const x of xs) {
      s += x;
      s2 += x * x;
      if (Math.abs(x) > 2) beyond2++;
    }
    expect(Math.abs(s / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    // P(|Z| > 2) = 0.0455
    expect(Math.abs(beyond2 / n - 0.0455)).toBeLessThan(4 * Math.sqrt((0.0455 * 0.9545) / n));
  });
  it('int() covers its inclusive range uniformly', () => {
    const rng = createRng(5);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.int(3, 9) - 3]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(4 * Math.sqrt(10_000));
  });
});

describe('noise sources', () => {
  it('gaussianNoise is reproducible by seed', () => {
    expect(Array.from(gaussianNoise(4).randn([2, 3]).data)).toEqual(Array.from(gaussianNoise(4).randn([2, 3]).data));
  });
  it('replayNoise hands back the given tensors in order and refuses extra or misshaped draws', () => {
    const t = { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 4] };
    const src = replayNoise([t]);
    expect(Array.from(src.randn([2, 2]).data)).toEqual([1, 2, 3, 4]);
    expect(src.used).toBe(1);
    expect(() => src.randn([2, 2])).toThrow(/only 1 given/);
    expect(() => replayNoise([t]).randn([3])).toThrow(/3/);
  });
});
