/**
 * forEachRow, the verifier's one way to stream rows (COPY … TO STDOUT as CSV, B5): values come in
 * the order asked for whatever order the query returns them in, text and NULL survive as they
 * are, a trailing `;` and comment are fine, `ready` holds the rows back, and a missing column is
 * an error naming it (a negative control: before, it read as undefined).
 */
import { Client } from 'pg';
import { forEachRow } from '../../db/connect';
import { freshDatabase } from '../support/db';

describe('forEachRow (COPY … TO STDOUT WITH csv)', () => {
  let c: Client;

  beforeAll(async () => {
    c = new Client({ connectionString: await freshDatabase('it_copy_rows') });
    await c.connect();
  });
  afterAll(async () => c.end());

  const rows = async (sql: string, columns: string[], ready?: Promise<unknown>): Promise<(string | null)[][]> => {
    const out: (string | null)[][] = [];
    await c.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await forEachRow(c, sql, columns, (r) => out.push([...r]), ready ? { ready } : {});
    } finally {
      await c.query('ROLLBACK');
    }
    return out;
  };

  it('hands on the columns by name, in the order asked, with NULL, quotes, commas and newlines intact', async () => {
    const sql = `SELECT 2 AS b, 'x,"y"' || chr(10) || 'z' AS a, NULL::text AS c, '' AS d FROM generate_series(1, 3) ORDER BY 1; -- ADAPT: a comment after the terminator`;
    expect(await rows(sql, ['a', 'b', 'c', 'd'])).toEqual(Array(3).fill(['x,"y"\nz', '2', null, '']));
  });

  it('streams many rows in order, held back until ready', async () => {
    let release!: () => void;
    const ready = new Promise<void>((r) => (release = r));
    const got: (string | null)[] = [];
    await c.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const done = forEachRow(c, 'SELECT g AS n FROM generate_series(1, 50000) g ORDER BY g', ['n'], (r) => got.push(r[0]!), { ready });
    await new Promise((r) => setTimeout(r, 300));
    expect(got.length).toBe(0);
    release();
    expect(await done).toBe(50_000);
    await c.query('ROLLBACK');
    expect(got.length).toBe(50_000);
    expect(got.every((n, i) => n === String(i + 1))).toBe(true);
  });

  it('names a column the query does not return (negative control)', async () => {
    await expect(rows('SELECT 1 AS key', ['key', 'auth'])).rejects.toMatchObject({ code: '42703', message: expect.stringContaining('"auth"') });
  });
});
