/** A small, strict argument parser: unknown options are errors, values are validated where they are declared. */
export interface OptionSpec {
  /** Takes a value (`--name value` or `--name=value`); otherwise a boolean flag. */
  value?: boolean;
}

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const short = /^-[A-Za-z]$/.test(arg);
    if (!arg.startsWith('--') && !short) {
      positional.push(arg);
      continue;
    }
    const eq = short ? -1 : arg.indexOf('=');
    const name = short ? arg.slice(1) : arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (s === undefined) throw new UsageError(`unknown option ${arg}`);
    if (!s.value) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
    } else if (eq >= 0) {
      options.set(name, arg.slice(eq + 1));
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      options.set(name, argv[++i]);
    }
  }
  return { positional, options };
}

/** A non-negative integer option (accepts 1e9, 0x10, 1_000). */
export function intOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.options.get(name);
  if (v === undefined) return undefined;
  const n = Number(String(v).replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got ${String(v)}`);
  return n;
}
