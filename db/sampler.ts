/**
 * The database sampler: once a second, while a scenario runs, one read-only query on its own
 * connection to the database under test (formats/db-samples.ts says what it keeps):
 * commits, rollbacks, deadlocks, buffer hits and reads (pg_stat_database), connections by state
 * and lock waits (pg_stat_activity), predicate locks (pg_locks), the longest running transaction.
 * Over the whole run, the top statements by total time from pg_stat_statements when the database
 * has it (said so when it has not). PostgreSQL keeps no counter of serialization failures: they
 * are among the rollbacks, and the API's own count is isolation.retries.
 */
import type { Client } from 'pg';
import { connect } from './connect';
import type { DbSample, DbSamplesFile, TopStatement } from '../formats/db-samples';

export const SAMPLE_SQL = `
SELECT d.xact_commit::float8 AS commits, d.xact_rollback::float8 AS rollbacks, d.deadlocks::float8 AS deadlocks,
       d.blks_hit::float8 AS blocks_hit, d.blks_read::float8 AS blocks_read,
       (SELECT COALESCE(json_object_agg(s.state, s.n), '{}'::json)
          FROM (SELECT COALESCE(state, 'unknown') AS state, count(*) AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1) s) AS states,
       (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock')::int AS lock_waits,
       (SELECT count(*) FROM pg_locks WHERE mode = 'SIReadLock' AND database = d.datid)::int AS predicate_locks,
       (SELECT COALESCE(EXTRACT(EPOCH FROM max(clock_timestamp() - xact_start)) * 1000, 0) FROM pg_stat_activity
         WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid())::float8 AS longest_ms
  FROM pg_stat_database d WHERE d.datname = current_database()`;

const STATEMENTS_SQL = `
SELECT queryid::text AS id, left(query, 300) AS query, calls::float8 AS calls, total_exec_time::float8 AS total_ms
  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`;

interface StatementRow {
  id: string;
  query: string;
  calls: number;
  total_ms: number;
}

/** Pure: the statements that took the most time between two snapshots of pg_stat_statements. */
export function topStatements(before: readonly StatementRow[], after: readonly StatementRow[], n = 10): TopStatement[] {
  const start = new Map(before.map((r) => [r.id, r]));
  return after
    .map((r) => {
      const b = start.get(r.id);
      const calls = r.calls - (b && b.calls <= r.calls ? b.calls : 0);
      const totalMs = r.total_ms - (b && b.total_ms <= r.total_ms ? b.total_ms : 0);
      return { query: r.query.replace(/\s+/g, ' ').trim(), calls, totalMs, meanMs: calls > 0 ? totalMs / calls : 0 };
    })
    .filter((s) => s.calls > 0)
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, n);
}

async function statements(c: Client): Promise<{ rows: StatementRow[] | null; note: string | null }> {
  try {
    return { rows: (await c.query<StatementRow>(STATEMENTS_SQL)).rows, note: null };
  } catch (err) {
    return { rows: null, note: `pg_stat_statements is not available on this database (${(err as Error).message.split('\n')[0]}): no top statements` };
  }
}

export interface Sampler {
  stop(): Promise<DbSamplesFile>;
}

/**
 * Starts sampling `url` every `intervalMs`. The session is READ ONLY; a sample that fails (the
 * server stopped by a fault) is counted, the connection made again, and sampling goes on.
 */
export async function startSampler(url: string, intervalMs = 1000): Promise<Sampler> {
  let client: Client | null = null;
  const open = async (): Promise<Client> => {
    const c = await connect(url, { connectTimeoutMs: 1000 });
    await c.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    await c.query("SET application_name = 'authz-loadtest-sampler'");
    return c;
  };
  client = await open();
  const first = await statements(client);
  const samples: DbSample[] = [];
  let failed = 0;
  let busy: Promise<void> = Promise.resolve();
  const take = async (): Promise<void> => {
    try {
      client ??= await open();
      const t0 = performance.now();
      const r = (await client.query(SAMPLE_SQL)).rows[0] as
        | {
            commits: number;
            rollbacks: number;
            deadlocks: number;
            blocks_hit: number;
            blocks_read: number;
            states: Record<string, number>;
            lock_waits: number;
            predicate_locks: number;
            longest_ms: number;
          }
        | undefined;
      const sampleMs = performance.now() - t0;
      if (!r) throw new Error('pg_stat_database has no row for this database');
      samples.push({
        t: Date.now(),
        commits: r.commits,
        rollbacks: r.rollbacks,
        deadlocks: r.deadlocks,
        blocksHit: r.blocks_hit,
        blocksRead: r.blocks_read,
        states: r.states,
        lockWaits: r.lock_waits,
        predicateLocks: r.predicate_locks,
        longestTransactionMs: r.longest_ms,
        sampleMs,
      });
    } catch {
      failed++;
      await client?.end().catch(() => undefined);
      client = null;
    }
  };
  busy = take();
  const timer = setInterval(() => {
    busy = busy.then(take);
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await busy;
      await take();
      let top: TopStatement[] = [];
      let note = first.note;
      if (first.rows) {
        try {
          client ??= await open();
          const last = await statements(client);
          if (last.rows) top = topStatements(first.rows, last.rows);
          else note = last.note;
        } catch (err) {
          note = `pg_stat_statements could not be read at the end (${(err as Error).message})`;
        }
      }
      await client?.end().catch(() => undefined);
      return { version: 1, intervalMs, samples, topStatements: top, statementsNote: note, failedSamples: failed };
    },
  };
}
