/**
 * On a real PostgreSQL: overbooking that a later release hides (caught by the ledger replay, not
 * by the final-state check), a ledger row altered under a correct key (mismatched), and every
 * case in which the verdict must be unknown (exit 2) rather than valid, through `load-test:verify`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import type { Fixture } from '../../seed/fixture';
import { runIntegritySql } from '../../verify/integrity';
import { reconcileRun, replayLedger, takeBaseline } from '../../verify/reconciliation';
import { writeBaselineFile } from '../../formats/baseline';
import type { ArtilleryReport } from '../../formats/artillery-json';
import { runCli } from '../support/cli';
import { REFERENCE_SQL } from '../support/db';
import { seededDatabase, referenceApi } from '../support/api';

async function query(url: string, sql: string, params: unknown[] = []): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql, params);
  } finally {
    await c.end();
  }
}

describe('overbooking that a later release hides', () => {
  it('a check-then-act race (READ COMMITTED) overbooks, a release brings it back: 0 integrity rows, but the replay catches it', async () => {
    const db = await seededDatabase('it_hidden_overbooking');
    const { url, fixture } = db;
    const { app } = await referenceApi(db, { API_MODE: 'unsafe-read-committed', API_UNSAFE_RACE_WINDOW_MS: '100' });
    try {
      const a = fixture.authorizations.find((x) => x.tier === 'contention')!; // 50 units
      const token = fixture.tokensByOrganization[a.organizationId]![0]!;
      const send = (op: string, units: number, key: string) =>
        app.inject({
          method: 'POST',
          url: `/api/authorizations/${a.id}/${op}`,
          headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
          payload: { units },
        });
      const both = await Promise.all([send('reserve', 30, 'race-1'), send('reserve', 30, 'race-2')]);
      expect(both.map((r) => r.statusCode)).toEqual([200, 200]); // 60 of 50: the race
      expect((await send('release', 10, 'hide-1')).statusCode).toBe(200); // back to 50

      expect((await runIntegritySql(url, REFERENCE_SQL)).rows).toEqual([]); // the final-state check sees nothing
      const replay = (await replayLedger(url, REFERENCE_SQL, null))!;
      expect(replay.valid).toBe(false);
      expect(replay.errors.overbooked).toMatchObject({ count: 1, worst: { auth: a.id, capacity: 50, reserved: 60, excess: 10 } });
    } finally {
      await app.close();
    }
  });
});

describe('a ledger row with altered units under a correct key', () => {
  it('is reported as mismatched', async () => {
    const { url, dir, fixture } = await seededDatabase('it_altered_units');
    const baseline = await takeBaseline(url, REFERENCE_SQL);
    const a = fixture.authorizations.find((x) => x.tier === 'bulk')!;
    const history = path.join(dir, 'x.history');
    fs.mkdirSync(history);
    const ev = (type: string, key: string) =>
      JSON.stringify({ type, time: 1, key, op: 'reserve', auth: a.id, units: 5, status: type === 'ok' ? 200 : undefined, worker: 'w' });
    fs.writeFileSync(
      path.join(history, 'history-1-1.ndjson'),
      [ev('invoke', 'k1'), ev('ok', 'k1'), JSON.stringify({ type: 'close', time: 2, worker: 'w', lines: 2 })].join('\n') + '\n',
    );
    // The API booked 7 units under the key of a request for 5.
    await query(url, `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ($1, 'reserve', 7, 'k1')`, [a.id]);
    const r = await reconcileRun({ databaseUrl: url, historyDir: history, report: null, baseline, sql: REFERENCE_SQL });
    expect(r.verdict.valid).toBe(false);
    expect(r.counts.mismatched).toBe(1);
    expect(r.verdict.errors['history.mismatched']!.first).toMatchObject({ key: 'k1', detail: expect.stringContaining('reserve 7') });
  });
});

describe("counters mode (no history): the units already in the ledger before the load are not the run's", () => {
  it("the run's units alone match; units counted from before the load do not (the negative control)", async () => {
    const { url, fixture } = await seededDatabase('it_counters_baseline');
    const a = fixture.authorizations.find((x) => x.tier === 'bulk')!;
    const row = (units: number, key: string): Promise<void> =>
      query(url, `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ($1, 'reserve', $2, $3)`, [a.id, units, key]);
    // Before the load: 6 units (besides the seed's own reservations).
    await row(6, 'before');
    const baseline = await takeBaseline(url, REFERENCE_SQL);
    // The load: 9 units under two keys.
    await row(5, 'run-1');
    await row(4, 'run-2');
    const report = (reserved: number): ArtilleryReport => ({
      aggregate: { counters: { 'isolation.requests': 2, 'isolation.units.reserved': reserved }, rates: {}, summaries: {} },
      intermediate: [],
    });
    const run = (reserved: number) => reconcileRun({ databaseUrl: url, historyDir: null, report: report(reserved), baseline, sql: REFERENCE_SQL });
    const ok = await run(9);
    expect([ok.mode, ok.verdict.valid]).toEqual(['counters', true]);
    // One acknowledged unit short of the ledger's 9, and one too many: both fail.
    const short = await run(8);
    expect([short.verdict.valid, Object.keys(short.verdict.errors).join()]).toEqual([false, expect.stringContaining('extra_units')]);
    const over = await run(10);
    expect([over.verdict.valid, Object.keys(over.verdict.errors).join()]).toEqual([false, expect.stringContaining('lost_units')]);
  });
});

describe('the integrity check also names keys applied twice, successes without a ledger row and orphan rows', () => {
  it('each is caught by type on a hand-corrupted database, and a clean one returns 0 rows', async () => {
    const { url, fixture } = await seededDatabase('it_integrity_more');
    expect((await runIntegritySql(url, REFERENCE_SQL)).rows).toEqual([]);
    const a = fixture.authorizations.find((x) => x.tier === 'bulk')!;
    // One key applied twice (the unique constraint gone, as double-apply leaves it), balances kept in step.
    await query(url, 'ALTER TABLE unit_ledger DROP CONSTRAINT unit_ledger_idempotency_key_unique');
    await query(
      url,
      `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ($1, 'reserve', 5, 'twice'), ($1, 'reserve', 5, 'twice')`,
      [a.id],
    );
    await query(url, 'UPDATE authorizations SET reserved_units = reserved_units + 10 WHERE id = $1', [a.id]);
    // A success recorded for a key that booked nothing.
    await query(
      url,
      `INSERT INTO idempotency_keys (organization_id, idempotency_key, authorization_id, operation, request_hash, status_code, response_body)
       SELECT organization_id, 'ghost', id, 'reserve', 'h', 200, '{"units": 4}' FROM authorizations WHERE id = $1`,
      [a.id],
    );
    // Ledger rows of an authorization that does not exist (the foreign key gone, as in a schema without one).
    await query(url, 'ALTER TABLE unit_ledger DROP CONSTRAINT unit_ledger_authorization_id_fkey');
    await query(
      url,
      `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ('00000000-0000-4000-8000-000000000000', 'reserve', 3, 'orphan')`,
    );
    const rows = (await runIntegritySql(url, REFERENCE_SQL)).rows;
    const byType = Object.fromEntries(
      ['duplicate_key', 'ack_without_ledger_row', 'orphan_ledger_row'].map((t) => [t, rows.filter((r) => r.violation === t).map((r) => r.excess_units)]),
    );
    expect(byType).toEqual({ duplicate_key: [5], ack_without_ledger_row: [4], orphan_ledger_row: [3] });
  });
});

describe('never valid by default: load-test:verify says unknown (exit 2), naming why', () => {
  let url: string;
  let fixture: Fixture;
  let dir: string;

  beforeAll(async () => {
    ({ url, dir, fixture } = await seededDatabase('it_unknown'));
  });

  /**
   * A run of one acknowledged reserve: the baseline before it (<name>.baseline.json, beside the
   * history, where verify looks for it), the ledger row, and a whole history file changed by `tweak`.
   */
  async function historyDir(name: string, tweak: (lines: string[]) => string[] = (l) => l): Promise<string> {
    writeBaselineFile(path.join(dir, `${name}.baseline.json`), await takeBaseline(url, REFERENCE_SQL));
    const a = fixture.authorizations.find((x) => x.tier === 'bulk')!;
    const key = `${name}-k`;
    await query(url, `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key) VALUES ($1, 'reserve', 5, $2)`, [a.id, key]);
    await query(url, `UPDATE authorizations SET reserved_units = reserved_units + 5 WHERE id = $1`, [a.id]);
    const ev = (type: string) =>
      JSON.stringify({ type, time: 1, key, op: 'reserve', auth: a.id, units: 5, status: type === 'ok' ? 200 : undefined, worker: 'w' });
    const h = path.join(dir, `${name}.history`);
    fs.mkdirSync(h);
    const lines = [ev('invoke'), ev('ok')];
    fs.writeFileSync(
      path.join(h, 'history-1-1.ndjson'),
      tweak([...lines, JSON.stringify({ type: 'close', time: 2, worker: 'w', lines: 2 })]).join('\n') + '\n',
    );
    return h;
  }

  function report(counters: Record<string, number>): string {
    const file = path.join(dir, `report-${Object.keys(counters).join('-')}.json`);
    const base = {
      'isolation.requests': 1,
      'isolation.resends': 0,
      'isolation.unkeyed': 0,
      'isolation.plugin_errors': 0,
      'isolation.reserve.ok': 1,
      'isolation.units.reserved': 5,
    };
    fs.writeFileSync(file, JSON.stringify({ aggregate: { counters: { ...base, ...counters }, rates: {}, summaries: {} }, intermediate: [] }));
    return file;
  }

  const verify = (args: string[]) => runCli('verify', args, { DATABASE_URL: url });

  it('a whole history with its report and baseline is valid (exit 0): the control', async () => {
    const r = await verify(['--history', await historyDir('whole'), '--report', report({})]);
    expect(r.stdout).toContain('valid: true');
    expect(r.code).toBe(0);
  });

  it('reconciliation could not run: no history of a run on this data', async () => {
    const r = await runCli('verify', [], { DATABASE_URL: url });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/UNKNOWN: .*1 not_reconciled/);
  });

  it("a worker's history file was cut short (no close line)", async () => {
    const r = await verify(['--history', await historyDir('cut', (l) => l.slice(0, 2)), '--report', report({})]);
    expect([r.code, r.stdout]).toEqual([2, expect.stringMatching(/truncated_files: 1/)]);
  });

  it("a worker's history file is missing (fewer answers than Artillery counted)", async () => {
    const r = await verify(['--history', await historyDir('missing'), '--report', report({ 'isolation.requests': 40 })]);
    expect([r.code, r.stdout]).toEqual([2, expect.stringMatching(/missing_answers: 1; first .*Artillery counted 40 keyed answers; the history holds 1/)]);
  });

  it('history lines could not be written (isolation.plugin_errors)', async () => {
    const r = await verify(['--history', await historyDir('unwritten'), '--report', report({ 'isolation.plugin_errors': 2 })]);
    expect([r.code, r.stdout]).toEqual([2, expect.stringMatching(/history_write_errors: 1/)]);
  });

  it('history lines could not be read', async () => {
    const r = await verify([
      '--history',
      await historyDir('unreadable', (l) => [l[0]!, '{"type":"ok","ke', l[1]!, JSON.stringify({ type: 'close', time: 2, worker: 'w', lines: 3 })]),
      '--report',
      report({}),
    ]);
    expect([r.code, r.stdout]).toEqual([2, expect.stringMatching(/unreadable_lines: 1/)]);
  });

  it('requests were sent without an Idempotency-Key (isolation.unkeyed)', async () => {
    const r = await verify(['--history', await historyDir('unkeyed'), '--report', report({ 'isolation.requests': 4, 'isolation.unkeyed': 3 })]);
    expect([r.code, r.stdout]).toEqual([2, expect.stringMatching(/unkeyed_requests: 1/)]);
  });

  it('a history the run recorded and that is gone: UNKNOWN, never a fall back to the counters', async () => {
    const h = await historyDir('deleted');
    fs.rmSync(h, { recursive: true });
    const r = await verify(['--history', h, '--report', report({})]);
    expect([r.code, r.stdout]).toEqual([
      2,
      expect.stringMatching(/history_missing: 1; first "the history .*deleted\.history that --history recorded is missing or empty/),
    ]);
    expect(r.stdout).not.toContain('counters mode');
  });

  it('no baseline of the database before the load', async () => {
    const h = await historyDir('nobaseline');
    const r = await runCli('verify', ['--history', h, '--report', report({}), '--baseline', path.join(dir, 'none.json')], { DATABASE_URL: url });
    expect([r.code, r.stdout]).toEqual([2, expect.stringMatching(/no_baseline/)]);
  });
});
