/**
 * B5: `load-test:verify` at 10k, 100k and 1M ledger rows, each with the history that matches it
 * (one acknowledged reserve per row, in two worker files) and the baseline taken before the rows
 * were written: the verdict must be valid, the time linear and the memory bounded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { METRICS, type HistoryClose, type HistoryEvent } from 'artillery-plugin-isolation';
import { startDatabaseServer } from '../db/embedded';
import { setupDatabase } from '../db/migrate';
import { withClient } from '../db/connect';
import { assertOwned } from '../db/ownership';
import { writeBaselineFile } from '../formats/baseline';
import { seed } from '../seed/seed';
import { takeBaseline } from '../verify/reconciliation';
import { verifySqlFor } from '../verify/sql-source';
import { loadTarget } from '../target/load';
import type { BenchOutcome } from './benchmarks';
import type { BenchContext } from './context';

const CHUNK = 50_000;

/** Writes the ledger rows and their history for `rows` acknowledged reserves of 1 unit. */
export async function writeLedgerAndHistory(url: string, auths: readonly string[], rows: number, historyDir: string): Promise<void> {
  fs.rmSync(historyDir, { recursive: true, force: true });
  fs.mkdirSync(historyDir, { recursive: true });
  const workers = ['bench-1', 'bench-2'];
  const fds = workers.map((w) => fs.openSync(path.join(historyDir, `history-${w}.ndjson`), 'w'));
  const lines = [0, 0];
  const t0 = Date.now();
  await withClient(url, async (c) => {
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      const ids: string[] = [];
      const keys: string[] = [];
      const text = ['', ''];
      for (let i = start; i < start + n; i++) {
        const auth = auths[i % auths.length]!;
        const key = `bench-${i}`;
        ids.push(auth);
        keys.push(key);
        const w = i % 2;
        const base = { key, op: 'reserve', auth, units: 1, worker: workers[w]! } as const;
        const invoke: HistoryEvent = { ...base, type: 'invoke', time: t0 + i };
        const ok: HistoryEvent = { ...base, type: 'ok', time: t0 + i + 1, status: 200, attempts: 1 };
        text[w] += `${JSON.stringify(invoke)}\n${JSON.stringify(ok)}\n`;
        lines[w]! += 2;
      }
      fs.writeSync(fds[0]!, text[0]!);
      fs.writeSync(fds[1]!, text[1]!);
      await c.query(
        `INSERT INTO unit_ledger (authorization_id, operation, units, idempotency_key)
         SELECT id, 'reserve', 1, key FROM unnest($1::uuid[], $2::text[]) AS t(id, key)`,
        [ids, keys],
      );
    }
    await c.query(
      `UPDATE authorizations a SET reserved_units = a.reserved_units + l.n
         FROM (SELECT authorization_id, COUNT(*)::int AS n FROM unit_ledger WHERE idempotency_key LIKE 'bench-%' GROUP BY authorization_id) l
        WHERE a.id = l.authorization_id`,
    );
  });
  workers.forEach((w, i) => {
    const close: HistoryClose = { type: 'close', time: Date.now(), worker: w, lines: lines[i]! };
    fs.writeSync(fds[i]!, `${JSON.stringify(close)}\n`);
    fs.closeSync(fds[i]!);
  });
}

export async function reconcileAtSize(ctx: BenchContext, sizes: readonly number[]): Promise<BenchOutcome> {
  const { config } = ctx;
  assertOwned(config.db, 'the verify benchmark (it seeds and writes ledger rows)');
  const server = await startDatabaseServer(config.db, () => undefined);
  const detail: Record<string, string> = {};
  const atLargest: number[] = [];
  try {
    await setupDatabase(server.url, config.db.database, { recreate: false, repair: true });
    for (const rows of sizes) {
      const seconds: number[] = [];
      for (let r = 0; r < ctx.repeats; r++) {
        // About 10 rows per authorization (capacity 1000), so nothing is overbooked.
        const { fixture } = await seed({
          databaseUrl: server.url,
          fixturePath: path.join(ctx.workDir, 'b5-fixture.json'),
          secretPath: config.secretPath,
          tokenTtlSeconds: 3600,
          authorizations: Math.max(55, Math.ceil(rows / 10)),
        });
        const auths = fixture.authorizations.filter((a) => a.capacityUnits >= 1000).map((a) => a.id);
        const baselineFile = path.join(ctx.workDir, 'b5.baseline.json');
        writeBaselineFile(baselineFile, await takeBaseline(server.url, verifySqlFor(loadTarget(config.targetFile), config.verifySqlPath)));
        const historyDir = path.join(ctx.workDir, 'b5.history');
        await writeLedgerAndHistory(server.url, auths, rows, historyDir);
        // The Artillery report of such a run, as far as reconciliation reads it: every request answered once.
        const reportFile = path.join(ctx.workDir, 'b5.report.json');
        const counters = { [METRICS.requests]: rows, [METRICS.resends]: 0, [METRICS.unkeyed]: 0, [METRICS.pluginErrors]: 0, [METRICS.ok.reserve]: rows };
        fs.writeFileSync(reportFile, JSON.stringify({ aggregate: { counters, rates: {}, summaries: {} }, intermediate: [] }));
        const v = await ctx.pack('verify.js', ['--history', historyDir, '--baseline', baselineFile, '--report', reportFile]);
        fs.rmSync(historyDir, { recursive: true, force: true });
        if (v.code !== 0) throw new Error(`load-test:verify at ${rows} rows exited with ${v.code}: ${v.output.slice(-4).join(' | ')}`);
        seconds.push(v.seconds);
        detail[`${rows.toLocaleString('en-US')} rows, run ${r + 1}`] = `${v.seconds.toFixed(2)} s, peak RSS ${v.peakRssMb?.toFixed(0) ?? '?'} MB`;
      }
      if (rows === sizes[sizes.length - 1]) atLargest.push(...seconds);
    }
  } finally {
    await server.stop();
  }
  return {
    values: atLargest,
    detail,
    notes: ['Wall time of the whole command, PostgreSQL already running; each size seeded afresh with about 10 rows per authorization.'],
  };
}
