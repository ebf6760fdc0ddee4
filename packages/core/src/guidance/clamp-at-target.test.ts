import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensor/tensor';
import { clampStepAtTarget } from './clamp-at-target';

const t = (values: number[], shape = [1, 1, 1, values.length]): Tensor => ({ data: Float32Array.from(values), shape });

describe('clampStepAtTarget', () => {
  it('lands overshooting elements on the target and leaves the others alone', () => {
    const current = t([0, 0, 0, 2, 1, 5]);
    const target = t([1, 1, 1, -1, 1, 5]);
    // overshoot, short step, step away, overshoot downwards, at the target already, exact hit
    const next = Float32Array.from([3, 0.5, -2, -4, 1.5, 5]);
    clampStepAtTarget(current, next, target);
    expect([...next]).toEqual([1, 0.5, -2, -1, 1.5, 5]);
  });

  it('broadcasts a batch-1 target over the batch', () => {
    const current = t([0, 0, 0, 0], [2, 1, 1, 2]);
    const target = t([1, -1], [1, 1, 1, 2]);
    const next = Float32Array.from([2, -0.5, 0.5, -3]);
    clampStepAtTarget(current, next, target);
    expect([...next]).toEqual([1, -0.5, 0.5, -1]);
  });

  it('refuses a target that does not broadcast', () => {
    expect(() => clampStepAtTarget(t([0, 0, 0]), new Float32Array(3), t([1, 1]))).toThrow(/does not broadcast/);
    expect(() => clampStepAtTarget(t([0, 0]), new Float32Array(3), t([1, 1]))).toThrow(/does not broadcast/);
  });
});
