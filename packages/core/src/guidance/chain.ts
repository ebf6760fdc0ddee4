import type { Guidance } from './types';

/** Applies several guidance hooks in order, each to the previous one's x0. */
export function chainGuidance(...hooks: Guidance[]): Guidance {
  return async (x0, at) => {
    let out = x0;
    for (const g of hooks) out = await g(out, at);
    return out;
  };
}
