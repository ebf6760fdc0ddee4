import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../cli/command';

/** One (LQ, HQ) pair to make: pair `k` of the image `source`. */
export interface PlannedPair {
  /** `<stem>_<k>`: the file name (without .png) in hq/ and lq/ and the key in params.jsonl. */
  readonly id: string;
  readonly stem: string;
  readonly k: number;
  /** Absolute path of the HQ image. */
  readonly source: string;
  readonly hqPath: string;
  readonly lqPath: string;
  /** Which of the two files already exist. */
  readonly existing: 'both' | 'one' | 'none';
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** The image name without folder and extension; pair ids and streams derive from it. */
export function pairStem(file: string): string {
  return path.basename(file, path.extname(file));
}

/**
 * Lists the `perImage` pairs of every input, in input order, with their files in
 * `<outDir>/hq/<stem>_<k>.png` and `<outDir>/lq/<stem>_<k>.png`. Two inputs with the same
 * stem (`a.png`, `a.jpg`) would share files and random streams: a UsageError.
 */
export async function planPairs(inputs: readonly string[], outDir: string, perImage: number): Promise<PlannedPair[]> {
  const byStem = new Map<string, string>();
  for (const input of inputs) {
    const stem = pairStem(input);
    const key = process.platform === 'win32' || process.platform === 'darwin' ? stem.toLowerCase() : stem;
    const other = byStem.get(key);
    if (other) throw new UsageError(`inputs ${other} and ${input} have the same name '${stem}'; pairs are named by it`);
    byStem.set(key, input);
  }
  const pairs: PlannedPair[] = [];
  for (const source of inputs) {
    const stem = pairStem(source);
    for (let k = 0; k < perImage; k++) {
      const id = `${stem}_${k}`;
      const hqPath = path.join(outDir, 'hq', `${id}.png`);
      const lqPath = path.join(outDir, 'lq', `${id}.png`);
      const n = Number(await exists(hqPath)) + Number(await exists(lqPath));
      pairs.push({ id, stem, k, source, hqPath, lqPath, existing: n === 2 ? 'both' : n === 1 ? 'one' : 'none' });
    }
  }
  return pairs;
}
