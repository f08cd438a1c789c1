/**
 * What the test suite's own APIs share (the booking, flash-sale and foreign APIs, each written
 * apart from the pack to be aimed at as a user would): answering JSON over node:http, reading a
 * body, and their databases, which each sets up itself: the pack only ever reads them.
 */
import * as http from 'node:http';
import { Client } from 'pg';

export class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

/** A JSON body of at most `limit` bytes; a malformed one is a 400, a large one a 413. */
export async function readJson(req: http.IncomingMessage, limit = 4096): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new Answer(413, { message: 'body too large' });
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new Answer(400, { message: 'invalid JSON' });
  }
}

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:port; `route` answers, a thrown Answer is answered, anything else is a 500 (a 503 when the database is gone). */
export async function serve(port: number, route: (req: http.IncomingMessage, url: URL) => Promise<Answer>, onClose: () => Promise<void>): Promise<Served> {
  const server = http.createServer((req, res) => {
    route(req, new URL(req.url ?? '/', 'http://x'))
      .catch((err: unknown) =>
        err instanceof Answer ? err : new Answer(/ECONNREFUSED|terminat|timeout/i.test(String(err)) ? 503 : 500, { message: String(err) }),
      )
      .then((a) => {
        if (a.status === 204) {
          res.writeHead(204, a.headers);
          res.end();
        } else {
          res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
          res.end(JSON.stringify(a.body));
        }
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await onClose();
    },
  };
}

export async function withDb<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new database on the tests' server, with `schema` applied; returns its URL. */
export async function freshApiDatabase(adminUrl: string, name: string, schema: string): Promise<string> {
  await withDb(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  await withDb(u.toString(), (c) => c.query(schema));
  return u.toString();
}

/** Rows inserted column-wise in one statement (unnest): the plan's data sets are thousands of rows. */
export async function insertColumns(c: Client, table: string, columns: readonly (readonly [string, string])[], rows: readonly unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO ${table} (${columns.map(([n]) => n).join(', ')}) SELECT * FROM unnest(${columns.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')})`,
    columns.map((_, i) => rows.map((r) => r[i])),
  );
}

/** Tables, columns, constraints and indexes of the public schema, as one text: equal text, equal schema. */
export async function schemaFingerprint(url: string): Promise<string> {
  return withDb(url, async (c) => {
    const parts: string[] = [];
    for (const sql of [
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
      `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
      `SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    ]) {
      parts.push(JSON.stringify((await c.query(sql)).rows));
    }
    return parts.join('\n');
  });
}
