/**
 * The contract's optional report reads (api/reports.ts): balances summed from the ledger and the
 * ledger aggregated per period, on a real PostgreSQL. They agree with the stored balances after
 * writes, and bad input is a precise 4xx.
 */
import type { Fixture } from '../../seed/fixture';
import { seededDatabase, referenceApi } from '../support/api';

describe('report reads of the reference API (the pressure of load-test:swarm)', () => {
  let url: string;
  let fixture: Fixture;
  let secret: string;

  beforeAll(async () => {
    ({ url, fixture, secret } = await seededDatabase('it_reports', 'mixed'));
  });

  it('balances and usage agree with the writes; other organizations, unknown ones and bad queries are refused precisely', async () => {
    const { app } = await referenceApi({ url, secret });
    try {
      const org = fixture.organizations[1]!.id;
      const other = fixture.organizations[0]!.id;
      const tok = fixture.tokensByOrganization[org]![0]!;
      const get = (u: string, t = tok) => app.inject({ method: 'GET', url: u, headers: { authorization: `Bearer ${t}` } });
      const mine = fixture.authorizations.filter((a) => a.organizationId === org);
      const before = (await get(`/api/organizations/${org}/balances?limit=5000`)).json();
      expect(before.authorizations).toBe(mine.length);
      const a = mine.find((x) => x.tier === 'bulk' || x.tier === 'standard')!;
      for (const [op, units] of [
        ['reserve', 7],
        ['consume', 3],
        ['release', 2],
      ] as const) {
        const r = await app.inject({
          method: 'POST',
          url: `/api/authorizations/${a.id}/${op}`,
          headers: { authorization: `Bearer ${tok}` },
          payload: { units },
        });
        expect(r.statusCode).toBe(200);
      }
      const after = await get(`/api/organizations/${org}/balances?limit=5000`);
      expect(after.statusCode).toBe(200);
      const body = after.json();
      expect(body.totals.reservedUnits - before.totals.reservedUnits).toBe(7 - 3 - 2);
      expect(body.totals.consumedUnits - before.totals.consumedUnits).toBe(3);
      // Summed from the ledger, it equals the balance the API stores and serves.
      const one = body.balances.find((b: { authorizationId: string }) => b.authorizationId === a.id);
      const stored = (await get(`/api/authorizations/${a.id}`)).json().balance;
      expect(one).toEqual({ authorizationId: a.id, ...stored });
      const limited = (await get(`/api/organizations/${org}/balances?limit=2`)).json();
      expect(limited.balances).toHaveLength(2);

      const usage = await get(`/api/organizations/${org}/usage?period=minute`);
      expect(usage.statusCode).toBe(200);
      const buckets = usage.json().buckets as { operations: number; reservedUnits: number; consumedUnits: number; releasedUnits: number }[];
      const sum = (k: 'operations' | 'reservedUnits' | 'consumedUnits' | 'releasedUnits') => buckets.reduce((n, b) => n + b[k], 0);
      // The seed's pre-reservations are ledger rows of this organization too.
      const seeded = fixture.authorizations.filter((x) => x.organizationId === org && (x.preReservedUnits ?? 0) > 0);
      expect(sum('operations')).toBe(seeded.length + 3);
      expect(sum('reservedUnits')).toBe(seeded.reduce((n, x) => n + x.preReservedUnits!, 0) + 7);
      expect(sum('consumedUnits')).toBe(3);
      expect(sum('releasedUnits')).toBe(2);
      const past = (await get(`/api/organizations/${org}/usage?period=day&from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`)).json();
      expect(past.buckets).toEqual([]);

      const refused = async (u: string, status: number, reason: string, t = tok) => {
        const r = await get(u, t);
        expect([r.statusCode, r.json().reason]).toEqual([status, reason]);
      };
      await refused(`/api/organizations/${other}/balances`, 403, 'other_organization');
      await refused(`/api/organizations/not-a-uuid/usage`, 404, 'organization_not_found');
      await refused(`/api/organizations/${org}/balances?limit=0`, 400, 'invalid_query');
      await refused(`/api/organizations/${org}/balances?limit=5001`, 400, 'invalid_query');
      await refused(`/api/organizations/${org}/balances?limit=ten`, 400, 'invalid_query');
      await refused(`/api/organizations/${org}/balances?extra=1`, 400, 'invalid_query');
      await refused(`/api/organizations/${org}/usage?period=week`, 400, 'invalid_query');
      await refused(`/api/organizations/${org}/usage?from=yesterday`, 400, 'invalid_query');
      await refused(`/api/organizations/${org}/usage?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z`, 400, 'invalid_query');
      await refused(`/api/organizations/${org}/usage?from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z`, 400, 'invalid_query');
      await refused(`/api/organizations/${org}/balances`, 401, 'invalid_token', 'nope');
    } finally {
      await app.close();
    }
  });
});
