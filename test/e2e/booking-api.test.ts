/**
 * The pack aimed at a booking API it did not write (examples/booking-api): other paths, a
 * {seats} body, 201 with a booking id, cancel by that id, a static API key, no idempotency keys, a
 * ledger in two tables. One target file and two SELECTs, no adapter: the correct API comes out GO
 * on all three scenarios, and each broken one is caught by name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BOOKING_API_KEY, BookingMode, loadBookingData, startBookingApi } from '../../examples/booking-api/server';
import { runCli } from '../support/cli';
import { query, tempDir } from '../support/db';
import { ApiUnderTest, aimAt, failedRows, rowsOf, runAgainst } from '../support/apis/aim';
import { schemaFingerprint } from '../../examples/http';

jest.setTimeout(600_000);

const booking: ApiUnderTest<BookingMode> = {
  folder: path.join(__dirname, '..', '..', 'examples', 'booking-api'),
  load: loadBookingData,
  start: startBookingApi,
  env: () => ({ BOOKING_API_KEY }),
};

// Latency is relaxed tenfold here (test/support/apis/aim.ts): every run is judged on correctness,
// so they go two at a time (the maxConcurrency of jest.config.js).
describe('a booking API, aimed at through its target description (no keys, release by id)', () => {
  it.concurrent('correct: scenarios 1-3 come out GO with the operations it has; what it cannot take is said; the schema is untouched', async () => {
    const a = await aimAt(booking, { db: 'e2e_booking_ok', mode: 'correct', profile: 'all', port: 3420 });
    try {
      const before = await schemaFingerprint(a.url);
      const { r, summary } = await runAgainst(a, 'all');
      expect([r.code, summary.decision, rowsOf(summary)]).toEqual([0, 'GO', expect.any(Array)]);
      expect(failedRows(summary)).toEqual([]);
      for (const s of summary.scenarios) {
        // Answers are tied to the ledger by the booking ids the API returned.
        expect([s.id, s.reconciliation.mode, s.reconciliation.verdict.valid, s.replay.checked]).toEqual([s.id, 'history', true, true]);
        expect(s.reconciliation.counts.lost).toBe(0);
      }
      const mixed = summary.scenarios.find((s) => s.id === 'scenario3')!;
      expect(mixed.notExercised).toEqual(expect.arrayContaining([expect.stringMatching(/^the mix's consume .*the API has no consume operation/)]));
      expect(r.stdout).toMatch(/not exercised: client retries and reused keys: the API has no idempotency keys/);
      // Its data is not the pack's to write: the warm-up reads, through the contract's read operation.
      expect(r.stdout).toMatch(/warm-up: 200 reads in \d+ ms \(200 × 200\); not measured/);
      // Keys cannot be reused where there are none: the row says so, and never reads PASS.
      const reuse = summary.scenarios[0]!.rows.find((x) => /reused for another request/.test(x.name))!;
      expect([reuse.pass, reuse.notChecked]).toEqual([false, 'the API has no idempotency keys']);
      expect(r.stdout).toContain('VERDICT: GO');
      expect(await schemaFingerprint(a.url)).toBe(before);
    } finally {
      await a.api.close();
    }
  });

  it.concurrent('racy (no row lock): scenario 1 overbooks, caught by name (NO-GO)', async () => {
    const a = await aimAt(booking, { db: 'e2e_booking_racy', mode: 'racy', profile: 'plan', port: 3421 });
    try {
      const { r, summary } = await runAgainst(a, 'scenario1');
      expect(r.code).toBe(1);
      const s = summary.scenarios[0]!;
      expect(failedRows(summary)).toEqual(
        expect.arrayContaining(['scenario1: integrity check returns 0 rows (no overbooking)', 'scenario1: every contention target ends exactly full']),
      );
      expect(s.integrity.rows.some((x) => x.violation === 'overbooked')).toBe(true);
      expect(Object.keys(s.replay.verdict?.errors ?? {})).toContain('overbooked');
    } finally {
      await a.api.close();
    }
  });

  it.concurrent('lost (a booking answered 201, then rolled back): caught as lost by the id it returned (NO-GO)', async () => {
    const a = await aimAt(booking, { db: 'e2e_booking_lost', mode: 'lost', profile: 'plan', port: 3422 });
    try {
      const { r, summary } = await runAgainst(a, 'scenario1');
      expect(r.code).toBe(1);
      const s = summary.scenarios[0]!;
      expect(s.reconciliation.counts.lost).toBeGreaterThan(0);
      expect(Object.keys(s.reconciliation.verdict.errors)).toContain('history.lost');
      expect(r.stdout).toMatch(/\d+ lost/);
    } finally {
      await a.api.close();
    }
  });
});

describe('load-test:init: a starter description, and its check against the running API and database', () => {
  it('writes a commented starter, never over a file; checks a description read-only, names each wrong piece, and tries one reservation when asked', async () => {
    const dir = tempDir('init');
    const w = await runCli('init', [dir], {});
    expect([w.code, fs.existsSync(path.join(dir, 'target.yml'))]).toEqual([0, true]);
    expect(fs.readFileSync(path.join(dir, 'target.yml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=.*target\/schema\.json/);
    const again = await runCli('init', [dir], {});
    expect([again.code, again.stderr]).toEqual([254, expect.stringMatching(/^error LT_USAGE: .*target\.yml exists already: init never overwrites a file/)]);

    const a = await aimAt(booking, { db: 'e2e_booking_init', mode: 'correct', profile: 'plan', port: 3423 });
    try {
      const file = path.join(booking.folder, 'target.yml');
      const check = await runCli('init', ['--check', file], a.env);
      expect([check.code, check.stdout]).toEqual([0, expect.stringContaining('every check passed')]);
      expect(check.stdout).toMatch(/ok {4}database\.ledger: every row names a resource of database\.capacity/);
      expect(check.stdout).toMatch(/ok {4}read of .* answered 200, balance \{"capacity":/);
      const rows = await query(a.url, 'SELECT count(*)::int AS n FROM bk_bookings');

      // A description with two mistakes: the ledger lacks its order column, the reservation id is elsewhere.
      const bad = path.join(dir, 'bad.yml');
      fs.writeFileSync(
        bad,
        fs
          .readFileSync(file, 'utf8')
          .replace(/ AS at\n/, ' AS seq\n')
          .replace('ok: { status: 201, id: id, units: seats }', 'ok: { status: 201, id: bookingId, units: seats }'),
      );
      const event = async (offset: number): Promise<string> =>
        (await query(a.url, `SELECT id FROM bk_events WHERE tier = 'bulk' ORDER BY id LIMIT 1 OFFSET ${offset}`)).rows[0].id;
      const r = await runCli('init', ['--check', bad, '--try', await event(0)], a.env);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL {2}database\.ledger returns no column "at" .*\(fix: name the columns/);
      expect(r.stdout).toMatch(/FAIL {2}--try: reserve 1 on .* answered 201: a 201 without its id at bookingId/);
      // The read-only check wrote nothing; --try booked 1 seat (its undo could not name the id it never got).
      expect((await query(a.url, 'SELECT count(*)::int AS n FROM bk_bookings')).rows[0].n).toBe(rows.rows[0].n + 1);

      const tried = await runCli('init', ['--check', file, '--try', await event(1)], a.env);
      expect([tried.code, tried.stdout]).toEqual([
        0,
        expect.stringMatching(
          /ok {4}--try: database\.ledger shows the reservation \(kind reserve, ref \d+\)[\s\S]*ok {4}--try: database\.ledger shows the release/,
        ),
      ]);
    } finally {
      await a.api.close();
    }
  });
});
