/**
 * A flash-sale API, written apart from the pack, to aim it at as a user would (target.yml beside it):
 *
 *   POST /auth/token {clientId, clientSecret}   200 {accessToken (a JWT, 1 h), tokenType}
 *   POST /coupons/:code/claim {userId}          201 {claimId, code}; 410 {reason: sold_out};
 *                                               400 {reason: already_claimed} (one per user)
 *   POST /claims/:id/redeem                     200 {claimId, redeemed: true}; 409 {reason: already_redeemed}
 *   GET  /coupons/:code                         200 {code, stock, claimed, redeemed, left}
 *   GET  /ping
 *
 * Writes need `Authorization: Bearer <token>` and `X-Request-Id` (its idempotency key: a repeat
 * replays the first answer, a repeat for another request is a 409 request_id_reused). Modes:
 *   correct  the coupon's row is locked while its claims are counted
 *   racy     no lock, a pause between the count and the insert: more claims than stock
 *   phantom  every 4th claim is committed, but answered 410 sold_out: a write behind a refusal
 */
import type * as http from 'node:http';
import jwt from 'jsonwebtoken';
import { Pool, PoolClient } from 'pg';
import { Answer, Served, insertColumns, readJson, serve, withDb } from '../http';
import type { SeedData } from '../../seed/plan';

export type FlashMode = 'correct' | 'racy' | 'phantom';
export const FLASH_CLIENT = { id: 'pack-tests', secret: 'flash-sale-client-secret-4242' } as const;
const SIGNING = 'flash-sale-signing-key-that-is-long-enough';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** The stock of a contention coupon. */
export const FLASH_DROP = 5;

const refuse = (status: number, reason: string): Answer => new Answer(status, { reason, message: reason.replace(/_/g, ' ') });

/** The plan's data set as coupons and claims (units already reserved are that many claims). */
export async function loadFlashData(url: string, data: SeedData): Promise<void> {
  await withDb(url, async (c) => {
    await insertColumns(
      c,
      'fs_coupons',
      [
        ['code', 'text'],
        ['org', 'text'],
        ['stock', 'int'],
        ['tier', 'text'],
      ],
      // A flash sale's drops are small: the contention targets hold 5 coupons (scenario 1: 5 of each 50 claims win).
      data.authorizations.map((a) => [a.id, a.organizationId, a.tier === 'contention' ? FLASH_DROP : a.capacityUnits, a.tier]),
    );
    const claims: [string, string][] = [];
    for (const r of data.preReserved) for (let i = 0; i < r.units; i++) claims.push([r.authorizationId, `opening-${r.authorizationId}-${i}`]);
    if (claims.length > 0)
      await c.query(
        "INSERT INTO fs_claims (code, user_id, request_id, seq) SELECT code, u, u, nextval('fs_seq') FROM unnest($1::text[], $2::text[]) AS t(code, u)",
        [claims.map((x) => x[0]), claims.map((x) => x[1])],
      );
  });
}

export async function startFlashApi(opts: { databaseUrl: string; port: number; mode: FlashMode }): Promise<Served> {
  const pool = new Pool({ connectionString: opts.databaseUrl, max: 8 });
  pool.on('error', () => undefined);
  let claimed = 0;

  const authorized = (req: http.IncomingMessage): void => {
    const h = req.headers.authorization;
    if (!h?.startsWith('Bearer ')) throw refuse(401, 'unauthorized');
    try {
      jwt.verify(h.slice(7), SIGNING, { algorithms: ['HS256'] });
    } catch {
      throw refuse(401, 'unauthorized');
    }
  };

  /** One write under its request id: the first answer replayed for a repeat, a 409 for a repeat of another request. */
  const once = async (requestId: string, fingerprint: string, fn: (c: PoolClient) => Promise<Answer>): Promise<Answer> => {
    const c = await pool.connect();
    const prior = async (): Promise<Answer | null> => {
      const p = await c.query<{ fingerprint: string; status: number; body: unknown }>(
        'SELECT fingerprint, status, body FROM fs_requests WHERE request_id = $1',
        [requestId],
      );
      const row = p.rows[0];
      if (!row) return null;
      return row.fingerprint === fingerprint ? new Answer(row.status, row.body, { 'x-replayed': 'true' }) : refuse(409, 'request_id_reused');
    };
    try {
      const seen = await prior();
      if (seen) return seen;
      await c.query('BEGIN');
      try {
        const a = await fn(c);
        await c.query('INSERT INTO fs_requests (request_id, fingerprint, status, body) VALUES ($1, $2, $3, $4)', [requestId, fingerprint, a.status, a.body]);
        await c.query('COMMIT');
        return a;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        if ((err as { code?: string }).code === '23505') {
          const again = await prior();
          if (again) return again;
        }
        throw err;
      }
    } finally {
      c.release();
    }
  };

  const claim = (code: string, user: string, requestId: string): Promise<Answer> =>
    once(requestId, `claim:${code}:${user}`, async (c) => {
      const k = await c.query<{ stock: number }>(`SELECT stock FROM fs_coupons WHERE code = $1${opts.mode === 'racy' ? '' : ' FOR UPDATE'}`, [code]);
      if (!k.rows[0]) throw refuse(404, 'coupon_not_found');
      const taken = Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM fs_claims WHERE code = $1', [code])).rows[0]!.n);
      if (opts.mode === 'racy') await new Promise((r) => setTimeout(r, 5));
      if (taken >= k.rows[0].stock) return refuse(410, 'sold_out');
      const mine = await c.query('SELECT 1 FROM fs_claims WHERE code = $1 AND user_id = $2', [code, user]);
      if (mine.rows.length > 0) return refuse(400, 'already_claimed');
      const row = await c.query<{ id: string }>("INSERT INTO fs_claims (code, user_id, request_id, seq) VALUES ($1, $2, $3, nextval('fs_seq')) RETURNING id", [
        code,
        user,
        requestId,
      ]);
      if (opts.mode === 'phantom' && ++claimed % 4 === 0) return refuse(410, 'sold_out');
      return new Answer(201, { claimId: row.rows[0]!.id, code });
    });

  const redeem = (claimId: string, requestId: string): Promise<Answer> =>
    once(requestId, `redeem:${claimId}`, async (c) => {
      if (!/^[0-9a-f-]{36}$/.test(claimId)) throw refuse(404, 'claim_not_found');
      const k = await c.query<{ code: string }>('SELECT code FROM fs_claims WHERE id = $1', [claimId]);
      if (!k.rows[0]) throw refuse(404, 'claim_not_found');
      await c.query('SELECT 1 FROM fs_coupons WHERE code = $1 FOR UPDATE', [k.rows[0].code]);
      const done = await c.query('SELECT 1 FROM fs_redemptions WHERE claim_id = $1', [claimId]);
      if (done.rows.length > 0) return refuse(409, 'already_redeemed');
      await c.query("INSERT INTO fs_redemptions (claim_id, request_id, seq) VALUES ($1, $2, nextval('fs_seq'))", [claimId, requestId]);
      return new Answer(200, { claimId, redeemed: true });
    });

  const route = async (req: http.IncomingMessage, url: URL): Promise<Answer> => {
    if (req.method === 'GET' && url.pathname === '/ping') {
      await pool.query('SELECT 1');
      return new Answer(200, { pong: true });
    }
    if (req.method === 'POST' && url.pathname === '/auth/token') {
      const b = (await readJson(req)) as { clientId?: unknown; clientSecret?: unknown } | null;
      if (b?.clientId !== FLASH_CLIENT.id || b?.clientSecret !== FLASH_CLIENT.secret) return refuse(401, 'bad_credentials');
      return new Answer(200, { accessToken: jwt.sign({ sub: FLASH_CLIENT.id }, SIGNING, { algorithm: 'HS256', expiresIn: 3600 }), tokenType: 'Bearer' });
    }
    authorized(req);
    let m = /^\/coupons\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      const code = decodeURIComponent(m[1]!);
      const k = await pool.query<{ stock: number; claimed: string; redeemed: string }>(
        `SELECT k.stock, (SELECT count(*) FROM fs_claims c WHERE c.code = k.code) AS claimed,
                (SELECT count(*) FROM fs_redemptions r JOIN fs_claims c ON c.id = r.claim_id WHERE c.code = k.code) AS redeemed
           FROM fs_coupons k WHERE k.code = $1`,
        [code],
      );
      if (!k.rows[0]) return refuse(404, 'coupon_not_found');
      const claimedNow = Number(k.rows[0].claimed);
      const redeemed = Number(k.rows[0].redeemed);
      return new Answer(200, { code, stock: k.rows[0].stock, claimed: claimedNow - redeemed, redeemed, left: k.rows[0].stock - claimedNow });
    }
    if (req.method !== 'POST') return refuse(404, 'not_found');
    const requestId = req.headers['x-request-id'];
    if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) return refuse(400, 'request_id_required');
    m = /^\/coupons\/([^/]+)\/claim$/.exec(url.pathname);
    if (m) {
      const b = (await readJson(req)) as { userId?: unknown } | null;
      if (typeof b?.userId !== 'string' || b.userId === '') return refuse(400, 'user_required');
      return claim(decodeURIComponent(m[1]!), b.userId, requestId);
    }
    m = /^\/claims\/([^/]+)\/redeem$/.exec(url.pathname);
    if (m) return redeem(decodeURIComponent(m[1]!), requestId);
    return refuse(404, 'not_found');
  };

  return serve(opts.port, route, () => pool.end());
}
