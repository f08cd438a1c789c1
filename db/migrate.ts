/**
 * Creates the dedicated load-test database and applies db/migrations/*.sql in order.
 * Running it again converges: applied migrations are skipped, and a changed one is refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { PackError } from '../lib/errors';
import { connect, withClient, withDatabase } from './connect';

export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
  /**
   * Checksums of earlier texts of this migration that it replaces with the same effect (its
   * `-- supersedes <sha256>` lines): a database that applied one of them converges without a rebuild.
   */
  readonly supersedes: readonly string[];
}

export const MIGRATIONS_DIR = path.join(__dirname, '..', '..', 'db', 'migrations');

export function loadMigrations(dir: string = resolveMigrationsDir()): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      const supersedes = [...sql.matchAll(/^-- supersedes ([0-9a-f]{64})\b/gm)].map((m) => m[1]!);
      return { version: file.slice(0, 3), name: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex'), supersedes };
    });
}

/** A definition applied after the migrations, again whenever its text changes (db/functions/*.sql: CREATE OR REPLACE). */
export interface Definition {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export function loadDefinitions(dir: string = resolveFunctionsDir()): Definition[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      return { name: file.replace(/\.sql$/, ''), sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

function resolveFunctionsDir(): string {
  const candidates = [path.join(__dirname, '..', '..', 'db', 'functions'), path.join(__dirname, 'functions')];
  return candidates.find((d) => fs.existsSync(d)) ?? candidates[0]!;
}

/** Applies the definitions whose text is new or changed since they were last applied; returns their names. */
export async function applyDefinitions(client: Client, definitions: Definition[]): Promise<string[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_definitions (
    name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Map(
    (await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_definitions')).rows.map((r) => [r.name, r.checksum]),
  );
  const applied: string[] = [];
  for (const d of definitions) {
    if (done.get(d.name) === d.checksum) continue;
    await client.query('BEGIN');
    try {
      await client.query(d.sql);
      await client.query(
        'INSERT INTO schema_definitions (name, checksum) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()',
        [d.name, d.checksum],
      );
      await client.query('COMMIT');
      applied.push(d.name);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
  return applied;
}

function resolveMigrationsDir(): string {
  // Compiled: dist/db/migrate.js -> ../../db/migrations; under ts-jest: db/migrate.ts -> ./migrations
  const candidates = [MIGRATIONS_DIR, path.join(__dirname, 'migrations')];
  return candidates.find((d) => fs.existsSync(d)) ?? MIGRATIONS_DIR;
}

export interface SetupResult {
  created: boolean;
  dropped: boolean;
  applied: string[];
  skipped: string[];
  /** What ensureInvariants had to put back, if anything. */
  repaired: string | null;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates (or with recreate: drops and recreates) the database named in url. */
export async function ensureDatabase(url: string, database: string, recreate: boolean): Promise<{ created: boolean; dropped: boolean }> {
  const adminUrl = withDatabase(url, 'postgres');
  return withClient(adminUrl, async (admin) => {
    let dropped = false;
    if (recreate) {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
      dropped = true;
    }
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
      return { created: true, dropped };
    }
    return { created: false, dropped };
  });
}

export async function applyMigrations(client: Client, migrations: Migration[]): Promise<{ applied: string[]; skipped: string[] }> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const done = new Map<string, string>();
  for (const row of (await client.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations')).rows) {
    done.set(row.version, row.checksum);
  }
  const applied: string[] = [];
  const skipped: string[] = [];
  for (const m of migrations) {
    const prior = done.get(m.version);
    if (prior !== undefined) {
      if (prior !== m.checksum && m.supersedes.includes(prior)) {
        // An earlier text of the same migration, rewritten with the same effect: record the new one.
        await client.query('UPDATE schema_migrations SET checksum = $1 WHERE version = $2', [m.checksum, m.version]);
        skipped.push(m.name);
        continue;
      }
      if (prior !== m.checksum) {
        throw new PackError('LT_DB_NOT_SET_UP', `migration ${m.name} changed after it was applied`, {
          hint: 'run `npm run load-test:setup -- --recreate` to rebuild the load-test database',
        });
      }
      skipped.push(m.name);
      continue;
    }
    await client.query('BEGIN');
    try {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      await client.query('COMMIT');
      applied.push(m.name);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
  return { applied, skipped };
}

export async function setupDatabase(url: string, database: string, opts: { recreate: boolean; repair?: boolean }): Promise<SetupResult> {
  const { created, dropped } = await ensureDatabase(url, database, opts.recreate);
  const client = await connect(url);
  try {
    const { applied, skipped } = await applyMigrations(client, loadMigrations());
    const defined = await applyDefinitions(client, loadDefinitions());
    const repaired = await ensureInvariants(client, opts.repair ?? false);
    return { created, dropped, applied: [...applied, ...defined], skipped, repaired };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The ledger's unique idempotency key is dropped by the double-apply negative control, and the
 * capacity CHECK by every mode that overbooks. Put them back; if duplicated keys stop that, clear
 * the ledger only when the caller reseeds anyway (repair).
 */
export async function ensureInvariants(client: Client, repair: boolean): Promise<string | null> {
  // The capacity CHECK (db/migrations/004), dropped by the negative-control modes that overbook.
  const check = await client.query(`SELECT 1 FROM pg_constraint WHERE conname = 'authorizations_within_capacity'`);
  const restoredCheck = !check.rowCount;
  if (restoredCheck) {
    await client.query(
      'ALTER TABLE authorizations ADD CONSTRAINT authorizations_within_capacity CHECK (reserved_units >= 0 AND consumed_units >= 0 AND reserved_units::bigint + consumed_units <= capacity_units) NOT VALID',
    );
  }
  const has = await client.query(`SELECT 1 FROM pg_constraint WHERE conname = 'unit_ledger_idempotency_key_unique'`);
  if (has.rowCount) return restoredCheck ? 'restored the capacity check constraint' : null;
  const dups = await client.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM unit_ledger GROUP BY organization_id, idempotency_key HAVING count(*) > 1) d`);
  if (dups.rows[0].n > 0) {
    if (!repair) {
      throw new PackError(
        'LT_DB_NOT_SET_UP',
        `the ledger holds ${dups.rows[0].n} duplicated idempotency keys and has lost its unique constraint (left by the double-apply negative control)`,
        {
          hint: 'run `npm run load-test:setup -- --recreate`, or any load-test run (it reseeds)',
        },
      );
    }
    await client.query('TRUNCATE idempotency_keys, unit_ledger');
  }
  await client.query('ALTER TABLE unit_ledger ADD CONSTRAINT unit_ledger_idempotency_key_unique UNIQUE (organization_id, idempotency_key)');
  return dups.rows[0].n > 0 ? 'cleared a ledger with duplicated keys and restored its unique constraint' : 'restored the unique constraint on idempotency keys';
}

/** Throws LT_DB_NOT_SET_UP unless every migration is applied. */
export async function assertSchemaReady(client: Client): Promise<void> {
  const wanted = loadMigrations().map((m) => m.version);
  const res = await client.query<{ version: string }>('SELECT version FROM schema_migrations').catch((err: { code?: string }) => {
    if (err.code === '42P01') return { rows: [] as { version: string }[] };
    throw err;
  });
  const have = new Set(res.rows.map((r) => r.version));
  const missing = wanted.filter((v) => !have.has(v));
  if (missing.length > 0) throw new PackError('LT_DB_NOT_SET_UP', `the load-test database lacks migrations ${missing.join(', ')}`);
}
