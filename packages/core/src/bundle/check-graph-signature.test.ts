import { describe, expect, it } from 'vitest';
import type { ValueInfo, ValueType } from '../runtime/types';
import { checkGraphSignature, GraphSignatureError } from './check-graph-signature';
import { GRAPH_CONTRACTS } from './graph-contracts';

const info = (name: string, type: ValueType, shape: (number | string | null)[]): ValueInfo => ({ name, type, shape });

/** The SD 2.1 denoiser signature as a runtime would report it. */
function sdDenoiser() {
  return {
    inputs: [
      info('x', 'float32', ['batch', 4, 'height', 'width']),
      info('timestep', 'float32', ['batch']),
      info('context', 'float32', ['batch', 'tokens', 1024]),
      info('control', 'float32', ['batch', 4, 'height', 'width']),
      info('control_scales', 'float32', [13]),
    ],
    outputs: [info('out', 'float32', ['batch', 4, 'height', 'width'])],
  };
}

function problemsOf(session: { inputs: ValueInfo[]; outputs: ValueInfo[] }, options = {}): readonly string[] {
  try {
    checkGraphSignature(session, GRAPH_CONTRACTS.denoiser, options);
  } catch (e) {
    expect(e).toBeInstanceOf(GraphSignatureError);
    return (e as GraphSignatureError).problems;
  }
  return [];
}

describe('checkGraphSignature with reported signatures', () => {
  it('accepts the SD 2.1 denoiser signature, and unknown (null) dims', () => {
    expect(problemsOf(sdDenoiser())).toEqual([]);
    const s = sdDenoiser();
    s.inputs[2] = info('context', 'float32', [null, null, null]);
    expect(problemsOf(s)).toEqual([]);
  });

  it('names a missing and an unexpected input', () => {
    const s = sdDenoiser();
    s.inputs[4] = info('scales', 'float32', [13]);
    expect(problemsOf(s)).toEqual([
      "missing input 'control_scales' (graph has: x, timestep, context, control, scales)",
      "unexpected input 'scales'",
    ]);
  });

  it('reports element type, rank and static-dim mismatches', () => {
    const s = sdDenoiser();
    s.inputs[1] = info('timestep', 'int64', ['batch']);
    s.inputs[2] = info('context', 'float32', ['batch', 77, 768]);
    s.inputs[4] = info('control_scales', 'float32', [12]);
    s.outputs[0] = info('out', 'float32', ['batch', 4, 'height']);
    expect(problemsOf(s)).toEqual([
      "input 'timestep' is int64, expected float32",
      "input 'context' dim 1 is fixed to 77, expected dynamic axis 'tokens' (shape [batch, 77, 768])",
      "input 'context' dim 2 is 768, expected 1024 (shape [batch, 77, 768])",
      "input 'control_scales' dim 0 is 12, expected 13 (shape [12])",
      "output 'out' has rank 3 [batch, 4, height], expected rank 4 [batch, 4, height, width]",
    ]);
  });

  it('rejects a graph exported for one size unless fixed dims are allowed', () => {
    const s = sdDenoiser();
    s.inputs[0] = info('x', 'float32', [1, 4, 64, 64]);
    expect(problemsOf(s)).toHaveLength(3);
    expect(problemsOf(s, { allowFixedDims: true })).toEqual([]);
  });

  it('puts the graph name and every problem in the message', () => {
    const s = sdDenoiser();
    s.outputs = [];
    expect(() => checkGraphSignature(s, GRAPH_CONTRACTS.denoiser)).toThrow(
      /denoiser graph does not match its contract:\n {2}- missing output 'out'/,
    );
  });
});
