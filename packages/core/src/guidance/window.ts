/**
 * The reference's guidance window: guidance runs at a model evaluation whose training
 * timestep t satisfies `tStop < t + 1 < tStart` (so tStart 1001, tStop -1 = every step;
 * tStart 200 = only the low-noise end, t <= 198). Fractional timesteps (EDM samplers)
 * are compared as they are.
 */
export function inGuidanceWindow(timestep: number, tStart: number, tStop: number): boolean {
  const t = timestep + 1;
  return tStop < t && t < tStart;
}
