/**
 * The reference API's expensive reads (the contract's optional report endpoints, README "API
 * contract"): what an admin dashboard asks of the tables the unit operations write. They are the
 * "pressure" of `load-test:swarm` (seed 000's swarm and pressure).
 *
 *   balances  every authorization of an organization (up to `limit`), each balance summed from the
 *             ledger rather than read from its stored counters: a join and an aggregate over the
 *             rows being written
 *   usage     the ledger of an organization aggregated per period (minute, hour or day) and per
 *             operation, over [from, to): a scan of the table being written
 *
 * Each is one statement, in the pool's default SERIALIZABLE isolation and READ ONLY, retried on a
 * serialization failure like a unit operation: a read that competes with the writers for predicate
 * locks is the point of the pressure.
 */
import type { PoolClient } from 'pg';
import type { InstrumentedPool } from './pool';
import { withRetries } from './retry';

export const PERIODS = ['minute', 'hour', 'day'] as const;
export type Period = (typeof PERIODS)[number];
export const MAX_BALANCES = 5000;
/** The longest usage window: a year and a day. */
export const MAX_USAGE_MS = 366 * 24 * 3600 * 1000;

export interface BalanceRow {
  readonly authorizationId: string;
  readonly capacityUnits: number;
  readonly reservedUnits: number;
  readonly consumedUnits: number;
  readonly availableUnits: number;
}

export interface UsageBucket {
  readonly start: string;
  readonly operations: number;
  readonly reservedUnits: number;
  readonly releasedUnits: number;
  readonly consumedUnits: number;
}

export class OrganizationReports {
  constructor(
    private readonly pool: InstrumentedPool,
    private readonly maxAttempts: number,
  ) {}

  private async readOnly<T>(fn: (c: PoolClient) => Promise<T>): Promise<{ value: T; attempts: number }> {
    return withRetries(
      async () => {
        const c = await this.pool.connect();
        try {
          await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY');
          const v = await fn(c);
          await c.query('COMMIT');
          return v;
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          c.release();
        }
      },
      { maxAttempts: this.maxAttempts },
    );
  }

  /** Balances summed from the ledger, the first `limit` authorizations of the organization by id; null when it has none. */
  async balances(
    organizationId: string,
    limit: number,
  ): Promise<{ value: { totals: Omit<BalanceRow, 'authorizationId'>; balances: BalanceRow[] }; attempts: number }> {
    return this.readOnly(async (c) => {
      const res = await c.query<{ id: string; capacity: number; reserved: string; consumed: string }>(
        `WITH a AS (SELECT id, capacity_units FROM authorizations WHERE organization_id = $1 ORDER BY id LIMIT $2)
         SELECT a.id, a.capacity_units AS capacity,
                COALESCE(SUM(CASE l.operation WHEN 'reserve' THEN l.units ELSE -l.units END), 0) AS reserved,
                COALESCE(SUM(l.units) FILTER (WHERE l.operation = 'consume'), 0) AS consumed
           FROM a LEFT JOIN unit_ledger l ON l.authorization_id = a.id
          GROUP BY a.id, a.capacity_units
          ORDER BY a.id`,
        [organizationId, limit],
      );
      const balances = res.rows.map((r) => {
        const reserved = Number(r.reserved);
        const consumed = Number(r.consumed);
        return {
          authorizationId: r.id,
          capacityUnits: r.capacity,
          reservedUnits: reserved,
          consumedUnits: consumed,
          availableUnits: r.capacity - reserved - consumed,
        };
      });
      const sum = (k: keyof Omit<BalanceRow, 'authorizationId'>): number => balances.reduce((n, b) => n + b[k], 0);
      return {
        totals: {
          capacityUnits: sum('capacityUnits'),
          reservedUnits: sum('reservedUnits'),
          consumedUnits: sum('consumedUnits'),
          availableUnits: sum('availableUnits'),
        },
        balances,
      };
    });
  }

  /** The organization's ledger per period and operation over [from, to). */
  async usage(organizationId: string, period: Period, from: Date, to: Date): Promise<{ value: UsageBucket[]; attempts: number }> {
    return this.readOnly(async (c) => {
      const res = await c.query<{ start: Date; operations: string; reserved: string; released: string; consumed: string }>(
        `SELECT date_trunc($2, created_at) AS start, count(*) AS operations,
                COALESCE(SUM(units) FILTER (WHERE operation = 'reserve'), 0) AS reserved,
                COALESCE(SUM(units) FILTER (WHERE operation = 'release'), 0) AS released,
                COALESCE(SUM(units) FILTER (WHERE operation = 'consume'), 0) AS consumed
           FROM unit_ledger
          WHERE organization_id = $1 AND created_at >= $3 AND created_at < $4
          GROUP BY 1 ORDER BY 1`,
        [organizationId, period, from, to],
      );
      return res.rows.map((r) => ({
        start: r.start.toISOString(),
        operations: Number(r.operations),
        reservedUnits: Number(r.reserved),
        releasedUnits: Number(r.released),
        consumedUnits: Number(r.consumed),
      }));
    });
  }

  /** Whether the organization exists (a 404 otherwise). */
  async exists(organizationId: string): Promise<boolean> {
    const c = await this.pool.connect();
    try {
      return (await c.query('SELECT 1 FROM organizations WHERE id = $1', [organizationId])).rowCount === 1;
    } finally {
      c.release();
    }
  }
}
