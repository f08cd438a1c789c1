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
import { PackError } from '../lib/errors';
import type { Client } from 'pg';
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
  FinalBalance,
  LedgerKey,
  LedgerMove,
  LedgerReplay,
  ReplayStart,
  checkCompleteness,
  KeyReconciler,
  checkCounters,
  mergeKeyVerdicts,
} from './checkers';
import { RealTimeFolder, type RealTimeStart } from './realtime';
import type { VerifySql } from './sql-source';
import { compose } from './verdict';

export type { VerifySql };

function sqlError(err: unknown, what: string): unknown {
  const e = err as { code?: string; message?: string };
  if (e.code === '42P01') return new PackError('LT_DB_NOT_SET_UP', `${what} needs a table that does not exist: ${e.message}`, { cause: err });
  if (e.code && /^(42|22|25)/.test(e.code)) return new PackError('LT_VERIFY_SQL_INVALID', `${what}: ${e.message} (SQLSTATE ${e.code})`, { cause: err });
  return err;
}

/**
 * Streams the ledger keys (db/connect.ts forEachRow: they never sit in memory all at once) and returns
 * the final balances. With `ready`, the keys are handed on once it resolves (the query runs meanwhile).
 */
async function streamLedger(databaseUrl: string, sql: VerifySql, onKey: (k: LedgerKey) => void, ready?: Promise<unknown>): Promise<FinalBalance[]> {
  return withReadOnly(databaseUrl, async (c) => {
    try {
      await forEachRow(
        c,
        sql.keys,
        ['key', 'auth', 'op', 'units', 'rows'],
        (r) => onKey({ key: r[0] as string, auth: r[1] as string, op: r[2] as LedgerKey['op'], units: Number(r[3]), rows: Number(r[4]) }),
        ready ? { ready } : {},
      );
    } catch (err) {
      throw sqlError(err, `the reconciliation's ledger keys (${sql.origin})`);
    }
    return readBalances(c, sql);
  });
}

/** The final balance per resource (the balances SQL), in the caller's transaction. */
async function readBalances(c: Client, sql: VerifySql): Promise<FinalBalance[]> {
  try {
    return (await c.query<{ auth: string; reserved: string; consumed: string }>(sql.balances)).rows.map((r) => ({
      auth: r.auth,
      reserved: Number(r.reserved),
      consumed: Number(r.consumed),
    }));
  } catch (err) {
    throw sqlError(err, `the reconciliation's balances (${sql.origin})`);
  }
}

/** Pairs (auth, number) from a two-column query. */
async function pairs(databaseUrl: string, text: string, what: string): Promise<[string, number][]> {
  return withReadOnly(databaseUrl, async (c) => {
    try {
      const res = await c.query({ text, rowMode: 'array' });
      return (res.rows as unknown as [string, string][]).map((row) => [String(row[0]), Number(row[1])] as [string, number]);
    } catch (err) {
      throw sqlError(err, what);
    }
  });
}

/**
 * What each resource holds now (reserved + consumed, from the balances SQL) and its capacity (null
 * where the SQL says none), read in READ ONLY transactions: the database's side of a balance, for
 * an API without a read operation.
 */
export async function heldInDatabase(databaseUrl: string, sql: VerifySql): Promise<Map<string, { held: number; capacity: number | null }>> {
  const [finals, capacity] = await Promise.all([
    withReadOnly(databaseUrl, (c) => readBalances(c, sql)),
    sql.capacity ? pairs(databaseUrl, sql.capacity, `the capacity query (${sql.origin})`) : Promise.resolve([] as [string, number][]),
  ]);
  const caps = new Map(capacity);
  return new Map(finals.map((f) => [f.auth, { held: f.reserved + f.consumed, capacity: caps.get(f.auth) ?? null }]));
}

/** Before the load: the reconciliation inputs as the database holds them now, and where the replay resumes. */
export async function takeBaseline(databaseUrl: string, sql: VerifySql): Promise<BaselineFile> {
  const perKey = new Map<string, number>();
  const [finals, rows, capacity] = await Promise.all([
    streamLedger(databaseUrl, sql, (k) => perKey.set(k.key, (perKey.get(k.key) ?? 0) + k.rows)),
    sql.counts ? pairs(databaseUrl, sql.counts, `the ledger's rows per resource (${sql.origin})`) : Promise.resolve(null),
    sql.capacity ? pairs(databaseUrl, sql.capacity, `the capacity query (${sql.origin})`) : Promise.resolve(null),
  ]);
  return {
    version: 2,
    takenAt: new Date().toISOString(),
    keys: [...perKey],
    balances: finals.map((f) => [f.auth, f.reserved, f.consumed] as const),
    ...(rows ? { rows } : {}),
    ...(capacity ? { capacity } : {}),
  };
}

export function baselineOf(file: BaselineFile): Baseline {
  return { keys: new Map(file.keys), balances: new Map(file.balances.map(([auth, reserved, consumed]) => [auth, { reserved, consumed }])) };
}

/** Where the ordered replay starts: the baseline's balances, after the rows it counted; null for an old baseline without them. */
export function replayStartOf(file: BaselineFile | null): ReplayStart | null {
  if (!file?.rows) return null;
  return { balances: baselineOf(file).balances, rows: new Map(file.rows) };
}

/** Replays the ledger in its order, from the baseline when there is one; null when the schema gives no order. */
export async function replayLedger(
  databaseUrl: string,
  sql: VerifySql,
  start: ReplayStart | null,
): Promise<(Verdict & { counts: Record<string, number> }) | null> {
  if (sql.order === null) return null;
  const replay = new LedgerReplay(start);
  await withReadOnly(databaseUrl, async (c) => {
    try {
      await forEachRow(
        c,
        sql.order!,
        ['auth', 'capacity', 'reserved', 'consumed', 'at'],
        (r) =>
          replay.add({
            auth: r[0] as string,
            capacity: Number(r[1]),
            reserved: Number(r[2]),
            consumed: Number(r[3]),
            at: String(r[4]),
            ref: (r[5] as string | null | undefined) ?? null,
            op: (r[6] as string | null | undefined) ?? null,
          } satisfies LedgerMove),
        { optional: ['ref', 'op'] },
      );
    } catch (err) {
      throw sqlError(err, `the ordered ledger (${sql.origin})`);
    }
  });
  return replay.verdict();
}

/**
 * Every moment judged by the clients' real-time order (verify/realtime.ts), for a ledger without
 * an order to replay: the history folded again, each record's interval handed in. null when it
 * cannot be made: no history, or a baseline without the capacities it starts from.
 */
export async function checkRealTimeOfHistory(
  historyDir: string | null,
  baseline: BaselineFile | null,
): Promise<(Verdict & { counts: Record<string, number> }) | { why: string }> {
  const files = historyDir ? historyFiles(historyDir) : [];
  if (files.length === 0) return { why: "no operation history to take the clients' real-time order from" };
  if (!baseline?.capacity) return { why: 'no capacity per resource before the load (the SQL gives none)' };
  const capacity = new Map(baseline.capacity);
  const start = new Map<string, RealTimeStart>();
  for (const [auth, reserved, consumed] of baseline.balances) {
    const c = capacity.get(auth);
    if (c !== undefined) start.set(auth, { capacity: c, reserved, consumed });
  }
  const folder = new HistoryFolder();
  await foldInTwo(files, folder);
  const check = new RealTimeFolder(start);
  for (const r of folder.records().records()) check.add(r);
  return check.finish();
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
  sql: VerifySql,
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
      else (reconciler ??= new KeyReconciler(scanned.records(), baseline, sql.match)).ledger(k);
    };
    const [{ badLines, truncated }, finals] = await Promise.all([scan, streamLedger(databaseUrl, sql, toLedger, scan)]);
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
    if (!ledgerParts || !historyParts) judge(scanned.records(), reconciler ?? new KeyReconciler(scanned.records(), baseline, sql.match));
    else {
      for (let p = 0; p < count; p++) {
        const folder = new HistoryFolder();
        await historyParts.eachLine(p, (line) => folder.add(JSON.parse(line) as HistoryEvent));
        const part = new KeyReconciler(folder.records(), baseline, sql.match);
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
        probes: scanned.probes,
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
  sql: VerifySql;
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
    const { verdict, counts } = await reconcileHistory(opts.databaseUrl, opts.sql, files, baseline, a, opts.partitionBytes ?? PARTITION_BYTES);
    return { mode: 'history', verdict: compose('reconciliation', [...baselineGap, ...verdict]), counts, source: opts.historyDir! };
  }
  if (a && hasPackMetrics(a)) {
    // The ledger's units per operation, summed as its keys stream by (never collected). Units
    // already in the ledger before the load (the baseline's rows of a key) are not the run's.
    const ledgerUnits = { reserve: 0, release: 0, consume: 0, take_out: 0 };
    const before = { reserve: 0, release: 0, consume: 0, take_out: 0 };
    // A key's baseline rows are taken from its groups in turn (a key stored with two payloads
    // has two groups), never more than the group holds.
    const left = new Map<string, number>();
    await streamLedger(opts.databaseUrl, opts.sql, (k) => {
      if (!(k.op in ledgerUnits)) return;
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
        take_out: counterOf(a, METRICS.units.take_out) ?? 0,
      },
      (counterOf(a, METRICS.networkErrors) ?? 0) + (counterOf(a, METRICS.status5xx) ?? 0),
      {
        reserve: ledgerUnits.reserve - before.reserve,
        release: ledgerUnits.release - before.release,
        consume: ledgerUnits.consume - before.consume,
        take_out: ledgerUnits.take_out - before.take_out,
      },
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

const TYPES = [
  'lost',
  'duplicated',
  'unexpected',
  'mismatched',
  'contradicted',
  'replay_differs',
  'recovered',
  'not_applied',
  'unattributed',
  'unexplained',
] as const;

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
