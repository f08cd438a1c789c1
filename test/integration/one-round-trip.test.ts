/**
 * db/migrations/003: the safe mode's one-statement operation agrees with api/rules.ts, keeps its
 * aggregate bounded by folding into a checkpoint, refuses to run outside SERIALIZABLE, and the
 * integrity check sees a checkpoint that disagrees with the ledger.
 */
import * as path from 'node:path';
import type { Client } from 'pg';
import { decide, emptyBalance, type Balance, type Operation } from '../../api/rules';
import { withClient } from '../../db/connect';
import { seed } from '../../seed/seed';
import { runIntegritySql } from '../../verify/integrity';
import { freshDatabase, tempDir, REFERENCE_SQL } from '../support/db';

interface Row {
  outcome: string;
  status_code: number;
  response_body: { balance?: { reservedUnits: number; consumedUnits: number; availableUnits: number } } | null;
}

async function apply(c: Client, a: { id: string; organizationId: string }, op: Operation, units: number, key: string, foldAfter: number): Promise<Row> {
  await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
  try {
    const res = await c.query<Row>('SELECT * FROM apply_unit_operation($1, $2, $3, $4, $5, NULL, $6, $7)', [
      a.id,
      a.organizationId,
      op,
      units,
      key,
      'h',
      foldAfter,
    ]);
    await c.query('COMMIT');
    return res.rows[0]!;
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  }
}

describe('apply_unit_operation (one round trip, bounded aggregate)', () => {
  let url: string;
  let target: { id: string; organizationId: string; capacityUnits: number };

  beforeAll(async () => {
    url = await freshDatabase('it_one_trip');
    const dir = tempDir('one-trip');
    const { fixture } = await seed({ databaseUrl: url, fixturePath: path.join(dir, 'f.json'), secretPath: path.join(dir, 's'), tokenTtlSeconds: 600 });
    target = fixture.authorizations.find((a) => a.tier === 'standard')!;
  });

  it('answers every operation as decide() does, and folds the tail into the checkpoint every 5 rows', async () => {
    await withClient(url, async (c) => {
      // A deterministic mix that exercises every branch: successes and refusals of each operation.
      const ops: [Operation, number][] = [];
      for (let i = 0; i < 60; i++) ops.push([(['reserve', 'reserve', 'release', 'consume', 'reserve'] as const)[i % 5]!, 1 + ((i * 37) % 60)]);
      let model: Balance = emptyBalance(target.capacityUnits);
      let applied = 0;
      for (const [i, [op, units]] of ops.entries()) {
        const d = decide(op, units, model);
        const row = await apply(c, target, op, units, `one-trip-${i}`, 5);
        expect({ i, op, units, status: row.status_code }).toEqual({ i, op, units, status: d.ok ? 200 : 409 });
        if (d.ok) {
          model = d.next;
          applied++;
        }
        expect(row.response_body!.balance).toEqual({
          capacityUnits: target.capacityUnits,
          reservedUnits: model.reserved,
          consumedUnits: model.consumed,
          availableUnits: model.available,
        });
      }
      expect(applied).toBeGreaterThan(10);
      const a = await c.query<{ checkpoint_ledger_id: string; tail: string }>(
        `SELECT a.checkpoint_ledger_id, (SELECT COUNT(*) FROM unit_ledger l WHERE l.authorization_id = a.id AND l.id > a.checkpoint_ledger_id) AS tail
           FROM authorizations a WHERE a.id = $1`,
        [target.id],
      );
      expect(Number(a.rows[0]!.checkpoint_ledger_id)).toBeGreaterThan(0);
      expect(Number(a.rows[0]!.tail)).toBeLessThan(5);
      expect((await runIntegritySql(url, REFERENCE_SQL)).rows).toEqual([]);
    });
  });

  it('refuses to run outside SERIALIZABLE (it would overbook there)', async () => {
    await withClient(url, async (c) => {
      await expect(
        c.query('SELECT * FROM apply_unit_operation($1, $2, $3, $4, $5, NULL, $6, $7)', [target.id, target.organizationId, 'reserve', 1, 'rc-key', 'h', 5]),
      ).rejects.toMatchObject({ code: '25001' });
    });
  });

  it('negative control: a checkpoint that disagrees with the ledger is an integrity violation', async () => {
    await withClient(url, (c) => c.query('UPDATE authorizations SET checkpoint_reserved = checkpoint_reserved + 7 WHERE id = $1', [target.id]));
    const { rows } = await runIntegritySql(url, REFERENCE_SQL);
    expect(rows.map((r) => [r.violation, r.authorization_id, Number(r.excess_units)])).toEqual([['checkpoint_mismatch', target.id, 7]]);
  });
});
