import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { loadDefinitions, loadMigrations, setupDatabase } from '../../db/migrate';
import { withDatabase } from '../../db/connect';
import { seed } from '../../seed/seed';
import { loadFixture } from '../../seed/fixture';
import { tempDir, testServerUrl } from '../support/db';

describe('setup and seed against a real PostgreSQL', () => {
  const url = withDatabase(testServerUrl(), 'it_setup_seed');

  it('creates the database, applies migrations, converges, and recreates on request', async () => {
    const all = loadMigrations().map((m) => m.name);
    const functions = loadDefinitions().map((d) => d.name);
    expect(all.slice(0, 2)).toEqual(['001_ledger_schema', '002_ledger_covering_index']);
    expect(functions).toEqual(['apply_unit_operation']);
    const first = await setupDatabase(url, 'it_setup_seed', { recreate: true });
    expect(first.applied).toEqual([...all, ...functions]);
    const again = await setupDatabase(url, 'it_setup_seed', { recreate: false });
    expect(again).toMatchObject({ created: false, applied: [], skipped: all, repaired: null });
    const recreated = await setupDatabase(url, 'it_setup_seed', { recreate: true });
    expect(recreated).toMatchObject({ dropped: true, created: true, applied: [...all, ...functions] });
  });

  it('converges from a migration text it supersedes (the function once written inline), refuses any other change, and re-applies a changed definition', async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      const m003 = loadMigrations().find((m) => m.version === '003')!;
      expect(m003.supersedes).toHaveLength(1);
      // A database set up before the function moved to db/functions/: its 003 has the old checksum.
      await c.query('UPDATE schema_migrations SET checksum = $1 WHERE version = $2', [m003.supersedes[0], '003']);
      await c.query("UPDATE schema_definitions SET checksum = 'old' WHERE name = 'apply_unit_operation'");
      const r = await setupDatabase(url, 'it_setup_seed', { recreate: false });
      expect([r.skipped.includes(m003.name), r.applied]).toEqual([true, ['apply_unit_operation']]);
      expect((await c.query("SELECT checksum FROM schema_migrations WHERE version = '003'")).rows[0].checksum).toBe(m003.checksum);
      // The function is the one defined once, with its setting and the operation's id in its answer.
      const def = (await c.query("SELECT pg_get_functiondef('apply_unit_operation'::regproc) AS d")).rows[0].d as string;
      expect(def).toMatch(/SET enable_seqscan TO 'off'/);
      expect(def).toContain("'operationId', new_id");
      // Any other change is refused, as before.
      await c.query("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = '003'");
      await expect(setupDatabase(url, 'it_setup_seed', { recreate: false })).rejects.toMatchObject({ code: 'LT_DB_NOT_SET_UP' });
      await c.query('UPDATE schema_migrations SET checksum = $1 WHERE version = $2', [m003.checksum, '003']);
    } finally {
      await c.end();
    }
  });

  it('puts back the unique idempotency key the double-apply control drops, and refuses to hide duplicates', async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('ALTER TABLE unit_ledger DROP CONSTRAINT unit_ledger_idempotency_key_unique');
      expect((await setupDatabase(url, 'it_setup_seed', { recreate: false })).repaired).toBe('restored the unique constraint on idempotency keys');
      await c.query('ALTER TABLE unit_ledger DROP CONSTRAINT unit_ledger_idempotency_key_unique');
      const auth = (await c.query('SELECT id FROM authorizations LIMIT 1')).rows[0]?.id;
      if (!auth) {
        await seed({ databaseUrl: url, fixturePath: path.join(tempDir('fx'), 'f.json'), secretPath: path.join(tempDir('fx'), 's'), tokenTtlSeconds: 60 });
      }
      const id = (await c.query('SELECT id FROM authorizations LIMIT 1')).rows[0].id;
      await c.query(
        `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ($1, 'reserve', 1, 'dup'), ($1, 'reserve', 1, 'dup')`,
        [id],
      );
      await expect(setupDatabase(url, 'it_setup_seed', { recreate: false })).rejects.toMatchObject({ code: 'LT_DB_NOT_SET_UP' });
      expect((await setupDatabase(url, 'it_setup_seed', { recreate: false, repair: true })).repaired).toMatch(/cleared a ledger with duplicated keys/);
    } finally {
      await c.end();
    }
  });

  it('seeds exactly the plan and writes the fixture atomically (twice gives the same IDs)', async () => {
    const dir = tempDir('fixture');
    const opts = { databaseUrl: url, fixturePath: path.join(dir, 'test-data.json'), secretPath: path.join(dir, '.jwt-secret'), tokenTtlSeconds: 600 };
    const a = await seed(opts);
    const b = await seed(opts);
    expect(b.fixture.authorizationIds).toEqual(a.fixture.authorizationIds);
    expect(fs.readdirSync(dir).sort()).toEqual(['.jwt-secret', 'test-data.json']);
    expect((fs.statSync(opts.secretPath).mode & 0o777).toString(8)).toBe('600');
    expect(loadFixture(opts.fixturePath).highContentionAuthIds).toHaveLength(10);
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      const r =
        await c.query(`SELECT o.code, count(DISTINCT p.id)::int AS patients, count(DISTINCT pr.id)::int AS practitioners, count(DISTINCT a.id)::int AS auths,
          sum(DISTINCT a.capacity_units) AS _ FROM organizations o JOIN patients p ON p.organization_id = o.id JOIN practitioners pr ON pr.organization_id = o.id
          JOIN authorizations a ON a.organization_id = o.id GROUP BY o.code ORDER BY o.code`);
      expect(r.rows.map((x) => [x.code, x.patients, x.practitioners, x.auths])).toEqual([
        ['A', 10, 4, 30],
        ['B', 5, 3, 15],
        ['C', 5, 3, 10],
      ]);
      const caps = await c.query('SELECT capacity_units, count(*)::int AS n FROM authorizations GROUP BY 1 ORDER BY 1');
      expect(caps.rows).toEqual([
        { capacity_units: 50, n: 10 },
        { capacity_units: 200, n: 20 },
        { capacity_units: 1000, n: 25 },
      ]);
    } finally {
      await c.end();
    }
  });

  it('seeds to a size (--authorizations): every row stored, pre-reserved units applied once, the fixture listing them all', async () => {
    const dir = tempDir('fixture-size');
    const opts = { databaseUrl: url, fixturePath: path.join(dir, 'test-data.json'), secretPath: path.join(dir, '.jwt-secret'), tokenTtlSeconds: 600 };
    const { fixture } = await seed({ ...opts, profile: 'mixed', authorizations: 30_000 });
    expect(fixture.authorizations).toHaveLength(30_000);
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query<{ n: number; reserved: number; ledger: number }>(
        `SELECT (SELECT count(*)::int FROM authorizations) AS n, (SELECT sum(reserved_units)::int FROM authorizations) AS reserved,
                (SELECT sum(units)::int FROM unit_ledger) AS ledger`,
      );
      const preReserved = fixture.authorizations.reduce((n, a) => n + (a.preReservedUnits ?? 0), 0);
      expect(r.rows[0]).toEqual({ n: 30_000, reserved: preReserved, ledger: preReserved });
    } finally {
      await c.end();
    }
  });
});
