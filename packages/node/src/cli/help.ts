import type { CommandSpec, FlagSpec } from './command';

const EXIT_CODES = 'Exit codes: 0 success, 1 runtime failure, 2 usage error, 130 interrupted.';

function flagLabel(name: string, f: FlagSpec): string {
  const short = f.short ? `-${f.short}, ` : '    ';
  const value = f.type === 'string' ? ` ${f.valueName ?? 'VALUE'}` : '';
  return `${short}--${name}${value}`;
}

function table(rows: [string, string][], indent = '  '): string {
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}  ${b}`).join('\n');
}

/** `diffrestore <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.flags).map(([name, f]) => {
    const extra: string[] = [];
    if (f.default !== undefined && f.default !== false) extra.push(`default ${String(f.default)}`);
    if (f.multiple) extra.push('repeatable');
    if (f.pending) extra.push('wired in a later change');
    return [flagLabel(name, f), extra.length > 0 ? `${f.description} (${extra.join('; ')})` : f.description];
  });
  rows.push(['-h, --help', 'Show this help']);
  const parts = [
    `Usage: diffrestore ${spec.name} ${spec.usage} [options]`,
    '',
    spec.summary,
    '',
    'Options:',
    table(rows),
  ];
  if (spec.details) parts.push('', spec.details);
  parts.push('', EXIT_CODES);
  return `${parts.join('\n')}\n`;
}

/** `diffrestore --help`. */
export function mainHelp(commands: readonly CommandSpec[]): string {
  return `${[
    'diffrestore: diffusion-prior blind image restoration (DiffBIR family) on ONNX Runtime',
    '',
    'Usage: diffrestore <command> [options]',
    '',
    'Commands:',
    table(commands.map((c) => [c.name, c.summary])),
    '',
    'Options:',
    table([
      ['-h, --help', "Show this help; 'diffrestore <command> --help' for a command"],
      ['-v, --version', 'Print the version'],
    ]),
    '',
    EXIT_CODES,
  ].join('\n')}\n`;
}
