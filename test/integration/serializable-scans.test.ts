/**
 * On a real PostgreSQL (issue 10, B7): once the small authorizations table is analyzed, the
 * planner reads it by a sequential scan, which under SERIALIZABLE locks the whole table, so two
 * operations on different authorizations conflict. apply_unit_operation reads it by index
 * (migration 007): no table-wide predicate lock, and both operations commit. The same reads by a
 * sequential scan are the negative control: the table-wide lock, and one of the two refused.
 */
import * as path from 'node:path';
import { Client } from 'pg';
import { seed } from '../../seed/seed';
import { freshDatabase, tempDir } from '../support/db';

async function connect(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

/** Whether the backend holds a predicate lock on the whole authorizations table. */
async function holdsTableLock(observer: Client, pid: number): Promise<boolean> {
  const r = await observer.query(
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
      WHERE l.mode = 'SIReadLock' AND l.locktype = 'relation' AND c.relname = 'authorizations' AND l.pid = $1`,
    [pid],
  );
  return r.rows[0].n > 0;
}

describe('SERIALIZABLE operations read their authorization by index', () => {
  it('two operations on different authorizations both commit; read by a sequential scan, one is refused (negative control)', async () => {
    const url = await freshDatabase('it_serializable_scans');
    const dir = tempDir('scans');
    const { fixture } = await seed({ databaseUrl: url, fixturePath: path.join(dir, 'f.json'), secretPath: path.join(dir, 's'), tokenTtlSeconds: 600 });
    const [a, b] = fixture.authorizations.filter(
      (x) => x.tier !== 'contention' && x.organizationId === fixture.authorizations[0]!.organizationId && x.capacityUnits >= 20,
    );
    expect(a && b).toBeTruthy();
    const observer = await connect(url);
    const t1 = await connect(url);
    const t2 = await connect(url);
    try {
      await observer.query('ANALYZE authorizations');
      // The precondition: with its statistics, the planner reads this small table sequentially.
      const plan = await observer.query(`EXPLAIN SELECT capacity_units FROM authorizations WHERE id = $1::uuid`, [a!.id]);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Seq Scan on authorizations/);
      const practitioner = (await observer.query('SELECT id FROM practitioners WHERE organization_id = $1 LIMIT 1', [a!.organizationId])).rows[0].id as string;
      const pid = async (c: Client): Promise<number> => (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p as number;
      const apply = (c: Client, auth: string, key: string) =>
        c.query('SELECT outcome FROM apply_unit_operation($1, $2, $3, $4, $5, $6, $7, $8)', [
          auth,
          a!.organizationId,
          'reserve',
          1,
          key,
          practitioner,
          key,
          1000,
        ]);

      // The pack's function: no table-wide lock, and both commit.
      await t1.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await t2.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      expect((await apply(t1, a!.id, 'scan-a')).rows[0].outcome).toBe('applied');
      expect((await apply(t2, b!.id, 'scan-b')).rows[0].outcome).toBe('applied');
      expect(await holdsTableLock(observer, await pid(t1))).toBe(false);
      await t1.query('COMMIT');
      await t2.query('COMMIT');

      // The negative control: the same read and write by a sequential scan.
      const readThenWrite = async (c: Client, auth: string): Promise<void> => {
        await c.query('SELECT capacity_units, reserved_units FROM authorizations WHERE id = $1::uuid', [auth]);
        await c.query('UPDATE authorizations SET reserved_units = reserved_units + 1 WHERE id = $1::uuid', [auth]);
      };
      await t1.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await t2.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await readThenWrite(t1, a!.id);
      await readThenWrite(t2, b!.id);
      expect(await holdsTableLock(observer, await pid(t1))).toBe(true);
      await t1.query('COMMIT');
      await expect(t2.query('COMMIT')).rejects.toMatchObject({ code: '40001' });
    } finally {
      await Promise.all([observer.end(), t1.end(), t2.end()]);
    }
  });
});
