/**
 * The foreign API's database, set up by its owner (this test), never by the pack: its schema, the
 * plan's data set mapped into its tables, and a fixture in the pack's format with tokens it accepts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import type { Fixture } from '../../../seed/fixture';
import { buildFixture } from '../../../seed/seed';
import { SeedData } from '../../../seed/plan';

export const FOREIGN_SQL_DIR = path.join(__dirname, 'sql');

async function withDb<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Drops and recreates the database, applies the foreign schema, loads the data; returns the fixture. */
export async function setUpForeignDatabase(adminUrl: string, name: string, data: SeedData, secret: string): Promise<{ url: string; fixture: Fixture }> {
  await withDb(adminUrl, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await withDb(url, async (c) => {
    await c.query(fs.readFileSync(path.join(__dirname, 'schema.sql'), 'utf8'));
    for (const o of data.organizations) await c.query('INSERT INTO fa_tenants (tenant_id, label) VALUES ($1, $2)', [o.id, o.name]);
    for (const a of data.authorizations)
      await c.query('INSERT INTO fa_grants (grant_id, tenant_id, quota) VALUES ($1, $2, $3)', [a.id, a.organizationId, a.capacityUnits]);
    for (const r of data.preReserved)
      await c.query(`INSERT INTO fa_moves (grant_id, kind, qty, request_key) VALUES ($1, 'hold', $2, $3)`, [
        r.authorizationId,
        r.units,
        `opening-${r.authorizationId}`,
      ]);
  });
  return { url, fixture: buildFixture(data, secret, 4 * 3600, new Date()) };
}

/** Tables, columns, constraints and indexes of the public schema, as one text: equal text, equal schema. */
export async function schemaFingerprint(url: string): Promise<string> {
  return withDb(url, async (c) => {
    const parts: string[] = [];
    for (const sql of [
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
      `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`,
      `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
      `SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e' ORDER BY 1, 2`,
      `SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
    ]) {
      parts.push(JSON.stringify((await c.query(sql)).rows));
    }
    return parts.join('\n');
  });
}

/** Rows per table of the foreign schema. */
export async function rowCounts(url: string): Promise<Record<string, number>> {
  return withDb(url, async (c) => {
    const out: Record<string, number> = {};
    for (const t of ['fa_tenants', 'fa_grants', 'fa_moves', 'fa_requests']) out[t] = Number((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
    return out;
  });
}
