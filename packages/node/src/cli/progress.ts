/** What the progress display writes to (stderr). */
export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Progress of a batch on stderr. On a terminal: one bar redrawn in place (at most ten
 * times a second); otherwise one plain line per finished item, so logs stay readable.
 */
export class BatchProgress {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #total: number;
  readonly #now: () => number;
  readonly #started: number;
  #done = 0;
  #index = 0;
  #name = '';
  #fraction = 0;
  #detail = '';
  #lastDraw = 0;
  #drawn = false;

  constructor(stream: ProgressStream, total: number, options: { tty?: boolean; now?: () => number } = {}) {
    this.#stream = stream;
    this.#tty = options.tty ?? stream.isTTY === true;
    this.#total = total;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
  }

  get elapsedMs(): number {
    return this.#now() - this.#started;
  }

  /** Starts item `index` (1-based). */
  begin(index: number, name: string): void {
    this.#index = index;
    this.#name = name;
    this.#fraction = 0;
    this.#detail = '';
    this.#draw(true);
  }

  /** Progress inside the current item, 0..1, with an optional note such as 'step 12/50'. */
  update(fraction: number, detail = ''): void {
    this.#fraction = Math.min(1, Math.max(0, fraction));
    this.#detail = detail;
    this.#draw(false);
  }

  /** Ends the current item; a failed item's message is always printed on its own line. */
  end(ok: boolean, message: string): void {
    this.#done++;
    this.#fraction = 0;
    const line = `[${this.#index}/${this.#total}] ${ok ? '' : 'FAILED '}${message}`;
    if (this.#tty) {
      if (!ok) this.log(line);
      this.#draw(true);
    } else this.#stream.write(`${line}\n`);
  }

  /** Prints a line without garbling the bar. */
  log(line: string): void {
    if (this.#tty && this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#stream.write(`${line}\n`);
    this.#drawn = false;
    if (this.#tty) this.#draw(true);
  }

  /** Removes the bar. */
  finish(): void {
    if (this.#tty && this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }

  /** The bar as text (also used by tests). */
  render(width = this.#stream.columns ?? 80): string {
    const overall = this.#total === 0 ? 1 : (this.#done + this.#fraction) / this.#total;
    const pct = `${Math.floor(overall * 100)}%`.padStart(4);
    const counter = `${Math.min(this.#index, this.#total)}/${this.#total}`;
    const time = formatDuration(this.elapsedMs);
    const barWidth = Math.max(10, Math.min(30, width - 50));
    const filled = Math.round(overall * barWidth);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`;
    const tail = [this.#name, this.#detail && `(${this.#detail})`].filter(Boolean).join(' ');
    const text = `${bar} ${pct} ${counter} ${time} ${tail}`;
    return text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text;
  }

  #draw(force: boolean): void {
    if (!this.#tty) return;
    const now = this.#now();
    if (!force && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#stream.write(`\r\x1b[2K${this.render()}`);
    this.#drawn = true;
  }
}
