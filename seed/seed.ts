/**
 * Seeds the load-test database with the plan's data set (replacing whatever was there) and
 * writes fixtures/test-data.json with IDs and practitioner tokens.
 */
import jwt from 'jsonwebtoken';
import { hmacKey } from '../lib/jwt-key';
import type { Client } from 'pg';
import { assertSchemaReady } from '../db/migrate';
import { withClient } from '../db/connect';
import { Fixture, writeFixtureAtomic } from './fixture';
import { SeedData, SeedProfile, buildSeedData, growTo } from './plan';
import { ensureSecret } from './secret';

export interface SeedOptions {
  readonly databaseUrl: string;
  readonly fixturePath: string;
  readonly secretPath: string;
  readonly tokenTtlSeconds: number;
  readonly seed?: number;
  readonly profile?: SeedProfile;
  /** Grow the data set to this many authorizations (extra 1000-unit `bulk` ones). */
  readonly authorizations?: number;
  readonly now?: Date;
}

/** Rows per INSERT: one array parameter per column (unnest), so one round trip per chunk. */
const CHUNK = 20_000;

/** Inserts rows column-wise: `INSERT ... SELECT * FROM unnest($1::uuid[], $2::text[], ...)`. */
async function insertRows(c: Client, table: string, columns: readonly (readonly [name: string, type: string])[], rows: unknown[][]): Promise<void> {
  const names = columns.map(([n]) => n).join(', ');
  const arrays = columns.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ');
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await c.query(
      `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays})`,
      columns.map((_, col) => chunk.map((row) => row[col])),
    );
  }
}

export async function writeSeedData(c: Client, data: SeedData): Promise<void> {
  await c.query('BEGIN');
  try {
    await c.query('TRUNCATE idempotency_keys, unit_ledger, authorizations, practitioners, patients, organizations RESTART IDENTITY');
    await insertRows(
      c,
      'organizations',
      [
        ['id', 'uuid'],
        ['code', 'text'],
        ['name', 'text'],
      ],
      data.organizations.map((o) => [o.id, o.code, o.name]),
    );
    await insertRows(
      c,
      'patients',
      [
        ['id', 'uuid'],
        ['organization_id', 'uuid'],
        ['full_name', 'text'],
      ],
      data.patients.map((p) => [p.id, p.organizationId, p.fullName]),
    );
    await insertRows(
      c,
      'practitioners',
      [
        ['id', 'uuid'],
        ['organization_id', 'uuid'],
        ['full_name', 'text'],
        ['email', 'text'],
      ],
      data.practitioners.map((p) => [p.id, p.organizationId, p.fullName, p.email]),
    );
    // The units reserved before the run go in with the row (no UPDATE of every row afterwards),
    // and each ledger row carries its organization (the trigger of migration 004 has nothing to look up).
    const reserved = new Map<string, number>();
    for (const r of data.preReserved) reserved.set(r.authorizationId, (reserved.get(r.authorizationId) ?? 0) + r.units);
    const orgOf = new Map(data.authorizations.map((a) => [a.id, a.organizationId]));
    await insertRows(
      c,
      'authorizations',
      [
        ['id', 'uuid'],
        ['organization_id', 'uuid'],
        ['patient_id', 'uuid'],
        ['service_code', 'text'],
        ['capacity_units', 'int'],
        ['reserved_units', 'int'],
      ],
      data.authorizations.map((a) => [a.id, a.organizationId, a.patientId, a.serviceCode, a.capacityUnits, reserved.get(a.id) ?? 0]),
    );
    if (data.preReserved.length > 0) {
      await insertRows(
        c,
        'unit_ledger',
        [
          ['authorization_id', 'uuid'],
          ['organization_id', 'uuid'],
          ['operation', 'unit_operation'],
          ['units', 'int'],
          ['idempotency_key', 'text'],
        ],
        data.preReserved.map((r) => [r.authorizationId, orgOf.get(r.authorizationId), 'reserve', r.units, `seed-${r.authorizationId}`]),
      );
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The authorizations as the fixture lists them (capacity, tier, units already reserved). */
export function fixtureAuthorizations(data: SeedData): Fixture['authorizations'] {
  const preReserved = new Map<string, number>();
  for (const r of data.preReserved) preReserved.set(r.authorizationId, (preReserved.get(r.authorizationId) ?? 0) + r.units);
  return data.authorizations.map((a) => {
    const pre = preReserved.get(a.id) ?? 0;
    return { id: a.id, organizationId: a.organizationId, capacityUnits: a.capacityUnits, tier: a.tier, ...(pre > 0 ? { preReservedUnits: pre } : {}) };
  });
}

export function buildFixture(data: SeedData, secret: string, ttlSeconds: number, now: Date): Fixture {
  const tokensByOrganization: Record<string, string[]> = {};
  const iat = Math.floor(now.getTime() / 1000);
  const key = hmacKey(secret);
  for (const p of data.practitioners) {
    const token = jwt.sign({ sub: p.id, org: p.organizationId, role: 'practitioner', iat }, key, { algorithm: 'HS256', expiresIn: ttlSeconds });
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
  const data = growTo(buildSeedData(opts.seed, opts.profile), opts.authorizations ?? 0);
  await withClient(opts.databaseUrl, async (c) => {
    await assertSchemaReady(c);
    await writeSeedData(c, data);
  });
  const secret = ensureSecret(opts.secretPath);
  const fixture = buildFixture(data, secret, opts.tokenTtlSeconds, opts.now ?? new Date());
  writeFixtureAtomic(opts.fixturePath, fixture);
  return { data, fixture };
}
