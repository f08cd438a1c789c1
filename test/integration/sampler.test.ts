/**
 * The database sampler against a real PostgreSQL: while SERIALIZABLE transactions hold predicate
 * locks and one waits for a row lock, the samples see them; pg_stat_statements names the
 * statements; without the extension the sampler says so (negative control). Its session is
 * read-only.
 */
import { Client } from 'pg';
import { startSampler } from '../../db/sampler';
import { dbHeadline } from '../../formats/db-samples';
import { freshDatabase, query } from '../support/db';

jest.setTimeout(60_000);

async function client(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

describe('the database sampler', () => {
  it('samples commits, predicate locks, lock waits and the longest transaction, and names the top statements', async () => {
    const url = await freshDatabase('it_sampler');
    await query(url, 'CREATE TABLE t (id int PRIMARY KEY, v int)');
    await query(url, 'INSERT INTO t SELECT g, 0 FROM generate_series(1, 100) g');
    const sampler = await startSampler(url, 200);
    const a = await client(url);
    const b = await client(url);
    try {
      for (let i = 0; i < 20; i++) await query(url, 'UPDATE t SET v = v + 1 WHERE id = $1', [i + 1]);
      await a.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
      await a.query('SELECT sum(v) FROM t WHERE id < 50'); // predicate locks
      await a.query('UPDATE t SET v = v + 1 WHERE id = 100'); // holds the row
      await b.query('BEGIN');
      const waiting = b.query('UPDATE t SET v = v + 1 WHERE id = 100'); // waits for it
      await new Promise((r) => setTimeout(r, 900));
      await a.query('COMMIT');
      await waiting;
      await b.query('COMMIT');
    } finally {
      await a.end();
      await b.end();
    }
    const f = await sampler.stop();
    const h = dbHeadline(f);
    expect(f.samples.length).toBeGreaterThanOrEqual(4);
    expect(h.commits).toBeGreaterThanOrEqual(20);
    expect(h.peakPredicateLocks).toBeGreaterThan(0);
    expect(h.peakLockWaits).toBeGreaterThanOrEqual(1);
    expect(h.longestTransactionMs).toBeGreaterThan(500);
    expect(f.statementsNote).toBeNull();
    expect(f.topStatements.some((s) => /UPDATE t SET v/.test(s.query))).toBe(true);
    expect(f.failedSamples).toBe(0);
  });

  it('negative control: on a database without pg_stat_statements it says so, and samples all the same', async () => {
    const url = await freshDatabase('it_sampler_bare');
    await query(url, 'DROP EXTENSION IF EXISTS pg_stat_statements');
    const sampler = await startSampler(url, 100);
    await new Promise((r) => setTimeout(r, 350));
    const f = await sampler.stop();
    expect(f.samples.length).toBeGreaterThanOrEqual(2);
    expect(f.topStatements).toEqual([]);
    expect(f.statementsNote).toMatch(/pg_stat_statements is not available on this database/);
  });
});
