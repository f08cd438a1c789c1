/**
 * A second API, written apart from the reference API, to aim the pack at as a user would: its own
 * schema (grants, moves, requests), its own HTTP stack (node:http, no Fastify) and its own
 * concurrency control (an explicit row lock at READ COMMITTED, not SERIALIZABLE). It follows the
 * pack's contract and nothing else.
 *
 *   correct  SELECT ... FOR UPDATE on the grant serializes writers; request keys are replayed
 *   racy     the same without the lock, with a pause between the check and the write:
 *            a check-then-act race that overbooks under contention
 *   lost     every 4th applied move is answered 200, then rolled back: acknowledged, never made
 */
import * as http from 'node:http';
import jwt from 'jsonwebtoken';
import { Pool, PoolClient } from 'pg';

export type ForeignMode = 'correct' | 'racy' | 'lost';

export interface ForeignApi {
  readonly url: string;
  close(): Promise<void>;
}

const KIND = { reserve: 'hold', release: 'unhold', consume: 'spend' } as const;
type Op = keyof typeof KIND;
const KEY = /^[A-Za-z0-9._:-]{1,200}$/;

class Answer {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {}
}
const refuse = (status: number, reason: string): Answer => new Answer(status, { error: http.STATUS_CODES[status] ?? 'error', reason, message: reason });

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 4096) throw refuse(413, 'body_too_large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function balance(
  c: PoolClient,
  grant: string,
  quota: number,
): Promise<{ capacityUnits: number; reservedUnits: number; consumedUnits: number; availableUnits: number }> {
  const r = await c.query<{ hold: string; unhold: string; spend: string }>(
    `SELECT COALESCE(SUM(qty) FILTER (WHERE kind = 'hold'), 0) AS hold, COALESCE(SUM(qty) FILTER (WHERE kind = 'unhold'), 0) AS unhold,
            COALESCE(SUM(qty) FILTER (WHERE kind = 'spend'), 0) AS spend FROM fa_moves WHERE grant_id = $1`,
    [grant],
  );
  const hold = Number(r.rows[0]!.hold);
  const spend = Number(r.rows[0]!.spend);
  const reserved = hold - Number(r.rows[0]!.unhold) - spend;
  return { capacityUnits: quota, reservedUnits: reserved, consumedUnits: spend, availableUnits: quota - reserved - spend };
}

async function replay(c: PoolClient, key: string, fingerprint: string): Promise<Answer | null> {
  const prior = await c.query<{ fingerprint: string; status: number; body: Record<string, unknown> }>(
    'SELECT fingerprint, status, body FROM fa_requests WHERE request_key = $1',
    [key],
  );
  const row = prior.rows[0];
  if (!row) return null;
  if (row.fingerprint !== fingerprint) return refuse(422, 'idempotency_key_reused');
  return new Answer(row.status, row.body, { 'idempotent-replayed': 'true' });
}

export async function startForeignApi(opts: { databaseUrl: string; secret: string; port: number; mode: ForeignMode }): Promise<ForeignApi> {
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 8 });
  pool.on('error', () => undefined);

  const org = (req: http.IncomingMessage): string => {
    const h = req.headers.authorization;
    if (!h?.startsWith('Bearer ')) throw refuse(401, 'missing_token');
    try {
      const claims = jwt.verify(h.slice(7), opts.secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      if (typeof claims.org !== 'string') throw new Error('no org');
      return claims.org;
    } catch {
      throw refuse(401, 'invalid_token');
    }
  };

  let applied = 0;
  const unitOperation = async (tenant: string, grant: string, op: Op, units: number, key: string | null): Promise<Answer> => {
    const fingerprint = `${op}:${grant}:${units}`;
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      try {
        if (key) {
          const prior = await replay(c, key, fingerprint);
          if (prior) {
            await c.query('ROLLBACK');
            return prior;
          }
        }
        const g = await c.query<{ tenant_id: string; quota: number }>(
          `SELECT tenant_id, quota FROM fa_grants WHERE grant_id = $1${opts.mode === 'correct' ? ' FOR UPDATE' : ''}`,
          [grant],
        );
        const row = g.rows[0];
        if (!row) throw refuse(404, 'authorization_not_found');
        if (row.tenant_id !== tenant) throw refuse(403, 'other_organization');
        if (key) {
          // A concurrent send of the same key may have committed while we waited for the lock.
          const prior = await replay(c, key, fingerprint);
          if (prior) {
            await c.query('ROLLBACK');
            return prior;
          }
        }
        const b = await balance(c, grant, row.quota);
        if (opts.mode === 'racy') await new Promise((r) => setTimeout(r, 5));
        const room = op === 'reserve' ? b.availableUnits : b.reservedUnits;
        let answer: Answer;
        if (room < units) {
          answer = new Answer(409, { error: 'conflict', reason: 'insufficient_units', message: `${op} ${units}: only ${room}` });
        } else {
          await c.query('INSERT INTO fa_moves (grant_id, kind, qty, request_key) VALUES ($1, $2, $3, $4)', [
            grant,
            KIND[op],
            units,
            key ?? `srv-${Date.now()}-${Math.random()}`,
          ]);
          answer = new Answer(200, { status: 'applied', balance: await balance(c, grant, row.quota) });
        }
        if (key)
          await c.query('INSERT INTO fa_requests (request_key, fingerprint, status, body) VALUES ($1, $2, $3, $4)', [
            key,
            fingerprint,
            answer.status,
            answer.body,
          ]);
        if (opts.mode === 'lost' && answer.status === 200 && ++applied % 4 === 0) {
          await c.query('ROLLBACK');
          return answer;
        }
        await c.query('COMMIT');
        return answer;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        if ((err as { code?: string }).code === '23505' && key) {
          const prior = await replay(c, key, fingerprint);
          if (prior) return prior;
        }
        throw err;
      }
    } finally {
      c.release();
    }
  };

  const route = async (req: http.IncomingMessage): Promise<Answer> => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/health') {
      await pool.query('SELECT 1');
      return new Answer(200, { status: 'ok' });
    }
    const m = /^\/api\/authorizations\/([^/]+)(?:\/(reserve|release|consume))?$/.exec(url.pathname);
    if (!m) return refuse(404, 'route_not_found');
    const tenant = org(req);
    const grant = decodeURIComponent(m[1]!);
    if (!m[2]) {
      if (req.method !== 'GET') return refuse(405, 'method_not_allowed');
      const c = await pool.connect();
      try {
        const g = await c.query<{ tenant_id: string; quota: number }>('SELECT tenant_id, quota FROM fa_grants WHERE grant_id = $1', [grant]);
        if (!g.rows[0]) return refuse(404, 'authorization_not_found');
        if (g.rows[0].tenant_id !== tenant) return refuse(403, 'other_organization');
        return new Answer(200, { authorizationId: grant, balance: await balance(c, grant, g.rows[0].quota) });
      } finally {
        c.release();
      }
    }
    if (req.method !== 'POST') return refuse(405, 'method_not_allowed');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof Answer) return err;
      return refuse(400, 'invalid_json');
    }
    const b = body as { units?: unknown } | null;
    if (
      typeof b !== 'object' ||
      b === null ||
      Object.keys(b).join() !== 'units' ||
      !Number.isInteger(b.units) ||
      (b.units as number) < 1 ||
      (b.units as number) > 100_000
    ) {
      return refuse(400, 'invalid_body');
    }
    const rawKey = req.headers['idempotency-key'];
    const key = typeof rawKey === 'string' ? rawKey : null;
    if (key !== null && !KEY.test(key)) return refuse(400, 'invalid_idempotency_key');
    return unitOperation(tenant, grant, m[2] as Op, b.units as number, key);
  };

  const server = http.createServer((req, res) => {
    route(req)
      .catch((err: unknown) => (err instanceof Answer ? err : refuse(/ECONNREFUSED|terminat|timeout/i.test(String(err)) ? 503 : 500, 'server_error')))
      .then((a) => {
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(JSON.stringify(a.body));
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${opts.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await pool.end();
    },
  };
}
