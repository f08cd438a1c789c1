/**
 * The one wrapper every command-line entry point goes through.
 *
 * Known failures (PackError) become one line and their documented exit code; unknown ones keep
 * their stack and exit 255. Cleanups always run before the process exits.
 */
import { EXIT, ExitCode, PackError, isPackError } from './errors';
import { interruptSignal, runCleanups } from './lifecycle';

export type CommandResult = ExitCode | number;

export function describeError(err: unknown): { line: string; exitCode: number } {
  if (isPackError(err)) return { line: err.toLine(), exitCode: err.exitCode };
  const e = err as Error;
  return {
    line: `internal error: ${e?.stack ?? String(err)}\n(this is a bug in the pack; please report it with the output above)`,
    exitCode: EXIT.INTERNAL,
  };
}

export function main(command: (argv: string[]) => Promise<CommandResult>): void {
  const argv = process.argv.slice(2);
  void (async () => {
    let code: number;
    try {
      code = await command(argv);
    } catch (err) {
      if (interruptSignal()) {
        code = EXIT.INTERRUPTED;
      } else {
        const { line, exitCode } = describeError(err);
        process.stderr.write(`${line}\n`);
        code = exitCode;
      }
    }
    await runCleanups();
    if (interruptSignal()) code = EXIT.INTERRUPTED;
    process.exit(code);
  })();
}

/** Parses `--flag`, `--key value` and `--key=value`; rejects anything not declared. */
export function parseArgs(
  argv: string[],
  spec: { flags?: string[]; options?: string[]; positionals?: number },
): { flags: Set<string>; options: Map<string, string>; positionals: string[] } {
  const flags = new Set<string>();
  const options = new Map<string, string>();
  const positionals: string[] = [];
  const known = new Set([...(spec.flags ?? []), ...(spec.options ?? [])]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (!known.has(name)) {
        throw new PackError('LT_USAGE', `unknown option --${name}; accepted: ${[...known].map((k) => `--${k}`).join(', ') || 'none'}`);
      }
      if (spec.flags?.includes(name)) {
        if (eq >= 0) throw new PackError('LT_USAGE', `--${name} takes no value`);
        flags.add(name);
      } else {
        const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined || value === '') throw new PackError('LT_USAGE', `--${name} needs a value`);
        options.set(name, value);
      }
    } else {
      positionals.push(arg);
    }
  }
  if (positionals.length > (spec.positionals ?? 0)) {
    throw new PackError('LT_USAGE', `unexpected argument "${positionals[spec.positionals ?? 0]}"`);
  }
  return { flags, options, positionals };
}
