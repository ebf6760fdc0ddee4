import { combine, type Sampler } from '@diffrestore/core';

/**
 * Deterministic DDIM on a quadratic timestep grid, t_i = floor((T - 1) (1 - i/k)^2): dense
 * steps at low noise, where detail forms. Ends on clean data (alphaBar 1). A sampler is a
 * name and a `start` that returns the run: its timesteps, how x_T enters, and one step.
 */
export function quadraticDdimSampler(): Sampler {
  return {
    name: 'ddim-quadratic',
    start({ schedule, steps }) {
      const ab = schedule.alphasCumprod;
      const grid = Array.from({ length: steps }, (_, i) => Math.floor((ab.length - 1) * (1 - i / steps) ** 2));
      const timesteps = [...new Set(grid)];
      return {
        timesteps,
        init: (noise) => noise, // DDIM works on the VP scale, as x_T is given.
        async step(x, i, predict) {
          const alphaBar = ab[timesteps[i]];
          const alphaBarNext = i + 1 < timesteps.length ? ab[timesteps[i + 1]] : 1;
          const at = { step: i, steps: timesteps.length, timestep: timesteps[i], alphaBar, alphaBarNext };
          // The loop hands back x0 and eps whatever the network predicts (and after guidance).
          const { x0, eps } = await predict(x, at);
          return combine([Math.sqrt(alphaBarNext), Math.sqrt(1 - alphaBarNext)], [x0, eps]);
        },
      };
    },
  };
}
