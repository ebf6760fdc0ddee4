/** Where a command writes and what it knows about its terminal; injectable for tests. */
export interface CliIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** A wrong command line: exit code 2 and a one-line message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One flag as util.parseArgs takes it, plus what --help prints. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  readonly description: string;
  /** Placeholder in help, e.g. 'N' for `--steps N`. */
  readonly valueName?: string;
  /** Shown in help as "(wired in a later change)" while the command cannot use it yet. */
  readonly pending?: boolean;
}

export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  readonly flags: FlagValues;
  readonly positionals: readonly string[];
  readonly io: CliIo;
  /** Fires on Ctrl-C (SIGINT): stop between units of work. */
  readonly signal: AbortSignal;
}

/** A subcommand: its flags, positionals and handler, registered with the CLI. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Positional part of the usage line, e.g. '<inputs...>'. */
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** Longer text after the flags in --help. */
  readonly details?: string;
  readonly minPositionals?: number;
  readonly maxPositionals?: number;
  /** Returns the exit code (0 success, 1 failures). */
  run(ctx: CommandContext): Promise<number>;
}
