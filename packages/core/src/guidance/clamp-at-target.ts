import type { Tensor } from '../tensor/tensor';

/**
 * Caps a guidance step so no element moves past its target: where the step from `current`
 * to `next` overshoots `target` (step / (target - current) > 1), the element lands on the
 * target instead; steps away from the target or short of it are left as they are. `next` is
 * changed in place. The target broadcasts over the batch ((1 | B, ...) against (B, ...)).
 *
 * Why (shared by latent-MSE and latent region-adaptive guidance, whose steps are both linear
 * pulls towards c): region-adaptive guidance moves each latent element by k (c - x0) with
 * k = 2 * 3000 * s * W / (C h w * coef1), which exceeds 1 in flat regions once the scale is
 * large for the output size (about s > 2.7 at 512², s > 0.7 at 256²); then the element
 * jumps past the condition latent and fidelity falls as the scale rises. Capped, a larger
 * scale can only pull harder, up to the condition itself.
 */
export function clampStepAtTarget(current: Tensor, next: Float32Array, target: Tensor): void {
  const n = current.data.length;
  const t = target.data.length;
  if (next.length !== n || t === 0 || n % t !== 0) {
    throw new RangeError(
      `clampStepAtTarget: target [${target.shape.join(', ')}] does not broadcast to [${current.shape.join(', ')}]`,
    );
  }
  for (let i = 0; i < n; i++) {
    const x = current.data[i];
    const c = target.data[i % t];
    const toTarget = c - x;
    const step = next[i] - x;
    // Same sign and longer than the way to the target: an overshoot.
    if (step * toTarget > 0 && Math.abs(step) > Math.abs(toTarget)) next[i] = c;
  }
}
