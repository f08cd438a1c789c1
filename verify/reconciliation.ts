/**
 * The I/O shell around reconcile.ts: reads the history folder, the ledger and the balances
 * (verify/ledger-keys.sql and verify/balances.sql, adaptable to another schema) and prints the
 * counts by type.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PackError } from '../lib/errors';
import { withClient } from '../db/connect';
import type { ArtilleryReport } from '../report/artillery-json';
import type { Fixture } from '../seed/fixture';
import { readHistoryDir } from './history';
import { FinalBalance, LedgerKey, SEED_KEY_PREFIX, checkBounds, checkCounters, reconcileKeys } from './reconcile';
import { Verdict, compose } from './verdict';

export type ReconciliationMode = 'history' | 'counters' | 'none';

export interface ReconciliationResult {
  readonly mode: ReconciliationMode;
  readonly verdict: Verdict;
  readonly counts: Readonly<Record<string, number>>;
  readonly source: string;
}

export const VERIFY_DIR = path.resolve(__dirname, '..', '..', 'verify');

function sqlFile(dir: string, name: string): string {
  // Beside VERIFY_SQL first (a user's adapted copies), then the pack's own.
  const candidates = [path.join(dir, name), path.join(VERIFY_DIR, name)];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new PackError('LT_VERIFY_SQL_INVALID', `cannot find ${name} in ${dir}`);
  return fs.readFileSync(found, 'utf8');
}

async function readLedger(databaseUrl: string, sqlDir: string): Promise<{ keys: LedgerKey[]; finals: FinalBalance[] }> {
  const keysSql = sqlFile(sqlDir, 'ledger-keys.sql');
  const balancesSql = sqlFile(sqlDir, 'balances.sql');
  return withClient(databaseUrl, async (c) => {
    try {
      const keys = (await c.query<{ key: string; auth: string; op: LedgerKey['op']; units: string; rows: string }>(keysSql)).rows.map((r) => ({
        key: r.key,
        auth: r.auth,
        op: r.op,
        units: Number(r.units),
        rows: Number(r.rows),
      }));
      const finals = (await c.query<{ auth: string; reserved: string; consumed: string }>(balancesSql)).rows.map((r) => ({ auth: r.auth, reserved: Number(r.reserved), consumed: Number(r.consumed) }));
      return { keys, finals };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code && /^(42|22)/.test(e.code)) throw new PackError('LT_VERIFY_SQL_INVALID', `reconciliation SQL: ${e.message} (SQLSTATE ${e.code})`, { cause: err });
      throw err;
    }
  });
}

export async function reconcileRun(opts: {
  databaseUrl: string;
  historyDir: string | null;
  report: ArtilleryReport | null;
  fixture: Fixture | null;
  sqlDir?: string;
}): Promise<ReconciliationResult> {
  const sqlDir = opts.sqlDir ?? VERIFY_DIR;
  const history = opts.historyDir ? readHistoryDir(opts.historyDir) : null;
  if (history) {
    const { keys, finals } = await readLedger(opts.databaseUrl, sqlDir);
    const byKey = reconcileKeys(history.keys, keys);
    const base = new Map((opts.fixture?.authorizations ?? []).map((a) => [a.id, { reserved: a.preReservedUnits ?? 0, consumed: 0 }]));
    const bounds = checkBounds(history.keys, base, opts.fixture ? finals : finals.filter((f) => [...history.keys.values()].some((k) => k.auth === f.auth)));
    const verdict = compose('reconciliation', [byKey, bounds]);
    const outside = Object.values(bounds.errors).reduce((n, s) => n + s.count, 0);
    return {
      mode: 'history',
      verdict,
      counts: { ...byKey.counts, bounds: outside, files: history.files.length, events: history.events, keys: history.keys.size, bad_lines: history.badLines },
      source: opts.historyDir!,
    };
  }
  if (opts.report) {
    const c = opts.report.aggregate.counters;
    const { keys } = await readLedger(opts.databaseUrl, sqlDir);
    const ledgerUnits = { reserve: 0, release: 0, consume: 0 };
    for (const k of keys) if (!k.key.startsWith(SEED_KEY_PREFIX)) ledgerUnits[k.op] += k.units * k.rows;
    const v = checkCounters(
      { reserve: c['isolation.units.reserved'] ?? 0, release: c['isolation.units.released'] ?? 0, consume: c['isolation.units.consumed'] ?? 0 },
      (c['isolation.errors'] ?? 0) + (c['isolation.status.5xx'] ?? 0),
      ledgerUnits,
      100_000,
    );
    return { mode: 'counters', verdict: compose('reconciliation', [v]), counts: {}, source: 'aggregated plugin counters' };
  }
  return {
    mode: 'none',
    verdict: { checker: 'reconciliation', valid: 'unknown', errors: {}, note: 'no history and no report: nothing to reconcile' },
    counts: {},
    source: 'none',
  };
}

const TYPES = ['lost', 'duplicated', 'unexpected', 'recovered', 'not_applied', 'unattributed'] as const;

/** Pure: the printed block. */
export function formatReconciliation(r: ReconciliationResult): string {
  const c = r.counts;
  const lines = [`=== Reconciliation (${r.mode} mode: ${r.source}) ===`];
  if (r.mode === 'history') {
    lines.push(`history: ${c.files} file(s), ${c.events} events, ${c.keys} requests: ${c.ok} ok, ${c.fail} fail, ${c.info} info${c.bad_lines ? `, ${c.bad_lines} unreadable line(s)` : ''}`);
    lines.push(TYPES.map((t) => `${t.replace('_', ' ')} ${c[t] ?? 0}`).join(', ') + `; authorizations outside bounds ${c.bounds ?? 0}`);
  } else if (r.mode === 'counters') {
    lines.push('no operation history (distributed runners?): compared acknowledged units with ledger units only');
  }
  for (const [type, s] of Object.entries(r.verdict.errors)) {
    lines.push(`  ${type}: ${s.count}; first ${JSON.stringify(s.first)}${s.count > 1 ? `; worst ${JSON.stringify(s.worst)}` : ''}`);
  }
  if (r.verdict.note) lines.push(`note: ${r.verdict.note}`);
  lines.push(`valid: ${r.verdict.valid}`);
  return lines.join('\n');
}
