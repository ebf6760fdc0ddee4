import { appendFile, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-write';
import type { PairCrop } from './pair-crop';

/** One line of params.jsonl. */
export interface PairRecord {
  /** `<stem>_<k>`. */
  readonly id: string;
  /** The HQ source image, relative to the working folder, '/'-separated. */
  readonly source: string;
  /** The pair's files, relative to the pairs folder. */
  readonly hq: string;
  readonly lq: string;
  readonly seed: number;
  /** The generator stream: `createRng(seed, stream)` drew the crop and the pipeline's numbers. */
  readonly stream: number;
  readonly crop: PairCrop;
  readonly preset: string;
  readonly scale: number;
  readonly resizeBack: boolean;
  /** What the pipeline drew (`RealEsrganDrawnParams` or `CodeformerDrawnParams`). */
  readonly params: unknown;
}

/**
 * params.jsonl: one JSON object per pair, keyed by its `id`. Lines are appended as pairs are
 * made (before their images, so an image on disk always has its line) and the file is
 * rewritten atomically at the end with one line per id, the last one written winning.
 */
export class ParamsLog {
  readonly #file: string;
  readonly #lines = new Map<string, string>();

  private constructor(file: string) {
    this.#file = file;
  }

  /** Opens a log, reading the lines it already has (none when the file is missing). */
  static async open(file: string): Promise<ParamsLog> {
    const log = new ParamsLog(file);
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      let id: unknown;
      try {
        id = (JSON.parse(line) as { id?: unknown }).id;
      } catch {
        continue; // a line cut short by a crash: its pair is redone or keeps its other line
      }
      if (typeof id === 'string') log.#lines.set(id, line);
    }
    return log;
  }

  get file(): string {
    return this.#file;
  }

  has(id: string): boolean {
    return this.#lines.has(id);
  }

  get size(): number {
    return this.#lines.size;
  }

  /** Records a pair and appends its line to the file at once. */
  async append(record: PairRecord): Promise<void> {
    const line = JSON.stringify(record);
    this.#lines.set(record.id, line);
    await appendFile(this.#file, `${line}\n`);
  }

  /**
   * Rewrites the file atomically, one line per id: ids in `order` first (in that order),
   * then any others the file held (e.g. from other inputs), in their first-seen order.
   * Ids in `drop` (pairs whose images are not both on disk) lose their line.
   */
  async compact(order: readonly string[], drop: ReadonlySet<string> = new Set()): Promise<void> {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const id of [...order, ...this.#lines.keys()]) {
      const line = this.#lines.get(id);
      if (line === undefined || seen.has(id) || drop.has(id)) continue;
      seen.add(id);
      out.push(line);
    }
    await writeFileAtomic(this.#file, new TextEncoder().encode(out.map((l) => `${l}\n`).join('')), {
      overwrite: true,
    });
  }
}
