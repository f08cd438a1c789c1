/**
 * The pack aimed at an API it did not write, with the pack's contract over a schema of its own
 * (examples/foreign-api: grants, moves, request keys, row locks at READ COMMITTED), through
 * its target description and two SELECTs: the database is not the pack's, so every command that
 * would write to it is refused; the correct API comes out GO on all three scenarios, the schema is
 * the same after as before, and each broken API is caught by name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildFixture } from '../../seed/seed';
import { runCli } from '../support/cli';
import { ApiUnderTest, aimAt, failedRows, rowsOf, runAgainst } from '../support/apis/aim';
import { schemaFingerprint } from '../../examples/http';
import { rowCounts, setUpForeignDatabase } from '../../examples/foreign-api/data';
import { ForeignMode, startForeignApi } from '../../examples/foreign-api/server';

jest.setTimeout(600_000);

const SECRET = 'foreign-api-signing-key-'.repeat(3);

const foreign: ApiUnderTest<ForeignMode> = {
  folder: path.join(__dirname, '..', '..', 'examples', 'foreign-api'),
  load: async (url, data) => {
    await setUpForeignDatabase(url, data);
  },
  start: (o) => startForeignApi({ ...o, secret: SECRET }),
  // Its tokens are per organization: they come in a fixture file the user writes (FIXTURE_PATH).
  env: (dir, data) => {
    const file = path.join(dir, 'my-fixture.json');
    fs.writeFileSync(file, JSON.stringify(buildFixture(data, SECRET, 4 * 3600, new Date())));
    return { FIXTURE_PATH: file };
  },
};

// Latency is relaxed tenfold here (test/support/apis/aim.ts): every run is judged on correctness,
// so they go two at a time (the maxConcurrency of jest.config.js).
describe('a foreign API with its own schema, on a database the pack does not own', () => {
  it.concurrent(
    'correct: every command that would write is refused; all three scenarios (--no-seed) come out GO; nothing is written to the schema',
    async () => {
      const a = await aimAt(foreign, { db: 'e2e_foreign_ok', mode: 'correct', profile: 'all', port: 3410 });
      try {
        const schemaBefore = await schemaFingerprint(a.url);
        const rowsBefore = await rowCounts(a.url);
        // Every command that would write is refused before it writes anything (exit 254).
        for (const [cli, args] of [
          ['run', ['scenario1', '--profile', 'quick']],
          ['setup', []],
          ['seed', []],
        ] as const) {
          const refused = await runCli(cli, [...args], a.env, { timeoutMs: 60_000 });
          expect([cli, refused.code]).toEqual([cli, 254]);
          expect(refused.stderr).toMatch(
            /^error LT_DB_NOT_OWNED: .* would write to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/e2e_foreign_ok, which the pack does not own/,
          );
        }
        expect(await rowCounts(a.url)).toEqual(rowsBefore);
        expect(fs.existsSync(a.env.REPORTS_DIR!)).toBe(false);

        const { r, summary } = await runAgainst(a, 'all');
        expect([r.code, summary.decision, rowsOf(summary)]).toEqual([0, 'GO', expect.any(Array)]);
        expect(failedRows(summary)).toEqual([]);
        for (const s of summary.scenarios)
          expect([s.id, s.reconciliation.mode, s.reconciliation.verdict.valid, s.reconciliation.counts.unattributed, s.replay.checked]).toEqual([
            s.id,
            'history',
            true,
            0,
            true,
          ]);
        expect(r.stdout).toContain("(not the pack's: read only, no setup, no seeding)");
        expect(await schemaFingerprint(a.url)).toBe(schemaBefore);

        // load-test:verify reconciles the last scenario against its baseline, read-only too.
        const v = await runCli('verify', [], a.env);
        expect(v.stdout).toContain('=== Reconciliation (history mode');
        expect(v.code).toBe(0);
      } finally {
        await a.api.close();
      }
    },
  );

  it.concurrent('racy (a check-then-act race): scenario 1 overbooks and is caught by name (NO-GO)', async () => {
    const a = await aimAt(foreign, { db: 'e2e_foreign_racy', mode: 'racy', profile: 'plan', port: 3411 });
    try {
      const before = await schemaFingerprint(a.url);
      const { r, summary } = await runAgainst(a, 'scenario1');
      expect(r.code).toBe(1);
      expect(failedRows(summary)).toEqual(
        expect.arrayContaining([
          'scenario1: integrity check returns 0 rows (no overbooking)',
          'scenario1: every invariant held at every moment (ledger replayed in order from the baseline)',
          'scenario1: every contention target ends exactly full',
        ]),
      );
      expect(summary.scenarios[0]!.integrity.rows.some((x) => x.violation === 'overbooked')).toBe(true);
      expect(await schemaFingerprint(a.url)).toBe(before);
    } finally {
      await a.api.close();
    }
  });

  it.concurrent('lost (acknowledged, then rolled back): caught as lost by its key (NO-GO)', async () => {
    const a = await aimAt(foreign, { db: 'e2e_foreign_lost', mode: 'lost', profile: 'plan', port: 3412 });
    try {
      const { r, summary } = await runAgainst(a, 'scenario1');
      expect(r.code).toBe(1);
      expect(summary.scenarios[0]!.reconciliation.counts.lost).toBeGreaterThan(0);
    } finally {
      await a.api.close();
    }
  });
});
