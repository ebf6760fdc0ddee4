import { latentMseGuidance } from '../guidance/latent-mse';
import { likelihoodGuidance } from '../guidance/likelihood';
import { regionAdaptiveGuidance, regionAdaptiveWeightMap } from '../guidance/region-adaptive';
import type { Guidance } from '../guidance/types';
import type { Tensor } from '../tensor/tensor';
import type { GuidanceChoice } from './options';
import type { VaeCodec } from './vae';

/** Builds the Guidance hook a GuidanceChoice asks for, against this restore's targets. */
export function resolveGuidance(
  choice: GuidanceChoice | undefined,
  targets: { readonly cleaned: Tensor; readonly condition: Tensor; readonly vae: VaeCodec },
): Guidance | undefined {
  if (!choice || choice.kind === 'none') return undefined;
  switch (choice.kind) {
    case 'latent-mse':
      return latentMseGuidance({
        target: targets.condition,
        scale: choice.scale,
        tStart: choice.start,
        tStop: choice.stop,
        clampAtTarget: choice.clampAtTarget,
      });
    case 'region-adaptive': {
      if (choice.space === 'pixel' && choice.clampAtTarget !== undefined) {
        throw new RangeError("guidance: clampAtTarget applies to space 'latent' only (the pixel step is not linear)");
      }
      const weight = regionAdaptiveWeightMap(targets.cleaned);
      return choice.space === 'pixel'
        ? regionAdaptiveGuidance({
            space: 'pixel',
            image: targets.cleaned,
            weight,
            decode: targets.vae.decodeSigned,
            encode: targets.vae.encodeSigned,
            scale: choice.scale,
            tStart: choice.start,
            tStop: choice.stop,
          })
        : regionAdaptiveGuidance({
            space: 'latent',
            image: targets.cleaned,
            target: targets.condition,
            weight,
            scale: choice.scale,
            tStart: choice.start,
            tStop: choice.stop,
            clampAtTarget: choice.clampAtTarget,
          });
    }
    case 'likelihood':
      return likelihoodGuidance({ operator: choice.operator, measurement: choice.measurement, scale: choice.scale });
  }
}
