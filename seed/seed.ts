/**
 * Seeds the load-test database with the plan's data set (replacing whatever was there) and
 * writes fixtures/test-data.json with IDs and practitioner tokens.
 */
import jwt from 'jsonwebtoken';
import type { Client } from 'pg';
import { assertSchemaReady } from '../db/migrate';
import { withClient } from '../db/connect';
import { Fixture, writeFixtureAtomic } from './fixture';
import { SeedData, SeedProfile, buildSeedData } from './plan';
import { ensureSecret } from './secret';

export interface SeedOptions {
  readonly databaseUrl: string;
  readonly fixturePath: string;
  readonly secretPath: string;
  readonly tokenTtlSeconds: number;
  readonly seed?: number;
  readonly profile?: SeedProfile;
  readonly now?: Date;
}

async function insertRows(c: Client, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const params: unknown[] = [];
    const values = chunk.map((row) => `(${row.map((v) => `$${params.push(v)}`).join(', ')})`).join(', ');
    await c.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values}`, params);
  }
}

export async function writeSeedData(c: Client, data: SeedData): Promise<void> {
  await c.query('BEGIN');
  try {
    await c.query('TRUNCATE idempotency_keys, unit_ledger, authorizations, practitioners, patients, organizations RESTART IDENTITY');
    await insertRows(
      c,
      'organizations',
      ['id', 'code', 'name'],
      data.organizations.map((o) => [o.id, o.code, o.name]),
    );
    await insertRows(
      c,
      'patients',
      ['id', 'organization_id', 'full_name'],
      data.patients.map((p) => [p.id, p.organizationId, p.fullName]),
    );
    await insertRows(
      c,
      'practitioners',
      ['id', 'organization_id', 'full_name', 'email'],
      data.practitioners.map((p) => [p.id, p.organizationId, p.fullName, p.email]),
    );
    await insertRows(
      c,
      'authorizations',
      ['id', 'organization_id', 'patient_id', 'service_code', 'capacity_units'],
      data.authorizations.map((a) => [a.id, a.organizationId, a.patientId, a.serviceCode, a.capacityUnits]),
    );
    if (data.preReserved.length > 0) {
      await insertRows(
        c,
        'unit_ledger',
        ['authorization_id', 'operation', 'units', 'idempotency_key'],
        data.preReserved.map((r) => [r.authorizationId, 'reserve', r.units, `seed-${r.authorizationId}`]),
      );
      for (const r of data.preReserved)
        await c.query('UPDATE authorizations SET reserved_units = reserved_units + $2 WHERE id = $1', [r.authorizationId, r.units]);
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The authorizations as the fixture lists them (capacity, tier, units already reserved). */
export function fixtureAuthorizations(data: SeedData): Fixture['authorizations'] {
  return data.authorizations.map((a) => {
    const pre = data.preReserved.filter((r) => r.authorizationId === a.id).reduce((n, r) => n + r.units, 0);
    return { id: a.id, organizationId: a.organizationId, capacityUnits: a.capacityUnits, tier: a.tier, ...(pre > 0 ? { preReservedUnits: pre } : {}) };
  });
}

export function buildFixture(data: SeedData, secret: string, ttlSeconds: number, now: Date): Fixture {
  const tokensByOrganization: Record<string, string[]> = {};
  const iat = Math.floor(now.getTime() / 1000);
  for (const p of data.practitioners) {
    const token = jwt.sign({ sub: p.id, org: p.organizationId, role: 'practitioner', iat }, secret, { algorithm: 'HS256', expiresIn: ttlSeconds });
    (tokensByOrganization[p.organizationId] ??= []).push(token);
  }
  return {
    version: 1,
    generatedAt: now.toISOString(),
    seed: data.seed,
    seedProfile: data.profile,
    tokensExpireAt: new Date((iat + ttlSeconds) * 1000).toISOString(),
    organizations: data.organizations.map((o) => ({ id: o.id, code: o.code })),
    authorizations: fixtureAuthorizations(data),
    authorizationIds: data.authorizations.map((a) => a.id),
    highContentionAuthIds: data.authorizations.filter((a) => a.tier === 'contention').map((a) => a.id),
    practitionerTokens: Object.values(tokensByOrganization).flat(),
    tokensByOrganization,
  };
}

export async function seed(opts: SeedOptions): Promise<{ data: SeedData; fixture: Fixture }> {
  const data = buildSeedData(opts.seed, opts.profile);
  await withClient(opts.databaseUrl, async (c) => {
    await assertSchemaReady(c);
    await writeSeedData(c, data);
  });
  const secret = ensureSecret(opts.secretPath);
  const fixture = buildFixture(data, secret, opts.tokenTtlSeconds, opts.now ?? new Date());
  writeFixtureAtomic(opts.fixturePath, fixture);
  return { data, fixture };
}
