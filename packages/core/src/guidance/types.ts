import type { StepPoint } from '../samplers/types';
import type { Tensor } from '../tensor/tensor';

/**
 * A training-free guidance hook: given the predicted clean latent x0-hat at a step
 * (and the VP-scaled x_t it came from), return the corrected x0-hat. Any sampler gets
 * it through the loop's Predictor, so guidance composes with every sampler.
 */
export type Guidance = (x0: Tensor, at: StepPoint & { readonly x: Tensor }) => Promise<Tensor>;
