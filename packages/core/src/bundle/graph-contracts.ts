import type { ValueType } from '../runtime/types';
import type { BundleManifest } from './manifest';

/** A dimension of a graph contract: a number is static, a string names a dynamic axis. */
export type ContractDim = number | string;

export interface TensorContract {
  readonly name: string;
  readonly type: ValueType;
  readonly shape: readonly ContractDim[];
}

export interface GraphContract {
  /** Component name, used in error messages. */
  readonly graph: string;
  readonly inputs: readonly TensorContract[];
  readonly outputs: readonly TensorContract[];
}

export type GraphContractName = 'denoiser' | 'vaeEncoder' | 'vaeDecoder' | 'cleaner' | 'textEncoder';

/** The numbers a bundle's contracts depend on. */
export interface GraphContractParams {
  readonly latentChannels: number;
  readonly controlOutputs: number;
  readonly contextDim: number;
  /** Token count of the text encoder's input (77 for CLIP). */
  readonly tokens: number;
  /** Element type of float inputs/outputs. */
  readonly floatType: 'float32' | 'float16';
}

const SD21: GraphContractParams = {
  latentChannels: 4,
  controlOutputs: 13,
  contextDim: 1024,
  tokens: 77,
  floatType: 'float32',
};

/** Input/output names, element types and static dims of each bundle graph (docs/model-bundle.md). */
export function makeGraphContracts(p: GraphContractParams): Readonly<Record<GraphContractName, GraphContract>> {
  const f = p.floatType;
  const latent = (name: string): TensorContract => ({
    name,
    type: f,
    shape: ['batch', p.latentChannels, 'height', 'width'],
  });
  const image = (name: string, h = 'height', w = 'width'): TensorContract => ({
    name,
    type: f,
    shape: ['batch', 3, h, w],
  });
  return {
    denoiser: {
      graph: 'denoiser',
      inputs: [
        latent('x'),
        { name: 'timestep', type: f, shape: ['batch'] },
        { name: 'context', type: f, shape: ['batch', 'tokens', p.contextDim] },
        latent('control'),
        { name: 'control_scales', type: f, shape: [p.controlOutputs] },
      ],
      outputs: [latent('out')],
    },
    vaeEncoder: {
      graph: 'vaeEncoder',
      inputs: [image('image')],
      outputs: [{ name: 'mean', type: f, shape: ['batch', p.latentChannels, 'latent_height', 'latent_width'] }],
    },
    vaeDecoder: {
      graph: 'vaeDecoder',
      inputs: [latent('latent')],
      outputs: [image('image', 'image_height', 'image_width')],
    },
    cleaner: {
      graph: 'cleaner',
      inputs: [image('image')],
      // ONNX forbids a node output named like a graph input, hence not 'image'.
      outputs: [image('restored', 'out_height', 'out_width')],
    },
    textEncoder: {
      graph: 'textEncoder',
      inputs: [{ name: 'tokens', type: 'int64', shape: ['batch', p.tokens] }],
      outputs: [{ name: 'context', type: f, shape: ['batch', p.tokens, p.contextDim] }],
    },
  };
}

/** The contracts of an SD 2.1 + IRControlNet bundle with float32 I/O. */
export const GRAPH_CONTRACTS = makeGraphContracts(SD21);

/** The contracts a bundle's graphs must satisfy, with the manifest's numbers. */
export function graphContractsFor(manifest: BundleManifest): Readonly<Record<GraphContractName, GraphContract>> {
  return makeGraphContracts({
    latentChannels: manifest.latent.channels,
    controlOutputs: manifest.diffusion.controlOutputs,
    contextDim: manifest.diffusion.context.dim,
    tokens: manifest.diffusion.context.length,
    floatType: manifest.ioDtype,
  });
}
