import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { seed } from '../../seed/seed';
import { judgeIntegrity, runIntegritySql } from '../../verify/integrity';
import { freshDatabase, tempDir, REFERENCE_SQL } from '../support/db';
import { runCli } from '../support/cli';

describe('integrity verifier against a real PostgreSQL', () => {
  let url: string;
  let c: Client;
  let ids: { contention: string; standard: string; bulk: string };

  beforeAll(async () => {
    url = await freshDatabase('it_verify');
    const dir = tempDir('verify');
    const { fixture } = await seed({ databaseUrl: url, fixturePath: path.join(dir, 'f.json'), secretPath: path.join(dir, 's'), tokenTtlSeconds: 600 });
    const pick = (t: string) => fixture.authorizations.find((a) => a.tier === t)!.id;
    ids = { contention: pick('contention'), standard: pick('standard'), bulk: pick('bulk') };
    c = new Client({ connectionString: url });
    await c.connect();
  });
  afterAll(() => c.end());

  it('passes a clean database with 0 rows (CLI exit 0)', async () => {
    expect((await runIntegritySql(url, REFERENCE_SQL)).rows).toEqual([]);
    const r = await runCli('verify', ['--integrity-only'], { DATABASE_URL: url });
    expect(r.stdout).toContain('=== Authorization Unit Integrity Check ===\n(0 rows)');
    expect(r.code).toBe(0);
  });

  it('catches hand-corrupted rows by type: overbooked, negative balance, counter mismatch (CLI exit 1)', async () => {
    // The reference schema now refuses such balances itself (db/migrations/004); the verifier is
    // for every schema, so the corruption is made as on one without that check.
    await c.query('ALTER TABLE authorizations DROP CONSTRAINT authorizations_within_capacity');
    await c.query(`INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ($1, 'reserve', 60, 'corrupt-1')`, [ids.contention]);
    await c.query('UPDATE authorizations SET reserved_units = 60 WHERE id = $1', [ids.contention]);
    await c.query(`INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ($1, 'release', 5, 'corrupt-2')`, [ids.standard]);
    await c.query('UPDATE authorizations SET reserved_units = -5 WHERE id = $1', [ids.standard]);
    await c.query('UPDATE authorizations SET consumed_units = 7 WHERE id = $1', [ids.bulk]);
    const v = judgeIntegrity(await runIntegritySql(url, REFERENCE_SQL));
    expect(Object.fromEntries(Object.entries(v.errors).map(([k, s]) => [k, s.count]))).toEqual({ overbooked: 1, negative_balance: 1, counter_mismatch: 1 });
    expect(v.errors.overbooked!.first).toMatchObject({ authorization_id: ids.contention, excess_units: 10 });
    const r = await runCli('verify', [], { DATABASE_URL: url });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('(3 rows)');
    expect(r.stdout).toContain('FAIL: 1 counter_mismatch, 1 negative_balance, 1 overbooked');
  });

  it('exits 2 with one line naming the problem when the database is unreachable', async () => {
    const r = await runCli('verify', [], { DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:9/none' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error LT_DB_UNREACHABLE: cannot connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:9\/none.*\(fix: /);
  });

  it('exits 2 when the SQL file is not valid, and 254 on a bad argument', async () => {
    const bad = path.join(tempDir('sql'), 'bad.sql');
    fs.writeFileSync(bad, 'SELEC nonsense');
    const r = await runCli('verify', [], { DATABASE_URL: url, VERIFY_SQL: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LT_VERIFY_SQL_INVALID');
    expect((await runCli('verify', ['--bogus'], { DATABASE_URL: url })).code).toBe(254);
  });
});
