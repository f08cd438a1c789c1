/**
 * The checks made after a step's load, each small and named, composed by measureStep
 * (runner/measure.ts) in this order: the step's own rows (Artillery's criteria, the series, the
 * post-checks), the faults, the pressure, the integrity check, the ordered replay, the
 * reconciliation and the load generator. Each reads what the load left (the report, the history,
 * the database) and returns its rows and its part of the scenario's outcome; they run at once,
 * each database read in its own READ ONLY transaction. Add a check here.
 */
import { METRICS } from 'artillery-plugin-isolation';
import type { ArtilleryReport } from '../formats/artillery-json';
import { counterOf, summaryOf } from '../formats/artillery-json';
import type { BaselineFile } from '../formats/baseline';
import type { DbHeadline } from '../formats/db-samples';
import type { CheckRow, PoolStats, ReplayResult, ScenarioOutcome } from '../formats/summary';
import type { FaultEvent } from '../faults/registry';
import { analyzeFaults, exchangesOf } from '../faults/analysis';
import { faultRows } from '../faults/rows';
import { formatIntegrity, runIntegritySql } from '../verify/integrity';
import { checkRealTimeOfHistory, formatReconciliation, reconcileRun, replayStartOf } from '../verify/reconciliation';
import { replayLedgerOffThread } from '../verify/off-thread';
import { readHistoryEvents } from '../verify/history';
import type { ArtilleryRun } from './artillery';
import type { RunContext } from './context';
import { judgeGenerator } from './generator';
import { integrityRow, reconciliationRow, replayRow } from './judge';
import { PressureSpec, pressureEffect, pressureRows } from './pressure';

/** The rows a step judges from Artillery's report (and the pool) itself: its criteria, series and post-checks. */
export type Judge = (m: { readonly report: ArtilleryReport; readonly pool: PoolStats | null }) => Promise<CheckRow[]>;

/** What the load left, for the checks to read. */
export interface AfterLoad {
  readonly ctx: RunContext;
  readonly label: string;
  readonly run: ArtilleryRun;
  readonly baseline: BaselineFile;
  /** The run's shared history folder, or null (a cloud-like run without one). */
  readonly historyDir: string | null;
  readonly pool: PoolStats | null;
  readonly timeline: readonly FaultEvent[] | null;
  readonly dbHeadline: DbHeadline | null;
  readonly judge: Judge;
  readonly pressure: PressureSpec | null;
  readonly print: 'always' | 'on-failure';
}

/** A check's part of the scenario's outcome. */
export type OutcomePart = Partial<Pick<ScenarioOutcome, 'integrity' | 'reconciliation' | 'replay' | 'generator' | 'faults' | 'pressure'>>;

export interface CheckResult {
  readonly rows: readonly CheckRow[];
  readonly outcome?: OutcomePart;
  /** Blocks to print (the integrity table, the reconciliation counts) when the step prints them. */
  readonly text?: string;
  readonly warnings?: readonly string[];
}

export interface StepCheck {
  readonly name: string;
  run(s: AfterLoad): Promise<CheckResult>;
}

const judged: StepCheck = {
  name: 'criteria',
  run: async (s) => ({ rows: await s.judge({ report: s.run.report, pool: s.pool }) }),
};

const faults: StepCheck = {
  name: 'faults',
  run: async (s) => {
    if (!s.timeline) return { rows: [] };
    const findings = analyzeFaults(s.timeline, exchangesOf(s.historyDir ? readHistoryEvents(s.historyDir) : []));
    return { rows: faultRows(s.label, s.timeline, findings), outcome: { faults: { timeline: s.timeline, findings } } };
  },
};

const pressure: StepCheck = {
  name: 'pressure',
  run: async (s) => {
    if (!s.pressure) return { rows: [] };
    const outcome = pressureEffect(s.pressure, s.historyDir ? exchangesOf(readHistoryEvents(s.historyDir)) : null, s.run.report, s.dbHeadline);
    return { rows: pressureRows(s.label, s.pressure, outcome), outcome: { pressure: outcome } };
  },
};

const integrity: StepCheck = {
  name: 'integrity',
  run: async (s) => {
    const result = await runIntegritySql(s.ctx.env.server.url, s.ctx.sql);
    return { rows: [integrityRow(s.label, result)], outcome: { integrity: result }, text: formatIntegrity(result) };
  },
};

/** The operations that lower what is held or the room (release, consume, take-out) the run had acknowledged. */
function decreasing(report: ArtilleryReport): { acknowledged: number; ops: string[] } {
  const a = report.aggregate;
  const ops = (['release', 'consume', 'take_out'] as const).filter((op) => (counterOf(a, METRICS.ok[op]) ?? 0) > 0);
  return { acknowledged: ops.reduce((n, op) => n + (counterOf(a, METRICS.ok[op]) ?? 0), 0), ops };
}

const replay: StepCheck = {
  name: 'replay',
  run: async (s) => {
    const verdict = await replayLedgerOffThread(s.ctx.env.server.url, s.ctx.sql, replayStartOf(s.baseline));
    const why = s.ctx.sql.orderWhy ?? 'the ledger has no order';
    let result: ReplayResult;
    if (verdict) result = { checked: true, verdict, counts: verdict.counts };
    else {
      // No order to replay: the clients' real-time order, which finds violations but cannot rule a short one out.
      const rt = await checkRealTimeOfHistory(s.historyDir, s.baseline);
      result =
        'why' in rt
          ? { checked: false, why: `${why}, and ${rt.why}`, verdict: null, counts: {} }
          : { checked: true, why, realtime: { accepted: s.ctx.sql.realTimeAccepted }, verdict: rt, counts: rt.counts };
    }
    return { rows: [replayRow(s.label, result, decreasing(s.run.report))], outcome: { replay: result } };
  },
};

const reconciliation: StepCheck = {
  name: 'reconciliation',
  run: async (s) => {
    const result = await reconcileRun({
      databaseUrl: s.ctx.env.server.url,
      historyDir: s.historyDir,
      report: s.run.report,
      baseline: s.baseline,
      sql: s.ctx.sql,
    });
    return { rows: [reconciliationRow(s.label, result)], outcome: { reconciliation: result }, text: formatReconciliation(result) };
  },
};

const generator: StepCheck = {
  name: 'generator',
  run: async (s) => {
    const load = judgeGenerator(s.run.cpu, summaryOf(s.run.report.aggregate, METRICS.loopDelay), s.run.report.aggregate);
    const skipped = load.arrivals?.skipped ?? 0;
    return {
      rows: [],
      outcome: { generator: load },
      warnings: [
        ...(load.saturated ? [`the load generator was the limit (${load.reasons.join('; ')}): the latency measured is partly the client's`] : []),
        ...(skipped > 0
          ? [`Artillery skipped ${skipped} arrival(s): a phase's maxVusers were running (vusers.skipped); the load offered was that much lower`]
          : []),
      ],
    };
  },
};

/** The checks after every step's load, in the order their rows appear. */
export const STEP_CHECKS: readonly StepCheck[] = [judged, faults, pressure, integrity, replay, reconciliation, generator];
