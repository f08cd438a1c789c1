/**
 * summary.json: the machine-readable outcome of a run, written by the runner (runner/plan.ts) and
 * read by the reports, `load-test:verify` and `load-test:compare`. This file is the one
 * declaration of its shape and of every value inside it; writers and readers import it.
 */
import * as fs from 'node:fs';
import { PackError } from '../lib/errors';
import type { Verdict } from './verdict';

/** Correctness failures make a NO-GO; performance misses of 50 % or less make a CONDITIONAL. */
export type CheckKind = 'correctness' | 'performance';
export const CHECK_KINDS: readonly CheckKind[] = ['correctness', 'performance'];

/** One line of the summary table: a criterion, its limit, what was measured, PASS/FAIL. */
import type { FaultEvent, FaultFinding } from './faults';
import type { HostLoad } from './host';
import type { DbHeadline } from './db-samples';

export interface CheckRow {
  readonly scenario: string;
  readonly name: string;
  readonly limit: string;
  readonly measured: string;
  readonly pass: boolean;
  readonly kind: CheckKind;
  /** For a failed performance check: how far past the limit, as a fraction of it. */
  readonly overBy: number | null;
  /** The check could not be made (pass is then false): the verdict cannot be GO or NO-GO on it. */
  readonly unknown?: boolean;
  /**
   * The check was not made, and why (pass is then false, and it never reads PASS). Whether that
   * makes the verdict UNKNOWN is the policy's (docs/reference/exit-codes.md): `unknown` says so.
   */
  readonly notChecked?: string;
  /** Even passing, this check cannot support a GO on its own (counters-mode reconciliation). */
  readonly capsAt?: 'CONDITIONAL';
  /** The number measured and its comparison, when there is one: repeats judge it on the median. */
  readonly measure?: RowMeasure;
  /** A latency row: how busy the host was while it was measured (runner/host.ts). */
  readonly host?: { readonly busy: boolean; readonly note: string };
}

/** How a row reads in every output (terminal, HTML, PERFORMANCE_TEST_RESULTS.md, JUnit): a check not made is never PASS. */
export type RowState = 'PASS' | 'FAIL' | 'UNKNOWN' | 'NOT CHECKED';

export function rowState(r: Pick<CheckRow, 'pass' | 'unknown' | 'notChecked'>): RowState {
  if (r.pass) return 'PASS';
  if (r.notChecked !== undefined) return 'NOT CHECKED';
  return r.unknown ? 'UNKNOWN' : 'FAIL';
}

/** A row's numeric measure (a YAML criterion's), kept so that `--repeat` can judge the median. */
export interface RowMeasure {
  readonly value: number | null;
  readonly op: 'lt' | 'lte' | 'eq' | 'gte' | 'gt' | 'between';
  readonly limit: number;
  readonly upper?: number;
  readonly unit: '' | 'ms' | '%' | 'rps';
}

/** A scenario run more than once (`--repeat N`): where each run's files are. */
export interface RepeatInfo {
  readonly runs: number;
  readonly reportFiles: readonly string[];
  /** The run whose report, history and pool the scenario's page shows (the first that failed a correctness row, else the last). */
  readonly shown: number;
}

export type Decision = 'GO' | 'CONDITIONAL' | 'NO-GO' | 'UNKNOWN';
export const DECISIONS: readonly Decision[] = ['GO', 'CONDITIONAL', 'NO-GO', 'UNKNOWN'];

/** What each decision means: the one wording, printed by the runner and written into the reports. */
export const DECISION_MEANING: Readonly<Record<Decision, { readonly meaning: string; readonly qualifier: string | null }>> = {
  GO: { meaning: 'every criterion passed, integrity returned 0 rows, nothing crashed', qualifier: null },
  CONDITIONAL: {
    meaning:
      'no correctness check failed, but a performance threshold was missed by 50% or less, or a correctness check was made in a mode too weak for a GO (see why)',
    qualifier: 'between GO and NO-GO',
  },
  'NO-GO': {
    meaning: 'a correctness check failed, a threshold was missed by more than 50%, or something crashed',
    qualifier: 'optimization or a fix required',
  },
  UNKNOWN: { meaning: 'a correctness check could not be made (see why): nothing failed, but nothing was proven either', qualifier: 'not verified' },
};

/** Connection-pool usage the reference API reports (GET /internal/pool). */
export interface PoolStats {
  readonly max: number;
  readonly acquired: number;
  readonly waits: number;
  readonly timeouts: number;
  readonly errors: number;
  readonly maxInUse: number;
  readonly inUse: number;
  readonly waiting: number;
}

export type IntegrityRow = Record<string, string | number | null>;

/** What the integrity SQL returned: zero rows is the pass. */
export interface IntegrityResult {
  readonly columns: readonly string[];
  readonly rows: readonly IntegrityRow[];
}

export type ReconciliationMode = 'history' | 'counters' | 'none';

export interface ReconciliationResult {
  readonly mode: ReconciliationMode;
  readonly verdict: Verdict;
  readonly counts: Readonly<Record<string, number>>;
  readonly source: string;
}

/** How loaded the load generator was (runner/generator.ts); null values were not measured. */
export interface GeneratorLoad {
  readonly cpuMeanCores: number | null;
  /** The highest 5-s average. */
  readonly cpuPeakCores: number | null;
  readonly loopDelayP99Ms: number | null;
  readonly loopDelayMaxMs: number | null;
  /** The client was the limit: the latency measured is partly the client's. */
  readonly saturated: boolean;
  readonly reasons: readonly string[];
  /**
   * Coordinated omission (plugin/src/arrivals.ts): users started, those that started late, the
   * arrivals Artillery skipped (maxVusers), the lateness and both latencies at p95; absent where
   * the plugin did not measure them.
   */
  readonly arrivals?: {
    readonly started: number;
    readonly late: number;
    readonly skipped: number;
    readonly latenessP95Ms: number | null;
    readonly serviceP95Ms: number | null;
    readonly intendedP95Ms: number | null;
  };
}

/** Overbooking at any moment: the ledger replayed in its order (ledger-order.sql), or the clients' real-time order. */
export interface ReplayResult {
  /** false when neither the ledger's order nor the clients' real-time order could be checked. */
  readonly checked: boolean;
  /** Why the ledger was not replayed (no order), when it was not. */
  readonly why?: string;
  /**
   * Without a ledger order, the moments judged by the clients' real-time order instead
   * (verify/realtime.ts): sound but incomplete; `accepted` when the target accepts it for a GO
   * (database.order: realtime).
   */
  readonly realtime?: { readonly accepted: boolean };
  readonly verdict: Verdict | null;
  readonly counts: Readonly<Record<string, number>>;
}

/** The swarm and pressure's figures (runner/pressure.ts); null where not measured. */
export interface PressureOutcome {
  /** Seconds from the first write to the pressure's start, and of the whole run. */
  readonly afterSeconds: number;
  readonly runSeconds: number;
  /** When the pressure ran (epoch ms), as the history places it; null without a history. */
  readonly pressureFromMs: number | null;
  readonly pressureToMs: number | null;
  /** Acknowledged writes per second before the pressure and while it ran, and with / without. */
  readonly writeTpsWithout: number | null;
  readonly writeTpsWith: number | null;
  readonly writeRatio: number | null;
  readonly reads: number | null;
  readonly readsFailed: number | null;
  /** The reads' time to first byte under the write load, ms. */
  readonly readP50: number | null;
  readonly readP95: number | null;
  readonly readP99: number | null;
  readonly serializationRetries: number | null;
  readonly serializationConflicts: number | null;
  readonly deadlocks: number | null;
  readonly rollbacks: number | null;
  readonly peakPredicateLocks: number | null;
}

export interface ScenarioOutcome {
  readonly id: string;
  readonly title: string;
  readonly seedProfile: string;
  /** When the fixture (and the data) this scenario ran on was seeded. */
  readonly fixtureGeneratedAt: string;
  readonly authorizations: number;
  readonly capacityUnits: number;
  readonly pool: PoolStats | null;
  readonly reportFile: string;
  readonly artilleryExitCode: number | null;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly rows: readonly CheckRow[];
  readonly integrity: IntegrityResult;
  readonly reconciliation: ReconciliationResult;
  readonly replay: ReplayResult;
  readonly generator: GeneratorLoad;
  readonly historyDir: string | null;
  /** The faults injected while the load ran, as they happened, and what the history says of each (load-test:faults). */
  readonly faults?: { readonly timeline: readonly FaultEvent[]; readonly findings: readonly FaultFinding[] };
  /** What PostgreSQL did while the load ran (db/sampler.ts): the samples file and its headline figures. */
  readonly database?: { readonly file: string; readonly headline: DbHeadline; readonly statementsNote: string | null; readonly failedSamples: number };
  /** What the pressure reads cost the writers (runner/pressure.ts; load-test:swarm). */
  readonly pressure?: PressureOutcome;
  /** How busy the host was while the scenario ran (runner/host.ts); null where it could not be watched (not Linux). */
  readonly host?: HostLoad | null;
  /** The reconciliation inputs before the load (formats/baseline.ts). */
  readonly baselineFile: string;
  /** The script Artillery ran (runner/script.ts: the scenario with its expected numbers filled). */
  readonly scriptFile?: string;
  /** What the scenario wanted that the API under test could not be sent (an operation it lacks), said plainly. */
  readonly notExercised?: readonly string[];
  /** Present when the scenario ran more than once (`--repeat N`). */
  readonly repeats?: RepeatInfo;
}

export interface RunMeta {
  readonly commit: string | null;
  readonly node: string;
  readonly artillery: string;
  /** The API under test: its target description's name and file. */
  readonly targetName?: string;
  readonly targetFile?: string;
  readonly plugin: string;
  readonly postgres: string | null;
  readonly database: string;
  /** The load-test database, password masked: load-test:verify matches a run to it. */
  readonly databaseUrl: string;
  readonly apiPoolMax: number | null;
}

export interface RunSummary {
  readonly meta: RunMeta;
  readonly runId: string;
  readonly runDir: string;
  readonly profile: string;
  readonly target: string;
  readonly apiMode: string;
  readonly startedAt: string;
  readonly endedAt: string;
  /** Set when the run was split over N Artillery processes or ran without a shared history (runner/distributed.ts). */
  readonly distribution?: { readonly workers: number; readonly sharedHistory: boolean };
  readonly scenarios: readonly ScenarioOutcome[];
  readonly crashes: readonly string[];
  readonly decision: Decision;
  readonly reasons: readonly string[];
  /** What the reader should know that does not change the verdict (a saturated generator). */
  readonly warnings: readonly string[];
}

/** What every CI output of a run needs (junit.xml, the job summary): the criteria of each scenario. */
export type RunCriteria = Pick<RunSummary, 'runId' | 'profile' | 'decision' | 'reasons' | 'warnings' | 'crashes'> & {
  readonly scenarios: readonly Pick<ScenarioOutcome, 'id' | 'title' | 'rows'>[];
};

export const SUMMARY_FILE = 'summary.json';

/** Every problem of a parsed summary.json, or an empty list (shallow: the fields readers rely on). */
export function summaryProblems(value: unknown): string[] {
  const s = value as Partial<RunSummary> | null;
  if (typeof s !== 'object' || s === null) return ['it is not a JSON object'];
  const p: string[] = [];
  if (typeof s.runId !== 'string') p.push('runId must be a string');
  if (!(DECISIONS as readonly string[]).includes(String(s.decision))) p.push(`decision must be one of ${DECISIONS.join(', ')}`);
  if (!Array.isArray(s.scenarios)) p.push('scenarios must be a list');
  else
    s.scenarios.forEach((sc, i) => {
      if (typeof sc?.id !== 'string' || typeof sc.reportFile !== 'string' || !Array.isArray(sc.rows)) p.push(`scenarios[${i}] needs id, reportFile and rows`);
    });
  if (!Array.isArray(s.reasons)) p.push('reasons must be a list');
  return p;
}

/** Reads summary.json; null when the file does not exist, a clear error when it is not one. */
export function readRunSummary(file: string): RunSummary | null {
  if (!fs.existsSync(file)) return null;
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PackError('LT_USAGE', `${file} is not valid JSON: ${(err as Error).message}`, {
      hint: 'rerun the scenario, or remove the file to report the Artillery JSON alone',
    });
  }
  const problems = summaryProblems(value);
  if (problems.length > 0)
    throw new PackError('LT_USAGE', `${file} is not a summary the pack wrote: ${problems.join('; ')}`, {
      hint: 'rerun the scenario, or remove the file to report the Artillery JSON alone',
    });
  // Summaries written before warnings existed read as having none.
  const s = value as RunSummary;
  return { ...s, warnings: s.warnings ?? [] };
}
