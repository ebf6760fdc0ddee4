import { parseArgs } from 'node:util';
import { type CommandSpec, type FlagValues, UsageError } from './command';

/** The flags every command takes. */
export const HELP_FLAG = { type: 'boolean', short: 'h', description: 'Show this help' } as const;

/** Turns util.parseArgs' multi-sentence errors into one short line. */
function oneLine(e: unknown, command: string): UsageError {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  const quoted = /'([^']+)'/.exec(msg)?.[1];
  const hint = `(see 'diffrestore ${command} --help')`;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${quoted ?? msg} ${hint}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = /--[\w-]+/.exec(quoted ?? msg)?.[0] ?? quoted;
      return new UsageError(
        msg.includes('argument missing') ? `option ${flag} needs a value ${hint}` : `${msg.split(/\.\s/)[0]} ${hint}`,
      );
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument ${quoted ?? ''} ${hint}`.replace(/ {2,}/g, ' '));
    default:
      return new UsageError(`${msg.split('\n')[0]} ${hint}`);
  }
}

/** Parses a command's arguments strictly; errors are one-line UsageErrors. */
export function parseCommandArgs(
  spec: CommandSpec,
  args: readonly string[],
): { flags: FlagValues; positionals: string[] } {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string | boolean }
  > = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries(spec.flags)) {
    options[name] = {
      type: f.type,
      ...(f.short ? { short: f.short } : {}),
      ...(f.multiple ? { multiple: true } : {}),
      ...(f.default !== undefined ? { default: f.default } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw oneLine(e, spec.name);
  }
  const flags = parsed.values as FlagValues;
  const positionals = parsed.positionals;
  if (!flags.help) {
    const min = spec.minPositionals ?? 0;
    const max = spec.maxPositionals ?? Number.POSITIVE_INFINITY;
    if (positionals.length < min) throw new UsageError(`missing ${spec.usage} (see 'diffrestore ${spec.name} --help')`);
    if (positionals.length > max) {
      throw new UsageError(`unexpected argument ${positionals[max]} (see 'diffrestore ${spec.name} --help')`);
    }
  }
  return { flags, positionals };
}

/** A numeric flag: undefined when absent, a UsageError when not a number in range. */
export function numberFlag(
  flags: FlagValues,
  name: string,
  opts: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const s = String(raw).trim();
  const v = s === '' ? Number.NaN : Number(s);
  const kind = opts.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v)))
    throw new UsageError(`--${name} must be ${kind}, got '${raw}'`);
  if (opts.min !== undefined && v < opts.min) throw new UsageError(`--${name} must be at least ${opts.min}, got ${v}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name} must be at most ${opts.max}, got ${v}`);
  return v;
}

/** A flag restricted to a set of words. */
export function choiceFlag<T extends string>(flags: FlagValues, name: string, choices: readonly T[]): T | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${raw}'`);
  return raw as T;
}
