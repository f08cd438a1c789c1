import jwt from 'jsonwebtoken';
import { PLAN, buildSeedData, growTo, seededUuids, totals } from '../../seed/plan';
import { buildFixture } from '../../seed/seed';
import { fixtureProblems, secondsUntilTokensExpire } from '../../seed/fixture';

describe('seed plan', () => {
  const data = buildSeedData();

  it("has exactly the plan's organizations, people and 55 authorizations", () => {
    const byOrg = (code: string) => data.organizations.find((o) => o.code === code)!.id;
    const count = <T extends { organizationId: string }>(rows: T[], code: string) => rows.filter((r) => r.organizationId === byOrg(code)).length;
    expect([count(data.patients, 'A'), count(data.practitioners, 'A'), count(data.authorizations, 'A')]).toEqual([10, 4, 30]);
    expect([count(data.patients, 'B'), count(data.practitioners, 'B'), count(data.authorizations, 'B')]).toEqual([5, 3, 15]);
    expect([count(data.patients, 'C'), count(data.practitioners, 'C'), count(data.authorizations, 'C')]).toEqual([5, 3, 10]);
    expect(totals(data)).toEqual({
      contention: { count: 10, units: 500 },
      standard: { count: 20, units: 4000 },
      bulk: { count: 25, units: 25_000 },
      waitlisted: { count: 0, units: 0 },
      shared: { count: 0, units: 0 },
      ladder: { count: 0, units: 0 },
    });
    expect(PLAN).toHaveLength(3);
  });

  it('grows to N authorizations (--authorizations): the profile rows first and unchanged, the rest unique 1000-unit bulk ones, reproducibly', () => {
    const grown = growTo(buildSeedData(undefined, 'mixed'), 20_000);
    const again = growTo(buildSeedData(undefined, 'mixed'), 20_000);
    const mixed = buildSeedData(undefined, 'mixed');
    expect(grown.authorizations).toHaveLength(20_000);
    expect(grown.authorizations.slice(0, mixed.authorizations.length)).toEqual(mixed.authorizations);
    expect(new Set(grown.authorizations.map((a) => a.id)).size).toBe(20_000);
    expect(grown.authorizations.slice(mixed.authorizations.length).every((a) => a.tier === 'bulk' && a.capacityUnits === 1000)).toBe(true);
    expect(again.authorizations.map((a) => a.id)).toEqual(grown.authorizations.map((a) => a.id));
    // Spread over every organization, each extra row on a patient of its own organization.
    const patientOrg = new Map(grown.patients.map((p) => [p.id, p.organizationId]));
    expect(grown.authorizations.every((a) => patientOrg.get(a.patientId) === a.organizationId)).toBe(true);
    expect(new Set(grown.authorizations.slice(-3).map((a) => a.organizationId)).size).toBe(3);
    // Asking for fewer than the profile has changes nothing.
    expect(growTo(buildSeedData(), 10).authorizations).toHaveLength(55);
  });

  it('draws well-formed version-4 UUIDs', () => {
    const next = seededUuids(7);
    for (let i = 0; i < 1000; i++) expect(next()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("builds the scenario profiles from the plan without changing the plan's IDs", () => {
    const throughput = buildSeedData(undefined, 'throughput');
    const mixed = buildSeedData(undefined, 'mixed');
    expect(throughput.authorizations.slice(0, 55).map((a) => a.id)).toEqual(data.authorizations.map((a) => a.id));
    expect(throughput.authorizations.filter((a) => a.tier !== 'contention')).toHaveLength(60);
    expect(mixed.authorizations.filter((a) => a.tier === 'shared')).toHaveLength(1);
    expect(
      mixed.preReserved
        .filter((r) => r.units >= 1000)
        .map((r) => r.units)
        .sort((a, b) => a - b),
    ).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 3950]);
    expect(mixed.preReserved.filter((r) => r.units === 100)).toHaveLength(39);
    expect(mixed.authorizations.filter((a) => a.tier === 'contention').every((a) => a.capacityUnits === 50)).toBe(true);
  });

  it('is repeatable for a seed and different for another', () => {
    expect(buildSeedData()).toEqual(data);
    expect(buildSeedData(1).authorizations[0]!.id).not.toBe(data.authorizations[0]!.id);
  });

  it('writes a fixture whose tokens carry the organization and expire', () => {
    const secret = 's'.repeat(48);
    const f = buildFixture(data, secret, 600, new Date('2026-01-01T00:00:00Z'));
    expect(fixtureProblems(f)).toEqual([]);
    expect(f.highContentionAuthIds).toHaveLength(10);
    expect(f.practitionerTokens).toHaveLength(10);
    const claims = jwt.verify(f.tokensByOrganization[data.organizations[1]!.id]![0]!, secret, { ignoreExpiration: true }) as jwt.JwtPayload;
    expect(claims.org).toBe(data.organizations[1]!.id);
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(f.tokensExpireAt).toBe('2026-01-01T00:10:00.000Z');
    expect(secondsUntilTokensExpire(f, Date.parse('2026-01-01T00:09:00Z'))).toBe(60);
    expect(secondsUntilTokensExpire({ ...f, tokensExpireAt: null })).toBe(Infinity);
  });

  it('names what is wrong with a hand-written fixture', () => {
    expect(
      fixtureProblems({ version: 1, authorizations: [{ id: 'x', organizationId: 'o', capacityUnits: 0, tier: 'bulk' }], tokensByOrganization: {} }),
    ).toEqual(['authorizations[0].capacityUnits must be a positive integer']);
    expect(fixtureProblems('nope')).toEqual(['it is not a JSON object']);
  });

  it('all: one data set serves the three scenarios in a row, and the full authorizations are waitlisted', () => {
    const all = buildSeedData(undefined, 'all');
    const t = totals(all);
    expect(t.contention.count).toBe(10);
    expect(t.standard.count + t.bulk.count).toBeGreaterThanOrEqual(50);
    expect(t.waitlisted.count).toBe(6);
    expect(t.shared.count).toBe(1);
    const full = new Set(
      all.preReserved.filter((r) => all.authorizations.find((a) => a.id === r.authorizationId)!.capacityUnits === r.units).map((r) => r.authorizationId),
    );
    expect(
      all.authorizations
        .filter((a) => full.has(a.id))
        .map((a) => a.tier)
        .sort(),
    ).toEqual(['waitlisted', 'waitlisted', 'waitlisted', 'waitlisted', 'waitlisted', 'waitlisted']);
  });
});
