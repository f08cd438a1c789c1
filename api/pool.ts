/**
 * The API's connection pool, instrumented: how many checkouts had to wait, how many timed out,
 * and the most connections in use at once. The exact-count ladder asserts on these.
 */
import type { Pool, PoolClient } from 'pg';
import { createPool } from '../db/connect';
import type { PoolStats } from '../formats/summary';
import type { CircuitBreaker } from './breaker';

export class InstrumentedPool {
  readonly pool: Pool;
  private acquired = 0;
  private waits = 0;
  private timeouts = 0;
  private errors = 0;
  private maxInUse = 0;
  private readonly guarded = new WeakSet<PoolClient>();

  constructor(
    readonly url: string,
    readonly max: number,
    acquireTimeoutMs: number,
    /** Client-side bound on every query (a partitioned database answers nothing); null: none (the hang-on-db-loss negative control). */
    queryTimeoutMs: number | null = null,
    /** Fails checkouts at once while the database is known down (api/breaker.ts); null: none. */
    private readonly breaker: CircuitBreaker | null = null,
  ) {
    this.pool = createPool({
      connectionString: url,
      max,
      connectionTimeoutMillis: acquireTimeoutMs,
      idleTimeoutMillis: 30_000,
      statement_timeout: 10_000,
      ...(queryTimeoutMs === null ? {} : { query_timeout: queryTimeoutMs }),
      // A statement outside BEGIN is a SERIALIZABLE transaction of its own (safe mode's one
      // round trip); explicit transactions name their level.
      options: '-c default_transaction_isolation=serializable',
    });
  }

  async connect(): Promise<PoolClient> {
    if (this.pool.idleCount === 0 && this.pool.totalCount >= this.max) this.waits++;
    try {
      this.breaker?.assertClosed();
      const client = this.breaker ? await this.breaker.guard(this.pool.connect(), (c) => c.release()) : await this.pool.connect();
      // A checked-out client's socket can fail between queries (a reset while a query is being
      // written): pg emits that as an 'error' event, which with no listener kills the process.
      // The failure reaches the query too; the listener only keeps the API alive.
      if (!this.guarded.has(client)) {
        this.guarded.add(client);
        client.on('error', () => undefined);
      }
      this.acquired++;
      const inUse = this.pool.totalCount - this.pool.idleCount;
      if (inUse > this.maxInUse) this.maxInUse = inUse;
      return client;
    } catch (err) {
      if (/timeout exceeded when trying to connect/i.test((err as Error).message)) this.timeouts++;
      else this.errors++;
      throw err;
    }
  }

  stats(): PoolStats {
    return {
      max: this.max,
      acquired: this.acquired,
      waits: this.waits,
      timeouts: this.timeouts,
      errors: this.errors,
      maxInUse: this.maxInUse,
      inUse: this.pool.totalCount - this.pool.idleCount,
      waiting: this.pool.waitingCount,
    };
  }

  resetStats(): void {
    this.acquired = this.waits = this.timeouts = this.errors = this.maxInUse = 0;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
