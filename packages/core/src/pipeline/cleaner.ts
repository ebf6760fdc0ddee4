import type { ModelSession } from '../runtime/types';
import type { Tensor } from '../tensor/tensor';
import type { AbortSignalLike } from '../util/abort';

/** Stage 1: RGB (1,3,H,W) in [0,1] -> RGB in [0,1] (possibly larger by an integer scale). */
export type Cleaner = (image: Tensor, options?: { signal?: AbortSignalLike }) => Promise<Tensor>;

/** A cleaner around any ONNX session with one image input and one image output. */
export function onnxCleaner(session: ModelSession, names: { input?: string; output?: string } = {}): Cleaner {
  const input = names.input ?? session.inputs[0]?.name ?? 'image';
  const output = names.output ?? session.outputs[0]?.name ?? 'image';
  return async (image, options) => {
    const out = await session.run({ [input]: image }, { signal: options?.signal });
    const result = out[output];
    if (!result) throw new Error(`cleaner graph produced no output named '${output}'`);
    return result;
  };
}
