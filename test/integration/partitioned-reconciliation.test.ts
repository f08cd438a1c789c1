/**
 * Reconciliation in bounded memory: a history split into key partitions (as a long run's is) gives
 * exactly the verdict and counts of the same history reconciled in one piece, including the
 * violations (a negative control: a lost write, a duplicated one, an unexpected one).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import type { HistoryEvent } from 'artillery-plugin-isolation';
import { seed } from '../../seed/seed';
import { reconcileRun, takeBaseline } from '../../verify/reconciliation';
import type { BaselineFile } from '../../formats/baseline';
import { freshDatabase, tempDir, REFERENCE_SQL } from '../support/db';

describe('partitioned reconciliation (bounded memory)', () => {
  let url: string;
  let c: Client;
  let auths: string[];
  let baseline: BaselineFile;
  let historyDir: string;

  beforeAll(async () => {
    url = await freshDatabase('it_partitioned');
    const dir = tempDir('partitioned');
    const { fixture } = await seed({ databaseUrl: url, fixturePath: path.join(dir, 'f.json'), secretPath: path.join(dir, 's'), tokenTtlSeconds: 600 });
    auths = fixture.authorizations.filter((a) => a.capacityUnits === 1000).map((a) => a.id);
    baseline = await takeBaseline(url, REFERENCE_SQL);
    c = new Client({ connectionString: url });
    await c.connect();
    // 3,000 acknowledged reserves of 1 unit, spread over the bulk authorizations, in two files.
    historyDir = path.join(dir, 'history');
    fs.mkdirSync(historyDir);
    const lines: string[][] = [[], []];
    const ids: string[] = [];
    const keys: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const auth = auths[i % auths.length]!;
      const w = i % 2;
      const base = { key: `p-${i}`, op: 'reserve' as const, auth, units: 1, worker: `w${w}` };
      lines[w]!.push(JSON.stringify({ ...base, type: 'invoke', time: 1000 + i } satisfies HistoryEvent));
      // Key p-7 is refused to the client, yet written below (unexpected).
      const answer: HistoryEvent = i === 7 ? { ...base, type: 'fail', time: 1001 + i, status: 409 } : { ...base, type: 'ok', time: 1001 + i, status: 200 };
      lines[w]!.push(JSON.stringify(answer));
      // Key p-3 is acknowledged but never written (lost); key p-5 is written twice (duplicated).
      if (i !== 3) {
        ids.push(auth);
        keys.push(`p-${i}`);
      }
    }
    lines.forEach((l, w) =>
      fs.writeFileSync(
        path.join(historyDir, `history-w${w}.ndjson`),
        `${l.join('\n')}\n${JSON.stringify({ type: 'close', time: 9e12, worker: `w${w}`, lines: l.length })}\n`,
      ),
    );
    await c.query('ALTER TABLE unit_ledger DROP CONSTRAINT unit_ledger_idempotency_key_unique');
    await c.query(
      `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) SELECT * FROM unnest($1::uuid[], $2::unit_operation[], $3::int[], $4::text[])`,
      [
        [...ids, auths[5 % auths.length]!],
        [...ids.map(() => 'reserve'), 'reserve'],
        [...ids.map(() => 1), 1],
        [...keys, 'p-5'],
      ],
    );
    await c.query(
      `UPDATE authorizations a SET reserved_units = a.reserved_units + l.n FROM (SELECT authorization_id, COUNT(*)::int AS n FROM unit_ledger GROUP BY 1) l WHERE a.id = l.authorization_id`,
    );
  });
  afterAll(() => c.end());

  it('gives the same verdict and counts in one piece and in many partitions', async () => {
    const run = (partitionBytes?: number) =>
      reconcileRun({ databaseUrl: url, historyDir, report: null, baseline, sql: REFERENCE_SQL, ...(partitionBytes ? { partitionBytes } : {}) });
    const whole = await run();
    const split = await run(20_000);
    expect(whole.counts.partitions).toBe(1);
    expect(split.counts.partitions).toBeGreaterThanOrEqual(20);
    const { partitions: _a, ...wholeCounts } = whole.counts;
    const { partitions: _b, ...splitCounts } = split.counts;
    expect(splitCounts).toEqual(wholeCounts);
    expect(split.verdict.valid).toBe(false);
    expect(whole.counts).toMatchObject({ lost: 1, duplicated: 1, unexpected: 1, keys: 3000, ok: 2999, fail: 1 });
    const types = (v: typeof whole) => Object.fromEntries(Object.entries(v.verdict.errors).map(([t, s]) => [t, (s as { count: number }).count]));
    expect(types(split)).toEqual(types(whole));
    // Every temporary partition file is gone.
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('lt-reconcile-'))).toEqual([]);
  });
});
