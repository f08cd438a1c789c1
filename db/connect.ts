/**
 * Connections to the load-test database, with connection failures turned into catalog errors.
 * A server error keeps its SQLSTATE in `cause` so callers can branch on it.
 */
import { Client, Pool, PoolConfig, QueryResultRow } from 'pg';
import { PackError } from '../lib/errors';
import { maskUrl } from '../lib/config';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '57P01', '57P03', '28P01', '28000']);

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (e?.code !== undefined && UNREACHABLE_CODES.has(e.code)) || /timeout expired|Connection terminated|connect ETIMEDOUT/i.test(e?.message ?? '');
}

/** Wraps a connection error so that it names the database (password masked) and the fix. */
export function connectionError(err: unknown, url: string): PackError | unknown {
  const e = err as { code?: string; message?: string };
  if (e?.code === '3D000') {
    return new PackError('LT_DB_NOT_SET_UP', `database in ${maskUrl(url)} does not exist`, { cause: err });
  }
  if (isUnreachable(err)) {
    return new PackError('LT_DB_UNREACHABLE', `cannot connect to ${maskUrl(url)}: ${e.code ?? ''} ${e.message ?? ''}`.trim(), { cause: err });
  }
  return err;
}

export async function connect(url: string, opts: { connectTimeoutMs?: number } = {}): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000 });
  client.on('error', () => undefined); // a dropped connection surfaces on the next query
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectionError(err, url);
  }
}

/** Runs fn with a fresh client and always closes it. */
export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    return await fn(client);
  } catch (err) {
    throw connectionError(err, url);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function createPool(config: PoolConfig): Pool {
  const pool = new Pool(config);
  pool.on('error', () => undefined); // idle client errors: the next checkout fails and is handled
  return pool;
}

/** The same server, another database (for CREATE/DROP DATABASE). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Runs fn inside one READ ONLY, REPEATABLE READ transaction and always rolls it back: every
 * verification query goes through here, so a mistake in an adapted SQL file cannot write, and
 * the inputs read together come from one snapshot.
 */
export async function withReadOnly<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  return withClient(url, async (c) => {
    await c.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await fn(c);
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
    }
  });
}

/** Streams the rows of a query in batches through a cursor (inside the caller's transaction). */
export async function forEachRow<R extends QueryResultRow>(c: Client, sql: string, onRow: (row: R) => void, batch = 20_000): Promise<number> {
  const name = `lt_cursor_${Math.random().toString(36).slice(2, 10)}`;
  // Plan for the whole result, not for its first rows (a cursor's default): every row is read.
  // SET LOCAL lasts until the caller's transaction ends and changes nothing in the database.
  await c.query('SET LOCAL cursor_tuple_fraction = 1.0');
  await c.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql.trim().replace(/;\s*$/, '')}`);
  let n = 0;
  for (;;) {
    const res = await c.query<R>(`FETCH ${batch} FROM ${name}`);
    for (const row of res.rows) onRow(row);
    n += res.rows.length;
    if (res.rows.length < batch) break;
  }
  await c.query(`CLOSE ${name}`);
  return n;
}
