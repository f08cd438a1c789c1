/**
 * A circuit breaker in front of the request pool: when the database stops answering (stopped,
 * partitioned, resetting connections), requests get a 503 at once instead of each waiting for a
 * connection or a query that will not come. This is what "503 within 2 s, never a hang" rests on.
 *
 * - closed: requests go to the pool. A connection-level failure (refused, reset, terminated, a
 *   query or connect that timed out) opens the breaker.
 * - open: requests fail at once with `DatabaseUnavailable`; so do requests already waiting for a
 *   pooled connection. A probe on a connection of its own (api/health.ts) runs every
 *   `probeEveryMs`; its first success closes the breaker.
 */
export class DatabaseUnavailable extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(why: string) {
    super(`the database is unavailable (${why})`);
  }
}

export class CircuitBreaker {
  private openSince: number | null = null;
  private why = '';
  private waiters = new Set<(err: DatabaseUnavailable) => void>();
  private probing: NodeJS.Timeout | null = null;
  /** Times the breaker opened (for tests and /internal/pool). */
  opened = 0;

  constructor(
    private readonly probe: () => Promise<boolean>,
    private readonly probeEveryMs = 250,
  ) {}

  get isOpen(): boolean {
    return this.openSince !== null;
  }

  /** Throws DatabaseUnavailable while open. */
  assertClosed(): void {
    if (this.openSince !== null) throw new DatabaseUnavailable(this.why);
  }

  /** `work`, unless the breaker opens first: then DatabaseUnavailable (and `work`'s result, when it comes, goes to `discard`). */
  async guard<T>(work: Promise<T>, discard: (value: T) => void): Promise<T> {
    if (this.openSince !== null) {
      // `work` has begun already: its result (or its failure) must not go unhandled.
      work.then(discard, () => undefined);
      throw new DatabaseUnavailable(this.why);
    }
    let reject: (err: DatabaseUnavailable) => void = () => undefined;
    const tripped = new Promise<never>((_, r) => (reject = r));
    this.waiters.add(reject);
    let lost = false;
    try {
      return await Promise.race([work, tripped]);
    } catch (err) {
      if (err instanceof DatabaseUnavailable) lost = true;
      throw err;
    } finally {
      this.waiters.delete(reject);
      if (lost) work.then(discard, () => undefined);
    }
  }

  /** A connection-level failure: open, fail every waiter, and probe until the database answers. */
  trip(why: string): void {
    if (this.openSince !== null) return;
    this.openSince = Date.now();
    this.why = why;
    this.opened++;
    for (const reject of this.waiters) reject(new DatabaseUnavailable(why));
    this.waiters.clear();
    const tick = (): void => {
      this.probe().then(
        (ok) => {
          if (this.openSince === null) return;
          if (ok) {
            this.openSince = null;
            this.probing = null;
          } else this.probing = setTimeout(tick, this.probeEveryMs).unref();
        },
        () => (this.probing = setTimeout(tick, this.probeEveryMs).unref()),
      );
    };
    this.probing = setTimeout(tick, this.probeEveryMs).unref();
  }

  stop(): void {
    if (this.probing) clearTimeout(this.probing);
    this.probing = null;
  }
}
