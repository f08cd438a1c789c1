/**
 * Per-authorization batching (api/batcher.ts, migration 006) on a real PostgreSQL: 100 concurrent
 * claims of 1 unit on a stock of 10 give exactly 10 successes and 90 refusals with batching as
 * without it, and integrity holds; batching removes the in-process serialization retries (the
 * negative control: API_BATCH_MAX=1 retries); a key sent twice in one burst is applied once and
 * replayed once (the batch falls back to one by one).
 */
import type { Fixture } from '../../seed/fixture';
import { judgeIntegrity, runIntegritySql } from '../../verify/integrity';
import { REFERENCE_SQL } from '../support/db';
import { seededDatabase, seedInto, referenceApi } from '../support/api';

describe('per-authorization batching in the reference API', () => {
  let url: string;
  let secret: string;
  let dir: string;

  beforeAll(async () => {
    ({ url, dir, secret } = await seededDatabase('it_batching', 'ladder'));
  });

  async function burst(env: Record<string, string>, extra: (f: Fixture) => { key: string }[] = () => []) {
    const { fixture } = await seedInto(url, dir, 'ladder');
    const a = fixture.authorizations.find((x) => x.tier === 'ladder' && x.capacityUnits === 10)!;
    const tok = fixture.tokensByOrganization[a.organizationId]![0]!;
    const { app } = await referenceApi({ url, secret }, { API_POOL_MAX: '4', ...env });
    try {
      const keys = [...Array.from({ length: 100 }, (_, i) => ({ key: `b-${i}` })), ...extra(fixture)];
      const res = await Promise.all(
        keys.map(({ key }) =>
          app.inject({
            method: 'POST',
            url: `/api/authorizations/${a.id}/reserve`,
            headers: { authorization: `Bearer ${tok}`, 'idempotency-key': key },
            payload: { units: 1 },
          }),
        ),
      );
      const integrity = await runIntegritySql(url, REFERENCE_SQL);
      return {
        ok: res.filter((r) => r.statusCode === 200 && r.headers['idempotent-replayed'] !== 'true').length,
        replayed: res.filter((r) => r.headers['idempotent-replayed'] === 'true').length,
        refused: res.filter((r) => r.statusCode === 409 && r.json().reason === 'insufficient_units' && r.headers['idempotent-replayed'] !== 'true').length,
        other: res.filter((r) => r.statusCode !== 200 && r.statusCode !== 409).length,
        retries: res.reduce((n, r) => n + Number(r.headers['x-serialization-attempts'] ?? 1) - 1, 0),
        exhausted: res.filter((r) => r.statusCode === 409 && r.json().reason === 'serialization_conflict').length,
        integrityValid: judgeIntegrity(integrity).valid,
      };
    } finally {
      await app.close();
    }
  }

  it('exact counts and integrity with batching, as without it; batching leaves no in-process retry', async () => {
    const batched = await burst({});
    expect(batched).toMatchObject({ ok: 10, refused: 90, other: 0, exhausted: 0, retries: 0, integrityValid: true });
    const alone = await burst({ API_BATCH_MAX: '1' });
    expect(alone.ok + alone.exhausted + alone.refused).toBe(100);
    expect(alone.ok).toBeLessThanOrEqual(10);
    expect(alone.integrityValid).toBe(true);
    // Negative control: without batching the same burst fights in PostgreSQL.
    expect(alone.retries + alone.exhausted).toBeGreaterThan(0);
  });

  it('a key sent twice in one burst is applied once and replayed once', async () => {
    const r = await burst({}, () => [{ key: 'b-3' }]);
    expect(r).toMatchObject({ ok: 10, replayed: 1, refused: 90, other: 0, integrityValid: true });
  });
});
