import type { Fixture } from '../../seed/fixture';
import { formatIntegrity, judgeIntegrity, runIntegritySql } from '../../verify/integrity';
import { REFERENCE_SQL } from '../support/db';
import { seededDatabase, referenceApi } from '../support/api';

async function appFor(url: string, secret: string, env: Record<string, string> = {}) {
  return referenceApi({ url, secret }, env);
}

describe('reference API against a real PostgreSQL (inject)', () => {
  let url: string;
  let fixture: Fixture;
  let secret: string;

  beforeAll(async () => {
    ({ url, fixture, secret } = await seededDatabase('it_api'));
  });

  const auth = (tier: 'contention' | 'standard' | 'bulk', i = 0) => fixture.authorizations.filter((a) => a.tier === tier)[i]!;
  const token = (orgId: string) => fixture.tokensByOrganization[orgId]![0]!;
  const op = (
    app: Awaited<ReturnType<typeof appFor>>['app'],
    a: { id: string; organizationId: string },
    operation: string,
    units: number,
    key?: string,
    tok?: string,
  ) =>
    app.inject({
      method: 'POST',
      url: `/api/authorizations/${a.id}/${operation}`,
      headers: { authorization: `Bearer ${tok ?? token(a.organizationId)}`, ...(key ? { 'idempotency-key': key } : {}) },
      payload: { units },
    });

  it('follows the contract: 2xx with balances, 409 with a reason, replay, 422, 403, 404', async () => {
    const { app } = await appFor(url, secret);
    try {
      const a = auth('standard', 0);
      const ok = await op(app, a, 'reserve', 150, 'c-1');
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-serialization-attempts']).toBe('1');
      expect(ok.json().balance).toEqual({ capacityUnits: 200, reservedUnits: 150, consumedUnits: 0, availableUnits: 50 });

      const replay = await op(app, a, 'reserve', 150, 'c-1');
      expect(replay.statusCode).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json().balance.reservedUnits).toBe(150);

      const short = await op(app, a, 'reserve', 60, 'c-2');
      expect(short.statusCode).toBe(409);
      expect(short.json()).toMatchObject({ error: 'conflict', reason: 'insufficient_units' });
      await op(app, a, 'release', 100, 'c-3');
      // A repeated key returns the FIRST outcome (409), even though units are available now.
      expect((await op(app, a, 'reserve', 60, 'c-2')).statusCode).toBe(409);

      expect((await op(app, a, 'reserve', 61, 'c-2')).json()).toMatchObject({ reason: 'idempotency_key_reused' });
      expect((await op(app, a, 'consume', 30, 'c-4')).json().balance).toEqual({
        capacityUnits: 200,
        reservedUnits: 20,
        consumedUnits: 30,
        availableUnits: 150,
      });

      const other = fixture.authorizations.find((x) => x.organizationId !== a.organizationId)!;
      expect((await op(app, other, 'reserve', 1, undefined, token(a.organizationId))).statusCode).toBe(403);
      expect((await op(app, { id: '00000000-0000-4000-8000-000000000000', organizationId: a.organizationId }, 'reserve', 1)).statusCode).toBe(404);
      const read = await app.inject({ method: 'GET', url: `/api/authorizations/${a.id}`, headers: { authorization: `Bearer ${token(a.organizationId)}` } });
      expect(read.json().balance).toEqual({ capacityUnits: 200, reservedUnits: 20, consumedUnits: 30, availableUnits: 150 });
      expect((await app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok', database: 'ok' });
    } finally {
      await app.close();
    }
  });

  it('SERIALIZABLE: 50 concurrent reserves of 10 on a 50-unit authorization give exactly 5 successes', async () => {
    // Without the per-authorization batching (test/integration/batching.test.ts covers it), so
    // that the 50 really meet in PostgreSQL: the conflicts are SERIALIZABLE's to resolve.
    const { app } = await appFor(url, secret, { API_POOL_MAX: '8', API_BATCH_MAX: '1' });
    try {
      const a = auth('contention', 0);
      const res = await Promise.all(Array.from({ length: 50 }, (_, i) => op(app, a, 'reserve', 10, `race-safe-${i}`)));
      expect(res.filter((r) => r.statusCode === 200)).toHaveLength(5);
      expect(res.filter((r) => r.statusCode === 409)).toHaveLength(45);
      expect(res.some((r) => Number(r.headers['x-serialization-attempts']) > 1)).toBe(true);
      const integrity = await runIntegritySql(url, REFERENCE_SQL);
      expect(integrity.rows).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('negative control: READ COMMITTED overbooks the same race and the verifier names the rows', async () => {
    const { app } = await appFor(url, secret, { API_MODE: 'unsafe-read-committed', API_POOL_MAX: '8' });
    try {
      const a = auth('contention', 1);
      const res = await Promise.all(Array.from({ length: 50 }, (_, i) => op(app, a, 'reserve', 10, `race-unsafe-${i}`)));
      expect(res.filter((r) => r.statusCode === 200).length).toBeGreaterThan(5);
      const integrity = await runIntegritySql(url, REFERENCE_SQL);
      const v = judgeIntegrity(integrity);
      expect(v.valid).toBe(false);
      expect(v.errors.overbooked!.first).toMatchObject({ authorization_id: a.id, capacity_units: 50 });
      expect(formatIntegrity(integrity)).toContain('overbooked');
    } finally {
      await app.close();
    }
  });

  it('answers 503 within two seconds when the database is unreachable, and keeps serving', async () => {
    const { app } = await referenceApi({ url: 'postgres://postgres:x@127.0.0.1:9/none', secret });
    try {
      const a = auth('bulk', 0);
      const t0 = Date.now();
      const res = await op(app, a, 'reserve', 1, 'down-1');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ reason: 'database_unavailable' });
      expect(Date.now() - t0).toBeLessThan(2000);
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });
});
