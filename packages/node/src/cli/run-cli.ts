import { isAbortError } from '@diffrestore/core';
import { parseCommandArgs } from './args';
import { type CliIo, type CommandSpec, UsageError } from './command';
import { degradeCommand } from './commands/degrade';
import { infoCommand } from './commands/info';
import { restoreCommand } from './commands/restore';
import { commandHelp, mainHelp } from './help';
import { packageVersion } from './version';

/** The commands of the `diffrestore` binary, in help order. */
export const DEFAULT_COMMANDS: readonly CommandSpec[] = [restoreCommand, degradeCommand, infoCommand];

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\n\s*(- )?/g, '; ');
}

/**
 * Runs the CLI on `argv` (without node and script) and resolves with the exit code:
 * 0 success, 1 runtime failure, 2 usage error, 130 interrupted. Never throws.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  options: { commands?: readonly CommandSpec[]; signal?: AbortSignal } = {},
): Promise<number> {
  const commands = options.commands ?? DEFAULT_COMMANDS;
  const signal = options.signal ?? new AbortController().signal;
  const [first, ...rest] = argv;
  let command: CommandSpec | undefined;
  try {
    if (first === undefined) {
      io.stderr.write(mainHelp(commands));
      return 2;
    }
    if (first === '-h' || first === '--help') {
      io.stdout.write(mainHelp(commands));
      return 0;
    }
    if (first === 'help') {
      const target = commands.find((c) => c.name === rest[0]);
      io.stdout.write(target ? commandHelp(target) : mainHelp(commands));
      return 0;
    }
    if (first === '-v' || first === '--version') {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (see 'diffrestore --help')`);
    command = commands.find((c) => c.name === first);
    if (!command) {
      throw new UsageError(`unknown command '${first}' (commands: ${commands.map((c) => c.name).join(', ')})`);
    }
    const { flags, positionals } = parseCommandArgs(command, rest);
    if (flags.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run({ flags, positionals, io, signal });
  } catch (e) {
    const prefix = command ? `diffrestore ${command.name}` : 'diffrestore';
    if (e instanceof UsageError) {
      io.stderr.write(`${prefix}: ${e.message}\n`);
      return 2;
    }
    if (isAbortError(e) || signal.aborted) {
      io.stderr.write(`${prefix}: interrupted\n`);
      return 130;
    }
    io.stderr.write(`${prefix}: ${oneLine(e)}\n`);
    if (io.env.DIFFRESTORE_DEBUG && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
