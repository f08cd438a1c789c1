/**
 * Reference API hardening (issue 11 §3): health checks cannot starve the request pool,
 * /internal/* exists only with a token and answers only to it, idempotency keys are scoped per
 * organization, the database holds the capacity invariants by itself, and a long-lived
 * authorization's sums cannot overflow.
 */
import type { PoolClient } from 'pg';
import { loadApiConfig } from '../../lib/config';
import type { Fixture } from '../../seed/fixture';
import { ensureInvariants } from '../../db/migrate';
import { query } from '../support/db';
import { seededDatabase, referenceApi } from '../support/api';
import { Client } from 'pg';

describe('reference API hardening against a real PostgreSQL', () => {
  let url: string;
  let secret: string;
  let fixture: Fixture;

  beforeAll(async () => {
    ({ url, fixture, secret } = await seededDatabase('it_api_hardening'));
  });

  /** Two standard authorizations of two organizations, and a token of each organization. */
  function twoOrganizations(): { a: { id: string; token: string }; b: { id: string; token: string } } {
    const standard = fixture.authorizations.filter((x) => x.tier === 'standard');
    const first = standard[0]!;
    const other = standard.find((x) => x.organizationId !== first.organizationId)!;
    const tokenOf = (org: string): string => fixture.tokensByOrganization[org]![0]!;
    return { a: { id: first.id, token: tokenOf(first.organizationId) }, b: { id: other.id, token: tokenOf(other.organizationId) } };
  }

  it('scopes idempotency keys per organization: the same key names two requests of two organizations, and neither sees the other', async () => {
    const { app } = await referenceApi({ url, secret });
    const { a, b } = twoOrganizations();
    const post = (who: { token: string }, id: string, units: number, key: string) =>
      app.inject({
        method: 'POST',
        url: `/api/authorizations/${id}/reserve`,
        headers: { authorization: `Bearer ${who.token}`, 'idempotency-key': key },
        payload: { units },
      });
    try {
      const key = 'shared-key-1';
      const first = await post(a, a.id, 1, key);
      expect(first.statusCode).toBe(200);
      const second = await post(b, b.id, 2, key);
      expect(second.statusCode).toBe(200);
      expect(second.headers['idempotent-replayed']).toBeUndefined();
      expect(second.json()).toMatchObject({ authorizationId: b.id, units: 2, status: 'applied' });
      // Each organization's resend replays its own outcome.
      const againB = await post(b, b.id, 2, key);
      expect(againB.headers['idempotent-replayed']).toBe('true');
      expect(againB.json()).toEqual(second.json());
      const againA = await post(a, a.id, 1, key);
      expect(againA.json()).toEqual(first.json());
      // B sending A's key at A's authorization learns nothing: it is another organization's.
      const cross = await post(b, a.id, 1, key);
      expect(cross.statusCode).toBe(403);
      expect(cross.json()).toMatchObject({ reason: 'other_organization' });
      const rows = await query(url, `SELECT organization_id, authorization_id FROM unit_ledger WHERE idempotency_key = $1 ORDER BY units`, [key]);
      expect(rows.rows.map((r: { authorization_id: string }) => r.authorization_id)).toEqual([a.id, b.id]);
    } finally {
      await app.close();
    }
  });

  it('negative control: with keys unique across organizations again, the second organization is refused', async () => {
    const { app } = await referenceApi({ url, secret }, { API_MAX_ATTEMPTS: '3' });
    const { a, b } = twoOrganizations();
    // Keys unique across organizations (for this key: the earlier test shares another one on purpose).
    await query(url, `CREATE UNIQUE INDEX global_keys ON unit_ledger (idempotency_key) WHERE idempotency_key = 'shared-key-2'`);
    try {
      const post = (who: { token: string }, id: string, key: string) =>
        app.inject({
          method: 'POST',
          url: `/api/authorizations/${id}/reserve`,
          headers: { authorization: `Bearer ${who.token}`, 'idempotency-key': key },
          payload: { units: 1 },
        });
      expect((await post(a, a.id, 'shared-key-2')).statusCode).toBe(200);
      expect((await post(b, b.id, 'shared-key-2')).statusCode).not.toBe(200);
    } finally {
      await query(url, 'DROP INDEX global_keys');
      await app.close();
    }
  });

  it('the database refuses a stored balance beyond capacity, negative units and oversized rows by itself; the overbooking modes lift the capacity check and setup restores it', async () => {
    const { a } = twoOrganizations();
    const refused = async (sql: string, params: unknown[]): Promise<string | undefined> => {
      try {
        await query(url, sql, params);
        return undefined;
      } catch (err) {
        return (err as { code?: string }).code;
      }
    };
    const overbook = 'UPDATE authorizations SET reserved_units = capacity_units + 1 WHERE id = $1';
    expect(await refused(overbook, [a.id])).toBe('23514');
    expect(await refused('UPDATE authorizations SET consumed_units = -1 WHERE id = $1', [a.id])).toBe('23514');
    expect(await refused(`INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ($1, 'reserve', 100001, 'big')`, [a.id])).toBe(
      '23514',
    );
    // An overbooking negative-control mode must be able to overbook: it drops the check.
    const unsafe = await referenceApi({ url, secret }, { API_MODE: 'unsafe-read-committed' });
    await unsafe.app.close();
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query(overbook, [a.id]); // negative control: accepted without the check
      await c.query('ROLLBACK');
      expect(await ensureInvariants(c, false)).toBe('restored the capacity check constraint');
      expect(await ensureInvariants(c, false)).toBeNull();
    } finally {
      await c.end();
    }
    expect(await refused(overbook, [a.id])).toBe('23514');
  });

  it('keeps answering on an authorization whose lifetime sums are beyond 32 bits', async () => {
    const { app } = await referenceApi({ url, secret });
    const { b } = twoOrganizations();
    try {
      // 22,000 reserve/release pairs of 100,000 units: 2.2e9 units reserved in all (> 2^31).
      await query(url, 'UPDATE authorizations SET capacity_units = 100000000 WHERE id = $1', [b.id]);
      await query(
        url,
        `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key)
         SELECT $1, CASE WHEN g % 2 = 0 THEN 'reserve'::unit_operation ELSE 'release'::unit_operation END, 100000, 'long-' || g
           FROM generate_series(0, 43999) g`,
        [b.id],
      );
      const sums = await query(url, `SELECT SUM(units) FILTER (WHERE operation = 'reserve') AS r FROM unit_ledger WHERE authorization_id = $1`, [b.id]);
      expect(Number((sums.rows[0] as { r: string }).r)).toBeGreaterThan(2 ** 31);
      const token = fixture.tokensByOrganization[fixture.authorizations.find((x) => x.id === b.id)!.organizationId]![0]!;
      const r = await app.inject({
        method: 'POST',
        url: `/api/authorizations/${b.id}/reserve`,
        headers: { authorization: `Bearer ${token}` },
        payload: { units: 5 },
      });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ status: 'applied' });
      const read = await app.inject({ method: 'GET', url: `/api/authorizations/${b.id}`, headers: { authorization: `Bearer ${token}` } });
      expect(read.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('answers 200 to a flood of health checks while every request connection is taken, with one database probe', async () => {
    const { app, pool } = await referenceApi({ url, secret }, { API_POOL_MAX: '2', API_POOL_ACQUIRE_TIMEOUT_MS: '300' });
    const held: PoolClient[] = [await pool.connect(), await pool.connect()];
    try {
      const acquiredBefore = pool.stats().acquired;
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: 200 }, () => app.inject({ method: 'GET', url: '/health' })));
      expect(answers.map((a) => a.statusCode)).toEqual(Array(200).fill(200));
      expect(performance.now() - started).toBeLessThan(2000);
      // Not one request connection was used, and the 200 checks shared a single probe.
      expect(pool.stats().acquired).toBe(acquiredBefore);
      expect(answers[0]!.json()).toMatchObject({ status: 'ok', database: 'ok', pool: { max: 2 } });
    } finally {
      held.forEach((c) => c.release());
      await app.close();
    }
  });

  it('has no /internal/* without API_INTERNAL_TOKEN, and with it answers only the token', async () => {
    const open = await referenceApi({ url, secret });
    try {
      expect((await open.app.inject({ method: 'GET', url: '/internal/pool' })).statusCode).toBe(404);
      expect((await open.app.inject({ method: 'POST', url: '/internal/pool/reset' })).statusCode).toBe(404);
    } finally {
      await open.app.close();
    }
    const token = 'i'.repeat(32);
    const guarded = await referenceApi({ url, secret }, { API_INTERNAL_TOKEN: token });
    try {
      const get = (headers: Record<string, string>) => guarded.app.inject({ method: 'GET', url: '/internal/pool', headers });
      expect((await get({})).statusCode).toBe(401);
      expect((await get({})).json()).toMatchObject({ reason: 'internal_token' });
      expect((await get({ 'x-internal-token': 'j'.repeat(32) })).statusCode).toBe(401);
      expect((await get({ 'x-internal-token': token.slice(1) })).statusCode).toBe(401);
      const ok = await get({ 'x-internal-token': token });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ max: 4 });
      expect((await guarded.app.inject({ method: 'POST', url: '/internal/pool/reset', headers: { 'x-internal-token': token } })).statusCode).toBe(200);
    } finally {
      await guarded.app.close();
    }
  });

  it("survives a checked-out connection's socket failing between queries (it killed the API during the reset fault)", async () => {
    const { pool, app } = await referenceApi({ url, secret });
    try {
      const client = await pool.connect();
      // pg emits a socket failure between queries as an 'error' event on the client.
      expect(() => client.emit('error', new Error('write ECONNRESET'))).not.toThrow();
      client.release(true);
      // Negative control: a client of a bare pg pool, checked out, has no listener: the same event throws.
      const bare = await pool.pool.connect();
      bare.removeAllListeners('error');
      expect(() => bare.emit('error', new Error('write ECONNRESET'))).toThrow('write ECONNRESET');
      bare.release(true);
    } finally {
      await app.close();
    }
  });

  it('refuses an internal token shorter than 16 characters at start', () => {
    expect(() => loadApiConfig({ DATABASE_URL: url, JWT_SECRET: secret, API_INTERNAL_TOKEN: 'short' })).toThrow(/API_INTERNAL_TOKEN/);
  });
});
