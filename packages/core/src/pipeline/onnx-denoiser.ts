import type { Denoiser } from '../denoiser/types';
import type { ModelSession } from '../runtime/types';
import { full } from '../tensor/tensor';
import type { AbortSignalLike } from '../util/abort';

/**
 * The bundle's fused UNet + IRControlNet graph as a core Denoiser. The control scales
 * ride along as a graph input, so no control tensor ever crosses into JS.
 */
export function onnxDenoiser(session: ModelSession, options: { signal?: AbortSignalLike } = {}): Denoiser {
  return async (x, timestep, cond) => {
    if (!cond.context) throw new Error('denoiser: a context (prompt embedding) is required');
    if (!cond.control) throw new Error('denoiser: a control latent is required');
    const batch = x.shape[0];
    const scales = cond.controlScales ?? new Float32Array(13).fill(1);
    const out = await session.run(
      {
        x,
        timestep: full([batch], timestep),
        context: cond.context,
        control: cond.control,
        control_scales: { data: scales, shape: [scales.length] },
      },
      { signal: options.signal },
    );
    const result = out.out;
    if (!result) throw new Error("denoiser graph produced no output named 'out'");
    return result;
  };
}
