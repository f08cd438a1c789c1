/**
 * The I/O shell around checkers.ts: takes the baseline before a load, reads the history folder,
 * the ledger and the balances (ledger-keys.sql and balances.sql, adaptable to another schema),
 * replays the ledger in order (ledger-order.sql), and prints the counts by type. Every query runs
 * in a READ ONLY transaction: the pack never writes to the database it verifies.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { METRICS } from 'artillery-plugin-isolation';
import { findRoot } from '../lib/config';
import { PackError } from '../lib/errors';
import { forEachRow, withReadOnly } from '../db/connect';
import { ArtilleryPeriod, ArtilleryReport, counterOf, hasPackMetrics } from '../formats/artillery-json';
import type { BaselineFile } from '../formats/baseline';
import type { ReconciliationResult } from '../formats/summary';
import type { Verdict } from '../formats/verdict';
import { HistoryFolder, foldInTwo, historyFiles, scanHistory, type HistoryEvent } from './history';
import type { KeyStore } from './key-store';
import { PARTITION_BYTES, Partitions, partitionCount } from './partition';
import {
  Baseline,
  BoundsFolder,
  CapacityReplay,
  FinalBalance,
  LedgerKey,
  LedgerMove,
  checkCompleteness,
  KeyReconciler,
  checkCounters,
  mergeKeyVerdicts,
} from './checkers';
import { compose } from './verdict';

/** The pack's own SQL files (for the reference schema). */
export const VERIFY_DIR = path.join(findRoot(), 'verify');

/**
 * A companion SQL file of VERIFY_SQL: beside it. The pack's own copy is used only when VERIFY_SQL
 * is the pack's own; a user's adapted folder must hold its own (a reference-schema query run on
 * another schema would fail, or worse, read the wrong thing).
 */
function sqlFile(dir: string, name: string, required: true): string;
function sqlFile(dir: string, name: string, required: false): string | null;
function sqlFile(dir: string, name: string, required: boolean): string | null {
  const file = path.join(dir, name);
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  if (!required) return null;
  throw new PackError('LT_VERIFY_SQL_INVALID', `${name} is missing from ${dir} (the folder of VERIFY_SQL)`, {
    hint: `copy verify/${name} beside your VERIFY_SQL and adapt its ADAPT lines to your schema`,
  });
}

function sqlError(err: unknown, what: string): unknown {
  const e = err as { code?: string; message?: string };
  if (e.code && /^(42|22|25)/.test(e.code)) return new PackError('LT_VERIFY_SQL_INVALID', `${what}: ${e.message} (SQLSTATE ${e.code})`, { cause: err });
  return err;
}

/**
 * Streams the ledger keys (db/connect.ts forEachRow: they never sit in memory all at once) and returns
 * the final balances. With `ready`, the keys are handed on once it resolves (the query runs meanwhile).
 */
async function streamLedger(databaseUrl: string, sqlDir: string, onKey: (k: LedgerKey) => void, ready?: Promise<unknown>): Promise<FinalBalance[]> {
  const keysSql = sqlFile(sqlDir, 'ledger-keys.sql', true);
  const balancesSql = sqlFile(sqlDir, 'balances.sql', true);
  return withReadOnly(databaseUrl, async (c) => {
    try {
      await forEachRow(
        c,
        keysSql,
        ['key', 'auth', 'op', 'units', 'rows'],
        (r) => onKey({ key: r[0] as string, auth: r[1] as string, op: r[2] as LedgerKey['op'], units: Number(r[3]), rows: Number(r[4]) }),
        ready ? { ready } : {},
      );
      return (await c.query<{ auth: string; reserved: string; consumed: string }>(balancesSql)).rows.map((r) => ({
        auth: r.auth,
        reserved: Number(r.reserved),
        consumed: Number(r.consumed),
      }));
    } catch (err) {
      throw sqlError(err, 'reconciliation SQL');
    }
  });
}

/** Before the load: the reconciliation inputs as the database holds them now. */
export async function takeBaseline(databaseUrl: string, sqlDir: string): Promise<BaselineFile> {
  const perKey = new Map<string, number>();
  const finals = await streamLedger(databaseUrl, sqlDir, (k) => perKey.set(k.key, (perKey.get(k.key) ?? 0) + k.rows));
  return { version: 1, takenAt: new Date().toISOString(), keys: [...perKey], balances: finals.map((f) => [f.auth, f.reserved, f.consumed] as const) };
}

export function baselineOf(file: BaselineFile): Baseline {
  return { keys: new Map(file.keys), balances: new Map(file.balances.map(([auth, reserved, consumed]) => [auth, { reserved, consumed }])) };
}

/** Replays the ledger in its order; null when the schema gives no order (no ledger-order.sql). */
export async function replayLedger(databaseUrl: string, sqlDir: string): Promise<(Verdict & { counts: Record<string, number> }) | null> {
  const sql = sqlFile(sqlDir, 'ledger-order.sql', false);
  if (sql === null) return null;
  const replay = new CapacityReplay();
  await withReadOnly(databaseUrl, async (c) => {
    try {
      await forEachRow(c, sql, ['auth', 'capacity', 'reserved', 'consumed', 'at'], (r) =>
        replay.add({ auth: r[0] as string, capacity: Number(r[1]), reserved: Number(r[2]), consumed: Number(r[3]), at: String(r[4]) } satisfies LedgerMove),
      );
    } catch (err) {
      throw sqlError(err, 'ledger-order.sql');
    }
  });
  return replay.verdict();
}

const answered = (a: ArtilleryPeriod): number | null => {
  const req = counterOf(a, METRICS.requests);
  const resends = counterOf(a, METRICS.resends);
  return req === null || resends === null ? null : req + resends;
};

/**
 * History mode, in bounded memory: a history larger than one partition (verify/partition.ts) is
 * split by key hash into partition files, and so is the ledger (streamed, never held whole); each
 * partition is then reconciled alone and the verdicts merged. Memory holds one partition's keys,
 * plus the baseline and one interval per authorization.
 */
async function reconcileHistory(
  databaseUrl: string,
  sqlDir: string,
  files: readonly string[],
  baseline: Baseline | null,
  a: ArtilleryPeriod | null,
  partitionBytes: number,
): Promise<{ verdict: Verdict[]; counts: Record<string, number> }> {
  const count = partitionCount(
    files.reduce((n, f) => n + fs.statSync(f).size, 0),
    partitionBytes,
  );
  const tmp = count > 1 ? fs.mkdtempSync(path.join(os.tmpdir(), 'lt-reconcile-')) : null;
  try {
    const historyParts = tmp ? new Partitions(tmp, count, 'history') : null;
    const scanned = new HistoryFolder(historyParts ? (e, line) => historyParts.write(e.key, line) : undefined);
    const ledgerParts = historyParts ? new Partitions(tmp!, count, 'ledger') : null;
    const scan = (historyParts ? scanHistory(files, scanned) : foldInTwo(files, scanned)).then((r) => {
      historyParts?.close();
      return r;
    });
    // The ledger's query runs in PostgreSQL while this process reads the history; its rows, handed
    // on once the history is read, go to the folded history's reconciler or to partition files.
    let reconciler: KeyReconciler | null = null;
    const toLedger = (k: LedgerKey): void => {
      if (ledgerParts) ledgerParts.write(k.key, JSON.stringify(k));
      else (reconciler ??= new KeyReconciler(scanned.records(), baseline)).ledger(k);
    };
    const [{ badLines, truncated }, finals] = await Promise.all([scan, streamLedger(databaseUrl, sqlDir, toLedger, scan)]);
    ledgerParts?.close();
    const completeness = checkCompleteness({
      files: files.length,
      truncated,
      badLines,
      completions: scanned.completions,
      answered: a ? answered(a) : null,
      unkeyed: a ? counterOf(a, METRICS.unkeyed) : null,
      pluginErrors: a ? counterOf(a, METRICS.pluginErrors) : null,
    });
    const bounds = baseline ? new BoundsFolder(baseline.balances) : null;
    const touched = new Set<string>();
    const parts: ReturnType<KeyReconciler['finish']>[] = [];
    let keys = 0;
    const judge = (records: KeyStore, reconciler: KeyReconciler): void => {
      parts.push(
        reconciler.finish((r) => {
          touched.add(r.auth);
          bounds?.add(r);
        }),
      );
      keys += records.size;
    };
    if (!ledgerParts || !historyParts) judge(scanned.records(), reconciler ?? new KeyReconciler(scanned.records(), baseline));
    else {
      for (let p = 0; p < count; p++) {
        const folder = new HistoryFolder();
        await historyParts.eachLine(p, (line) => folder.add(JSON.parse(line) as HistoryEvent));
        const part = new KeyReconciler(folder.records(), baseline);
        await ledgerParts.eachLine(p, (line) => part.ledger(JSON.parse(line) as LedgerKey));
        judge(folder.records(), part);
      }
    }
    const byKey = mergeKeyVerdicts(parts);
    // The bounds start from the balances before the load: without a baseline they are not judged.
    const boundsVerdict = bounds && baseline ? bounds.finish(finals.filter((f) => touched.has(f.auth) || baseline.balances.has(f.auth))) : null;
    const outside = boundsVerdict ? Object.values(boundsVerdict.errors).reduce((n, s) => n + s.count, 0) : 0;
    return {
      verdict: [completeness, byKey, ...(boundsVerdict ? [boundsVerdict] : [])],
      counts: {
        ...byKey.counts,
        bounds: outside,
        files: files.length,
        events: scanned.events,
        keys,
        bad_lines: badLines,
        truncated_files: truncated.length,
        partitions: count,
      },
    };
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export async function reconcileRun(opts: {
  databaseUrl: string;
  historyDir: string | null;
  report: ArtilleryReport | null;
  /** The database before the load; null when the run has none (then the verdict is unknown). */
  baseline: BaselineFile | null;
  sqlDir: string;
  /** History bytes per partition (verify/partition.ts); smaller only in tests. */
  partitionBytes?: number;
}): Promise<ReconciliationResult> {
  const baseline = opts.baseline ? baselineOf(opts.baseline) : null;
  const a = opts.report?.aggregate ?? null;
  const baselineGap: Verdict[] = opts.baseline
    ? []
    : [
        {
          checker: 'baseline',
          valid: 'unknown',
          errors: { no_baseline: { count: 1, first: 'no snapshot of the database before the load', worst: 'no snapshot of the database before the load' } },
        },
      ];
  const files = opts.historyDir ? historyFiles(opts.historyDir) : [];
  if (files.length > 0) {
    const { verdict, counts } = await reconcileHistory(opts.databaseUrl, opts.sqlDir, files, baseline, a, opts.partitionBytes ?? PARTITION_BYTES);
    return { mode: 'history', verdict: compose('reconciliation', [...baselineGap, ...verdict]), counts, source: opts.historyDir! };
  }
  if (a && hasPackMetrics(a)) {
    // The ledger's units per operation, summed as its keys stream by (never collected). Units
    // already in the ledger before the load (the baseline's rows of a key) are not the run's.
    const ledgerUnits = { reserve: 0, release: 0, consume: 0 };
    const before = { reserve: 0, release: 0, consume: 0 };
    // A key's baseline rows are taken from its groups in turn (a key stored with two payloads
    // has two groups), never more than the group holds.
    const left = new Map<string, number>();
    await streamLedger(opts.databaseUrl, opts.sqlDir, (k) => {
      ledgerUnits[k.op] += k.units * k.rows;
      const remaining = left.get(k.key) ?? baseline?.keys.get(k.key) ?? 0;
      const rows = Math.min(k.rows, remaining);
      if (rows === 0) return;
      before[k.op] += k.units * rows;
      left.set(k.key, remaining - rows);
    });
    const v = checkCounters(
      {
        reserve: counterOf(a, METRICS.units.reserve) ?? 0,
        release: counterOf(a, METRICS.units.release) ?? 0,
        consume: counterOf(a, METRICS.units.consume) ?? 0,
      },
      (counterOf(a, METRICS.networkErrors) ?? 0) + (counterOf(a, METRICS.status5xx) ?? 0),
      { reserve: ledgerUnits.reserve - before.reserve, release: ledgerUnits.release - before.release, consume: ledgerUnits.consume - before.consume },
      100_000,
    );
    return { mode: 'counters', verdict: compose('reconciliation', [...baselineGap, v]), counts: {}, source: 'aggregated plugin counters' };
  }
  return {
    mode: 'none',
    verdict: {
      checker: 'reconciliation',
      valid: 'unknown',
      errors: {},
      note: a
        ? 'no operation history, and the report has no isolation.* metrics to count acknowledged units with: nothing was reconciled'
        : 'no history and no report: nothing to reconcile',
    },
    counts: {},
    source: 'none',
  };
}

const TYPES = ['lost', 'duplicated', 'unexpected', 'mismatched', 'contradicted', 'recovered', 'not_applied', 'unattributed'] as const;

/** Pure: the printed block. */
export function formatReconciliation(r: ReconciliationResult): string {
  const c = r.counts;
  const lines = [`=== Reconciliation (${r.mode} mode: ${r.source}) ===`];
  if (r.mode === 'history') {
    lines.push(
      `history: ${c.files} file(s), ${c.events} events, ${c.keys} requests: ${c.ok} ok, ${c.fail} fail, ${c.info} info${c.bad_lines ? `, ${c.bad_lines} unreadable line(s)` : ''}`,
    );
    lines.push(TYPES.map((t) => `${t.replace('_', ' ')} ${c[t] ?? 0}`).join(', ') + `; authorizations outside bounds ${c.bounds ?? 0}`);
  } else if (r.mode === 'counters') {
    lines.push('no operation history (distributed runners?): compared acknowledged units with ledger units only; this mode cannot give a GO on its own');
  }
  for (const [type, s] of Object.entries(r.verdict.errors)) {
    lines.push(`  ${type}: ${s.count}; first ${JSON.stringify(s.first)}${s.count > 1 ? `; worst ${JSON.stringify(s.worst)}` : ''}`);
  }
  if (r.verdict.note) lines.push(`note: ${r.verdict.note}`);
  lines.push(`valid: ${r.verdict.valid}`);
  return lines.join('\n');
}
