/**
 * Retrying a transaction from the start on serialization failures, with a bounded number of
 * attempts and full-jitter exponential backoff.
 */

/** SQLSTATEs after which the whole transaction is retried. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code !== undefined && RETRYABLE_SQLSTATES.has(code);
}

/** Full jitter: a uniform delay in [0, min(cap, base * 2^(attempt-1))]. */
export function backoffMs(attempt: number, random: () => number = Math.random, baseMs = 2, capMs = 64): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * (ceiling + 1));
}

export class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`serialization conflict persisted after ${attempts} attempts`, { cause });
    this.name = 'RetriesExhausted';
  }
}

/**
 * Runs `attempt` until it succeeds, it throws a non-retryable error, or maxAttempts is reached.
 * `again` lets the caller retry other errors too (for example a duplicate idempotency key).
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  opts: { maxAttempts: number; again?: (err: unknown) => boolean; sleep?: (ms: number) => Promise<void>; random?: () => number },
): Promise<{ value: T; attempts: number }> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (err) {
      const retryable = isRetryable(err) || (opts.again?.(err) ?? false);
      if (!retryable) throw err;
      if (n >= opts.maxAttempts) throw new RetriesExhausted(n, err);
      await sleep(backoffMs(n, opts.random));
    }
  }
}
