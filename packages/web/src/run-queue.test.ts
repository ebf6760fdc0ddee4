import { AbortError } from '@diffrestore/core';
import { describe, expect, it } from 'vitest';
import { RunQueue } from './run-queue';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('RunQueue', () => {
  it('runs one job at a time, in order', async () => {
    const q = new RunQueue();
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const job = (name: string, ms: number) => async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      active--;
      return name;
    };
    const results = await Promise.all([q.enqueue(job('a', 15)), q.enqueue(job('b', 1)), q.enqueue(job('c', 5))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(maxActive).toBe(1);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('keeps going after a job fails', async () => {
    const q = new RunQueue();
    const failed = q.enqueue(async () => {
      throw new Error('boom');
    });
    const next = q.enqueue(async () => 42);
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });

  it('rejects an in-flight job at once on abort, but starts the next only after it finished', async () => {
    const q = new RunQueue();
    const gate = deferred();
    const log: string[] = [];
    const c = new AbortController();
    const first = q.enqueue(async () => {
      log.push('first started');
      await gate.promise;
      log.push('first finished');
      return 1;
    }, c.signal);
    const second = q.enqueue(async () => {
      log.push('second started');
      return 2;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(log).toEqual(['first started']);
    c.abort();
    await expect(first).rejects.toBeInstanceOf(AbortError);
    expect(q.pending).toBe(2); // the abandoned run still occupies the queue
    expect(log).toEqual(['first started']);
    gate.resolve();
    await expect(second).resolves.toBe(2);
    expect(log).toEqual(['first started', 'first finished', 'second started']);
    await q.idle();
    expect(q.pending).toBe(0);
  });

  it('never runs a job aborted while waiting, and keeps the abort reason as cause', async () => {
    const q = new RunQueue();
    const gate = deferred();
    let ran = false;
    const head = q.enqueue(() => gate.promise);
    const c = new AbortController();
    const reason = new Error('user cancelled');
    const waiting = q.enqueue(async () => {
      ran = true;
    }, c.signal);
    c.abort(reason);
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).message).toBe('user cancelled');
    expect((err as AbortError).cause).toBe(reason);
    gate.resolve();
    await head;
    await q.idle();
    expect(ran).toBe(false);
  });

  it('rejects an already-aborted signal without queueing', async () => {
    const q = new RunQueue();
    let ran = false;
    await expect(
      q.enqueue(async () => {
        ran = true;
      }, AbortSignal.abort()),
    ).rejects.toBeInstanceOf(AbortError);
    expect(ran).toBe(false);
    expect(q.pending).toBe(0);
  });
});
