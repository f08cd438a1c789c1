/**
 * Seeds the load-test database with the plan's data set (replacing whatever was there) and
 * writes fixtures/test-data.json with IDs and practitioner tokens.
 */
import jwt from 'jsonwebtoken';
import type { Client } from 'pg';
import { assertSchemaReady } from '../db/migrate';
import { withClient } from '../db/connect';
import { Fixture, writeFixtureAtomic } from './fixture';
import { SeedData, buildSeedData } from './plan';
import { ensureSecret } from './secret';

export interface SeedOptions {
  readonly databaseUrl: string;
  readonly fixturePath: string;
  readonly secretPath: string;
  readonly tokenTtlSeconds: number;
  readonly seed?: number;
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
    await insertRows(c, 'organizations', ['id', 'code', 'name'], data.organizations.map((o) => [o.id, o.code, o.name]));
    await insertRows(c, 'patients', ['id', 'organization_id', 'full_name'], data.patients.map((p) => [p.id, p.organizationId, p.fullName]));
    await insertRows(c, 'practitioners', ['id', 'organization_id', 'full_name', 'email'], data.practitioners.map((p) => [p.id, p.organizationId, p.fullName, p.email]));
    await insertRows(
      c,
      'authorizations',
      ['id', 'organization_id', 'patient_id', 'service_code', 'capacity_units'],
      data.authorizations.map((a) => [a.id, a.organizationId, a.patientId, a.serviceCode, a.capacityUnits]),
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
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
    tokensExpireAt: new Date((iat + ttlSeconds) * 1000).toISOString(),
    organizations: data.organizations.map((o) => ({ id: o.id, code: o.code })),
    authorizations: data.authorizations.map((a) => ({ id: a.id, organizationId: a.organizationId, capacityUnits: a.capacityUnits, tier: a.tier })),
    authorizationIds: data.authorizations.map((a) => a.id),
    highContentionAuthIds: data.authorizations.filter((a) => a.tier === 'contention').map((a) => a.id),
    practitionerTokens: Object.values(tokensByOrganization).flat(),
    tokensByOrganization,
  };
}

export async function seed(opts: SeedOptions): Promise<{ data: SeedData; fixture: Fixture }> {
  const data = buildSeedData(opts.seed);
  await withClient(opts.databaseUrl, async (c) => {
    await assertSchemaReady(c);
    await writeSeedData(c, data);
  });
  const secret = ensureSecret(opts.secretPath);
  const fixture = buildFixture(data, secret, opts.tokenTtlSeconds, opts.now ?? new Date());
  writeFixtureAtomic(opts.fixturePath, fixture);
  return { data, fixture };
}
