import type { ModelSession, ValueInfo } from '../runtime/types';
import type { GraphContract, TensorContract } from './graph-contracts';

/** A loaded graph whose inputs/outputs differ from its contract; `problems` lists each difference. */
export class GraphSignatureError extends Error {
  readonly graph: string;
  readonly problems: readonly string[];
  constructor(graph: string, problems: readonly string[]) {
    super(`${graph} graph does not match its contract:\n  - ${problems.join('\n  - ')}`);
    this.name = 'GraphSignatureError';
    this.graph = graph;
    this.problems = problems;
  }
}

export interface CheckGraphSignatureOptions {
  /**
   * Accept a static size where the contract has a dynamic axis (a graph exported for one
   * image size); the pipeline must then feed exactly that size. Default false.
   */
  readonly allowFixedDims?: boolean;
}

const fmt = (shape: readonly (number | string | null)[]) =>
  `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

function compare(kind: string, want: TensorContract, got: ValueInfo, allowFixed: boolean, problems: string[]): void {
  const where = `${kind} '${want.name}'`;
  if (got.type !== 'unknown' && got.type !== want.type) problems.push(`${where} is ${got.type}, expected ${want.type}`);
  if (got.shape.length !== want.shape.length) {
    problems.push(
      `${where} has rank ${got.shape.length} ${fmt(got.shape)}, expected rank ${want.shape.length} ${fmt(want.shape)}`,
    );
    return;
  }
  want.shape.forEach((w, i) => {
    const g = got.shape[i];
    const gStatic = typeof g === 'number' && g >= 0;
    if (typeof w === 'number') {
      if (gStatic && g !== w) problems.push(`${where} dim ${i} is ${g}, expected ${w} (shape ${fmt(got.shape)})`);
    } else if (gStatic && !allowFixed) {
      problems.push(`${where} dim ${i} is fixed to ${g}, expected dynamic axis '${w}' (shape ${fmt(got.shape)})`);
    }
  });
}

function compareList(
  kind: string,
  want: readonly TensorContract[],
  got: readonly ValueInfo[],
  allowFixed: boolean,
  problems: string[],
) {
  for (const w of want) {
    const g = got.find((v) => v.name === w.name);
    if (!g) problems.push(`missing ${kind} '${w.name}' (graph has: ${got.map((v) => v.name).join(', ') || 'none'})`);
    else compare(kind, w, g, allowFixed, problems);
  }
  for (const g of got) {
    if (!want.some((w) => w.name === g.name)) problems.push(`unexpected ${kind} '${g.name}'`);
  }
}

/**
 * Compares a loaded session's inputs and outputs (names, element types, ranks, static
 * dims, dynamic axes) with a graph contract and throws a GraphSignatureError listing every
 * difference. Dims the runtime reports as unknown (null, a name, or -1) satisfy any
 * contract dim; element type 'unknown' is not checked.
 */
export function checkGraphSignature(
  session: Pick<ModelSession, 'inputs' | 'outputs'>,
  expected: GraphContract,
  options: CheckGraphSignatureOptions = {},
): void {
  const problems: string[] = [];
  const allowFixed = options.allowFixedDims ?? false;
  compareList('input', expected.inputs, session.inputs, allowFixed, problems);
  compareList('output', expected.outputs, session.outputs, allowFixed, problems);
  if (problems.length > 0) throw new GraphSignatureError(expected.graph, problems);
}
