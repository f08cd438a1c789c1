/**
 * Connections to the load-test database, with connection failures turned into catalog errors.
 * A server error keeps its SQLSTATE in `cause` so callers can branch on it.
 */
import { Client, Pool, PoolConfig } from 'pg';
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
