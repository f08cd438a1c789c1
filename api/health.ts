/**
 * GET /health without starving the API: the database is probed on a connection of its own (a
 * pool of one, never the request pool), concurrent checks share one probe in flight, and a
 * success is reused for half a second. A flood of health checks costs one query per 500 ms.
 */
import type { Pool } from 'pg';
import { createPool } from '../db/connect';

export class HealthProbe {
  private readonly pool: Pool;
  private inFlight: Promise<boolean> | null = null;
  private lastOkAt = -Infinity;
  /** Database round trips made (for tests and the curious). */
  probes = 0;

  constructor(
    databaseUrl: string,
    private readonly cacheMs = 500,
  ) {
    // Bounded on the client side too: a partitioned database answers nothing, not even a timeout.
    this.pool = createPool({
      connectionString: databaseUrl,
      max: 1,
      connectionTimeoutMillis: 1000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 1000,
      query_timeout: 1000,
    });
  }

  /** A probe now, past the cache (the circuit breaker's: api/breaker.ts). */
  checkFresh(): Promise<boolean> {
    this.lastOkAt = -Infinity;
    return this.check();
  }

  /** Whether the database answered (now, or within the last cacheMs). */
  check(): Promise<boolean> {
    if (performance.now() - this.lastOkAt < this.cacheMs) return Promise.resolve(true);
    this.inFlight ??= (async () => {
      this.probes++;
      try {
        await this.pool.query('SELECT 1');
        this.lastOkAt = performance.now();
        return true;
      } catch {
        return false;
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
