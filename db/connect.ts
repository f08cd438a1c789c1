/**
 * Connections to the load-test database, with connection failures turned into catalog errors.
 * A server error keeps its SQLSTATE in `cause` so callers can branch on it.
 */
import { StringDecoder } from 'node:string_decoder';
import { Client, Pool, PoolConfig } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CsvParser, type CsvRecord } from './csv';
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

/**
 * Streams the rows of a query (inside the caller's transaction), each row as its values in the
 * order of `columns`: found by name, so an adapted query may order its columns otherwise, and a
 * missing one is an error. The rows come through `COPY (query) TO STDOUT` as CSV, a read that a
 * READ ONLY transaction allows: parsing CSV costs this process about half of what the wire
 * protocol's row messages cost, which is what bounds the verifier on millions of ledger rows
 * (B5, `npm run bench`). Values are text, or null for SQL NULL.
 *
 * With `ready`, the rows are handed on only once it resolves: the query runs meanwhile (the
 * verifier's ledger aggregate runs while the history is read), its output held back by the socket.
 */
export async function forEachRow(
  c: Client,
  sql: string,
  columns: readonly string[],
  onRow: (values: readonly (string | null)[]) => void,
  opts: { ready?: Promise<unknown>; optional?: readonly string[] } = {},
): Promise<number> {
  // A newline before the closing parenthesis: the query may end with a -- comment.
  const stream = c.query(copyTo(`COPY (${withoutTerminator(sql)}\n) TO STDOUT WITH (FORMAT csv, HEADER true)`));
  const csv = new CsvParser();
  const decoder = new StringDecoder('utf8');
  let order: number[] | null = null;
  let asIs = false;
  let n = 0;
  const onRecord = (r: CsvRecord): void => {
    if (order === null) {
      const fields = r.map((f) => f ?? '');
      order = [...columnOrder(fields, columns), ...(opts.optional ?? []).map((name) => fields.indexOf(name))];
      asIs = order.every((at, i) => at === i);
      return;
    }
    n++;
    if (asIs) onRow(r);
    else onRow(order.map((at) => (at < 0 ? null : (r[at] ?? null))));
  };
  let waited = !opts.ready;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (!waited) {
      await opts.ready;
      waited = true;
    }
    csv.push(decoder.write(chunk), onRecord);
  }
  csv.push(decoder.end(), onRecord);
  csv.end(onRecord);
  if (!waited) await opts.ready;
  return n;
}

/** The query without its final semicolon and any comment after it (it is wrapped in another statement). */
export function withoutTerminator(sql: string): string {
  return sql.trim().replace(/;\s*(--[^\n]*\s*)*$/, '');
}

/** Where each wanted column is in a result's fields; a missing one is an error naming it. */
export function columnOrder(fields: readonly string[], wanted: readonly string[]): number[] {
  return wanted.map((name) => {
    const at = fields.indexOf(name);
    if (at === -1) {
      throw Object.assign(new Error(`the query returns no column "${name}" (it returns ${fields.join(', ') || 'none'})`), { code: '42703' });
    }
    return at;
  });
}
