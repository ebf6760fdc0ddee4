import { describe, expect, it } from 'vitest';
import { AbortError, abortErrorOf, raceAbort, throwIfAborted } from './abort';

describe('abort helpers', () => {
  it('turn any reason into core AbortError, keeping the reason as cause', () => {
    const ac = new AbortController();
    ac.abort(new Error('user cancelled'));
    const e = abortErrorOf(ac.signal);
    expect(e).toBeInstanceOf(AbortError);
    expect(e.message).toBe('user cancelled');
    expect((e.cause as Error).message).toBe('user cancelled');
    const plain = new AbortController();
    plain.abort(); // reason: a DOMException named AbortError
    expect(abortErrorOf(plain.signal).message).toBe('The operation was aborted');
    expect(() => throwIfAborted(plain.signal)).toThrow(AbortError);
    expect(() => throwIfAborted(undefined)).not.toThrow();
  });

  it('raceAbort settles with the work, or rejects as soon as the signal fires', async () => {
    expect(await raceAbort(Promise.resolve(3), new AbortController().signal)).toBe(3);
    const ac = new AbortController();
    let release!: (v: number) => void;
    const slow = new Promise<number>((r) => {
      release = r;
    });
    let called = 0;
    const raced = raceAbort(slow, ac.signal, () => called++);
    ac.abort();
    await expect(raced).rejects.toBeInstanceOf(AbortError);
    expect(called).toBe(1);
    release(1); // the abandoned work finishing later changes nothing
    const pre = new AbortController();
    pre.abort();
    await expect(raceAbort(Promise.reject(new Error('late')), pre.signal)).rejects.toBeInstanceOf(AbortError);
  });
});
