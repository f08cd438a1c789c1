/**
 * What a report shows, as a pure function of an Artillery JSON report (and, when the pack ran it,
 * the scenario's outcome from summary.json). Any valid Artillery 2 report gives a model; what it
 * lacks is listed in `missing` and shown as missing, never guessed.
 */
import { METRICS, OPERATIONS } from 'artillery-plugin-isolation';
import { ArtilleryPeriod, ArtilleryReport, counterOf, hasPackMetrics, summaryOf, timeline } from '../formats/artillery-json';
import type { RunSummary, ScenarioOutcome } from '../formats/summary';
import type { DbSamplesFile } from '../formats/db-samples';
import { DatabaseSection, databaseSection } from './database';
import { PressureSection, pressureBand, pressureSection } from './pressure';

/**
 * A counter within one period: Artillery leaves a counter out of a period in which it did not
 * move, so inside a run that has the pack's metrics, absent means 0 there (not "not measured").
 */
const moved = (p: ArtilleryPeriod, name: Parameters<typeof counterOf>[1]): number => counterOf(p, name) ?? 0;

export interface CheckRowLike {
  readonly name: string;
  readonly limit: string;
  readonly measured: string;
  readonly pass: boolean;
  readonly kind: string;
  readonly unknown?: boolean;
  readonly notChecked?: string;
}

/** The parts of a scenario's outcome in summary.json (formats/summary.ts) a report uses. */
export type ScenarioContext = Pick<ScenarioOutcome, 'id' | 'title' | 'rows'> &
  Partial<Pick<ScenarioOutcome, 'generator' | 'host'>> &
  Partial<
    Pick<
      ScenarioOutcome,
      | 'seedProfile'
      | 'authorizations'
      | 'capacityUnits'
      | 'startedAt'
      | 'endedAt'
      | 'integrity'
      | 'reconciliation'
      | 'pool'
      | 'faults'
      | 'database'
      | 'pressure'
    >
  >;

/** The parts of summary.json about the whole run that a report uses. */
export type RunContext = Pick<RunSummary, 'runId' | 'profile' | 'target' | 'apiMode'> & Partial<Pick<RunSummary, 'decision' | 'meta'>>;

export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

export interface Chart {
  readonly id: string;
  readonly title: string;
  readonly kind: 'line' | 'bar' | 'stacked';
  readonly unit: string;
  /** Seconds since the first period, or category labels. */
  readonly labels: readonly (number | string)[];
  readonly series: readonly Series[];
  /** Time spans to shade, in the labels' seconds (the faults of load-test:faults). */
  readonly bands?: readonly { readonly label: string; readonly from: number; readonly to: number }[];
}

/** One injected fault as the report shows it. */
export interface FaultLine {
  readonly fault: string;
  readonly what: string;
  /** Seconds from the first period; null when skipped. */
  readonly at: number | null;
  readonly lasted: number | null;
  readonly note: string;
}

export interface OperationRow {
  readonly operation: string;
  readonly ok: number;
  readonly conflicts: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export interface ReportModel {
  readonly title: string;
  readonly tiles: readonly { label: string; value: string }[];
  readonly charts: readonly Chart[];
  readonly operations: readonly OperationRow[];
  readonly checks: readonly CheckRowLike[] | null;
  readonly verdict: string | null;
  readonly integrity: ScenarioContext['integrity'] | null;
  readonly reconciliation: ScenarioContext['reconciliation'] | null;
  readonly findings: readonly string[];
  readonly metadata: readonly [string, string][];
  readonly missing: readonly string[];
  /** The faults injected while the load ran (load-test:faults), or empty. */
  readonly faults: readonly FaultLine[];
  /** What PostgreSQL did meanwhile (report/database.ts), or null without a sampler file. */
  readonly database: DatabaseSection | null;
  /** What the pressure reads cost the writers (report/pressure.ts; load-test:swarm), or null. */
  readonly pressure: PressureSection | null;
}

function n(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(digits);
}

/** Periods with their offset from the first one, in seconds. */
function periodsOf(r: ArtilleryReport): { t: number; p: ArtilleryPeriod; seconds: number }[] {
  const list = timeline(r);
  const t0 = list[0]?.start ?? 0;
  return list.map((x) => ({ t: Math.round((x.start - t0) / 1000), p: x.p, seconds: x.seconds }));
}

/** The headline numbers of a report (also what `load-test:compare` compares). */
export interface Headline {
  readonly requests: number;
  readonly rps: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly errorRate: number | null;
  readonly conflictRate: number | null;
  readonly retriesPerRequest: number | null;
}

const ratioOrNull = (v: number | null, d: number): number | null => (v === null ? null : v / d);

export function headline(report: ArtilleryReport): Headline {
  const a = report.aggregate;
  const c = a.counters;
  const rt = a.summaries['http.response_time'];
  const requests = c['http.requests'] ?? 0;
  const hasPack = hasPackMetrics(a);
  const unitRequests = counterOf(a, METRICS.requests) ?? 0;
  const denominator = hasPack ? unitRequests : requests;
  const conflicts = hasPack ? counterOf(a, METRICS.conflictsTotal) : (c['http.codes.409'] ?? 0);
  const failed = hasPack
    ? counterOf(a, METRICS.failed)
    : Object.entries(c)
        .filter(([k]) => (/^http\.codes\.[45]\d\d$/.test(k) && k !== 'http.codes.409') || k.startsWith('errors.'))
        .reduce((sum, [, v]) => sum + v, 0);
  const durationS = a.firstMetricAt && a.lastMetricAt ? Math.max(1, (a.lastMetricAt - a.firstMetricAt) / 1000) : null;
  return {
    requests,
    rps: durationS ? requests / durationS : (a.rates['http.request_rate'] ?? null),
    p50: rt?.median ?? rt?.p50 ?? null,
    p95: rt?.p95 ?? null,
    p99: rt?.p99 ?? null,
    errorRate: denominator > 0 && failed !== null ? failed / denominator : null,
    conflictRate: denominator > 0 && conflicts !== null ? conflicts / denominator : null,
    retriesPerRequest: hasPack && unitRequests > 0 ? ratioOrNull(counterOf(a, METRICS.retries), unitRequests) : null,
  };
}

/** The headline tiles: requests, rate, latency percentiles, error and 409 rates. */
function tilesOf(h: Headline): { label: string; value: string }[] {
  const ratio = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);
  const ms = (v: number | null): string => (v === null ? '–' : `${n(v)} ms`);
  return [
    { label: 'requests', value: n(h.requests) },
    { label: 'mean RPS', value: n(h.rps) },
    { label: 'p50', value: ms(h.p50) },
    { label: 'p95', value: ms(h.p95) },
    { label: 'p99', value: ms(h.p99) },
    { label: 'error rate', value: ratio(h.errorRate) },
    { label: '409 rate', value: ratio(h.conflictRate) },
  ];
}

type Band = NonNullable<Chart['bands']>[number];

/** The faults injected while the load ran, as lines and as bands on the charts' time axis (seconds from the first period). */
function faultsOf(scenario: ScenarioContext | null, t0: number | null): { faults: FaultLine[]; bands: Band[] } {
  const faultEvents = scenario?.faults?.timeline ?? [];
  const bands =
    t0 === null
      ? []
      : faultEvents
          .filter((f) => f.startedAt !== null && f.endedAt !== null)
          .map((f) => ({ label: f.fault, from: (f.startedAt! - t0) / 1000, to: (f.endedAt! - t0) / 1000 }))
          .concat(pressureBand(scenario?.pressure, t0));
  const faults: FaultLine[] = faultEvents.map((f) => {
    const finding = scenario?.faults?.findings.find((x) => x.fault === f.fault);
    const notes = [
      f.skipped ? `skipped: ${f.skipped}` : null,
      f.error,
      finding
        ? `${finding.during} requests sent while on: ${finding.answered503} answered 503, ${finding.unanswered} unanswered, slowest ${finding.slowestMs === null ? '–' : `${Math.round(finding.slowestMs)} ms`}; recovered ${finding.recoveryMs === null ? 'never' : `in ${Math.round(finding.recoveryMs)} ms`}`
        : null,
    ].filter((x): x is string => x !== null);
    return {
      fault: f.fault,
      what: f.what,
      at: t0 !== null && f.startedAt !== null ? Math.round((f.startedAt - t0) / 100) / 10 : null,
      lasted: f.startedAt !== null && f.endedAt !== null ? Math.round((f.endedAt - f.startedAt) / 100) / 10 : null,
      note: notes.join('; '),
    };
  });
  return { faults, bands };
}

type Periods = ReturnType<typeof periodsOf>;

/** The charts over time that any Artillery report has: latency, rate, status codes and client errors. */
function timeCharts(ps: Periods, bands: readonly Band[], missing: string[]): Chart[] {
  const labels = ps.map((x) => x.t);
  const withBands = bands.length > 0 ? { bands } : {};
  const q = (agg: string) => ps.map((x) => x.p.summaries['http.response_time']?.[agg] ?? null);
  const charts: Chart[] = [
    {
      id: 'latency',
      title: 'Latency percentiles over time (time to first byte)',
      kind: 'line',
      unit: 'ms',
      labels,
      ...withBands,
      series: [
        { label: 'p50', values: q('median') },
        { label: 'p95', values: q('p95') },
        { label: 'p99', values: q('p99') },
      ],
    },
    {
      id: 'rate',
      title: 'Request rate over time',
      kind: 'line',
      unit: 'req/s',
      labels,
      ...withBands,
      series: [{ label: 'requests/s', values: ps.map((x) => (x.p.counters['http.requests'] ?? 0) / x.seconds) }],
    },
  ];
  // Status codes and, beside them, the client-side errors (errors.<code>: no answer at all).
  const codes = [...new Set(ps.flatMap((x) => Object.keys(x.p.counters).filter((k) => /^http\.codes\.\d+$/.test(k))))].sort();
  const errors = [...new Set(ps.flatMap((x) => Object.keys(x.p.counters).filter((k) => k.startsWith('errors.'))))].sort();
  if (codes.length + errors.length > 0)
    charts.push({
      id: 'codes',
      title: errors.length > 0 ? 'Status codes and client errors over time' : 'Status codes over time',
      kind: 'stacked',
      unit: 'responses',
      labels,
      ...withBands,
      series: [
        ...codes.map((k) => ({ label: k.replace('http.codes.', ''), values: ps.map((x) => x.p.counters[k] ?? 0) })),
        ...errors.map((k) => ({ label: `no answer: ${k.slice('errors.'.length)}`, values: ps.map((x) => x.p.counters[k] ?? 0) })),
      ],
    });
  else missing.push('status codes: no http.codes.* counters');
  return charts;
}

/** The pack's charts over time: the conflict rate and the serialization retries. */
function packTimeCharts(ps: Periods): Chart[] {
  const labels = ps.map((x) => x.t);
  return [
    {
      id: 'conflict-rate',
      title: 'Conflict (409) rate over time',
      kind: 'line',
      unit: '%',
      labels,
      series: [
        {
          label: '409 / requests',
          values: ps.map((x) => (moved(x.p, METRICS.requests) > 0 ? (moved(x.p, METRICS.conflictsTotal) / moved(x.p, METRICS.requests)) * 100 : null)),
        },
      ],
    },
    {
      id: 'retries',
      title: 'Serialization retries over time',
      kind: 'bar',
      unit: 'retries',
      labels,
      series: [{ label: 'retries', values: ps.map((x) => moved(x.p, METRICS.retries)) }],
    },
  ];
}

/** The pack's whole-run charts: 409s by reason and the transaction attempts. */
function packRunCharts(a: ArtilleryReport['aggregate'], missing: string[]): Chart[] {
  const charts: Chart[] = [
    {
      id: 'reasons',
      title: '409s by reason',
      kind: 'bar',
      unit: 'responses',
      labels: ['insufficient units', 'serialization (retries exhausted)', 'other'],
      series: [
        {
          label: '409s',
          values: [counterOf(a, METRICS.conflictInsufficient), counterOf(a, METRICS.conflictSerialization), counterOf(a, METRICS.conflictOther)],
        },
      ],
    },
  ];
  const att = summaryOf(a, METRICS.attempts);
  if (att)
    charts.push({
      id: 'attempts',
      title: 'Transaction attempts per request (X-Serialization-Attempts)',
      kind: 'bar',
      unit: 'attempts',
      labels: ['min', 'median', 'p95', 'p99', 'max'],
      series: [{ label: 'attempts', values: [att.min ?? null, att.median ?? null, att.p95 ?? null, att.p99 ?? null, att.max ?? null] }],
    });
  else missing.push('attempts: the API sent no X-Serialization-Attempts header');
  return charts;
}

/** Each operation that ran: successes, 409s and its latency. */
function operationsOf(a: ArtilleryReport['aggregate']): OperationRow[] {
  return OPERATIONS.map((op) => {
    const s = summaryOf(a, METRICS.responseTime[op]);
    return {
      operation: op,
      ok: counterOf(a, METRICS.ok[op]) ?? 0,
      conflicts: counterOf(a, METRICS.conflicts[op]) ?? 0,
      p50: s?.median ?? null,
      p95: s?.p95 ?? null,
      p99: s?.p99 ?? null,
      max: s?.max ?? null,
    };
  }).filter((o) => o.ok + o.conflicts > 0);
}

function operationsChart(operations: readonly OperationRow[]): Chart {
  return {
    id: 'operations',
    title: 'Latency per operation',
    kind: 'bar',
    unit: 'ms',
    labels: operations.map((o) => o.operation),
    series: [
      { label: 'p50', values: operations.map((o) => o.p50) },
      { label: 'p95', values: operations.map((o) => o.p95) },
      { label: 'p99', values: operations.map((o) => o.p99) },
    ],
  };
}

/** Where the run came from: source, run, versions, data and times. */
function metadataOf(a: ArtilleryReport['aggregate'], scenario: ScenarioContext | null, run: RunContext | null, source: string): [string, string][] {
  const meta: Partial<RunSummary['meta']> = run?.meta ?? {};
  return [
    ['source', source],
    ['run', run?.runId ?? '–'],
    ['profile', run?.profile ?? '–'],
    ['target', run?.target ?? '–'],
    ['API mode', run?.apiMode ?? '–'],
    ['commit', String(meta.commit ?? '–')],
    ['Node.js', String(meta.node ?? '–')],
    ['Artillery', String(meta.artillery ?? '–')],
    ['artillery-plugin-isolation', String(meta.plugin ?? '–')],
    ['PostgreSQL', String(meta.postgres ?? '–')],
    ['database', String(meta.database ?? '–')],
    ['API pool size', String(meta.apiPoolMax ?? '–')],
    ['seed', scenario?.seedProfile ? `${scenario.seedProfile}: ${scenario.authorizations} authorizations, ${n(scenario.capacityUnits ?? null)} units` : '–'],
    ['started', scenario?.startedAt ?? (a.firstMetricAt ? new Date(a.firstMetricAt).toISOString() : '–')],
    ['ended', scenario?.endedAt ?? (a.lastMetricAt ? new Date(a.lastMetricAt).toISOString() : '–')],
  ];
}

/** The scenario's verdict line from its rows: PASS, UNKNOWN when every miss could not be checked, else FAIL. */
function verdictOf(scenario: ScenarioContext): string {
  const failed = scenario.rows.filter((r) => !r.pass);
  if (failed.length === 0) return `PASS (all ${scenario.rows.length} criteria)`;
  if (failed.every((r) => r.unknown)) return `UNKNOWN (${failed.length} of ${scenario.rows.length} criteria could not be checked)`;
  return `FAIL (${failed.filter((r) => !r.unknown).length} of ${scenario.rows.length} criteria failed)`;
}

/**
 * The model of one report: each section from its own function above, in the order the page shows
 * them. A new section is one function here and its drawing in report/html.ts.
 */
export function buildModel(
  report: ArtilleryReport,
  scenario: ScenarioContext | null,
  run: RunContext | null,
  source: string,
  db: DbSamplesFile | null = null,
): ReportModel {
  const a = report.aggregate;
  const missing: string[] = [];
  const hasPack = hasPackMetrics(a);
  if (!a.summaries['http.response_time']) missing.push('latency: the report has no http.response_time summary');

  const ps = periodsOf(report);
  const t0 = timeline(report)[0]?.start ?? null;
  const { faults, bands } = faultsOf(scenario, t0);
  const charts: Chart[] = [];
  if (ps.length === 0) missing.push('time series: the report has no intermediate periods');
  else charts.push(...timeCharts(ps, bands, missing), ...(hasPack ? packTimeCharts(ps) : []));
  if (hasPack) charts.push(...packRunCharts(a, missing));
  else missing.push('isolation metrics: the run did not use artillery-plugin-isolation, so there are no 409-by-reason, retry or per-operation figures');

  const operations = hasPack ? operationsOf(a) : [];
  if (operations.length > 0) charts.push(operationsChart(operations));

  if (!scenario) missing.push('verdict and integrity: this report was not produced by a pack run (no summary.json beside it)');
  else {
    if (!scenario.integrity) missing.push('integrity: the run has no integrity result');
    if (!scenario.reconciliation) missing.push('reconciliation: the run has no reconciliation result');
  }

  const database = db
    ? databaseSection(
        db,
        t0,
        bands,
        ps.map((x) => ({ t: x.t, retries: moved(x.p, METRICS.retries) })),
      )
    : null;
  if (!db && scenario) missing.push('database: no samples of PostgreSQL for this run (a run before the sampler, or it could not connect)');
  return {
    title: scenario ? `${scenario.id}: ${scenario.title}` : source,
    tiles: tilesOf(headline(report)),
    charts,
    operations,
    checks: scenario?.rows ?? null,
    verdict: scenario ? verdictOf(scenario) : null,
    integrity: scenario?.integrity ?? null,
    reconciliation: scenario?.reconciliation ?? null,
    findings: [...findingsFor(report, scenario, operations), ...(database?.findings ?? [])],
    metadata: metadataOf(a, scenario, run, source),
    missing,
    faults,
    database,
    pressure: scenario?.pressure ? pressureSection(scenario.pressure) : null,
  };
}

/**
 * Why requests failed, from any Artillery report: each error status (409 aside, a refusal the
 * contract allows) and each client-side error code (`errors.ECONNRESET`, `errors.ETIMEDOUT`, ...:
 * the request got no answer), with counts. Null when the report counted no request.
 */
export function failureReasons(report: ArtilleryReport): string | null {
  const c = report.aggregate.counters;
  if (!(c['http.requests'] ?? 0) && !Object.keys(c).some((k) => k.startsWith('errors.'))) return null;
  const statuses = Object.entries(c)
    .filter(([k, v]) => /^http\.codes\.[45]\d\d$/.test(k) && k !== 'http.codes.409' && v > 0)
    .map(([k, v]) => `${k.slice('http.codes.'.length)} × ${n(v)}`);
  const errors = Object.entries(c)
    .filter(([k, v]) => k.startsWith('errors.') && v > 0)
    .sort(([, x], [, y]) => y - x)
    .map(([k, v]) => `${k.slice('errors.'.length)} × ${n(v)}`);
  if (statuses.length === 0 && errors.length === 0) return 'Why requests failed: none did (no error status, no client-side error).';
  return `Why requests failed: ${[
    statuses.length > 0 ? `error statuses ${statuses.join(', ')}` : null,
    errors.length > 0 ? `no answer (client-side errors) ${errors.join(', ')}` : null,
  ]
    .filter(Boolean)
    .join('; ')}.`;
}

export function findingsFor(report: ArtilleryReport, scenario: ScenarioContext | null, operations: readonly OperationRow[]): string[] {
  const out: string[] = [];
  const slowest = [...operations].filter((o) => o.p95 !== null).sort((x, y) => (y.p95 ?? 0) - (x.p95 ?? 0))[0];
  if (slowest) out.push(`Slowest operation: ${slowest.operation} (p95 ${n(slowest.p95)} ms, p99 ${n(slowest.p99)} ms, max ${n(slowest.max)} ms).`);
  const a = report.aggregate;
  const retries = counterOf(a, METRICS.retries);
  const req = counterOf(a, METRICS.requests) ?? 0;
  if (req > 0 && retries !== null) {
    out.push(
      `SERIALIZABLE retries: ${n(retries)} for ${n(req)} requests (${(retries / req).toFixed(2)} per request); ${n(counterOf(a, METRICS.conflictSerialization))} requests gave up after the last attempt.`,
    );
    const ps = periodsOf(report);
    const worst = ps.reduce<{ t: number; v: number } | null>((w, x) => {
      const v = moved(x.p, METRICS.retries);
      return !w || v > w.v ? { t: x.t, v } : w;
    }, null);
    if (worst && worst.v > 0) out.push(`Retry hot spot: ${n(worst.v)} retries in the period starting at ${worst.t} s.`);
  }
  const g = scenario?.generator;
  if (g) {
    const cores = (v: number | null): string => (v === null ? 'not measured' : `${v.toFixed(2)} cores`);
    out.push(
      `Load generator: ${cores(g.cpuMeanCores)} on average, ${cores(g.cpuPeakCores)} at the busiest 5 s; event-loop delay p99 ${g.loopDelayP99Ms === null ? 'not measured' : `${g.loopDelayP99Ms} ms`}.${
        g.saturated ? ` The generator was the limit (${g.reasons.join('; ')}): these latency figures are partly the client's.` : ''
      }`,
    );
    const a = g.arrivals;
    if (a)
      out.push(
        `Arrivals: ${n(a.started)} users started, ${n(a.late)} of them late (p95 ${a.latenessP95Ms ?? '–'} ms behind the schedule)${a.skipped > 0 ? `, ${n(a.skipped)} skipped (maxVusers)` : ''}; latency from the intended start p95 ${a.intendedP95Ms ?? '–'} ms, service time p95 ${a.serviceP95Ms ?? '–'} ms.`,
      );
  }
  const h = scenario?.host;
  if (h)
    out.push(
      `Host: ${h.busy ? `busy (${h.reasons.join('; ')}); ` : ''}the run used ${h.ownCores.toFixed(2)} of ${h.cores} cores, other work ${h.otherCores.toFixed(2)}${h.remote ? "; the API runs elsewhere, so this is the generator's machine only" : ''}.`,
    );
  const pool = scenario?.pool;
  if (pool)
    out.push(
      `Connection pool: at most ${pool.maxInUse} of ${pool.max} connections in use; ${n(pool.waits)} checkouts waited, ${pool.timeouts} timed out.${pool.waits > 0 && pool.maxInUse >= pool.max ? ' The pool was saturated: it is what would break next under more load.' : ''}`,
    );
  const why = failureReasons(report);
  if (why) out.push(why);
  const p99 = report.aggregate.summaries['http.response_time']?.p99;
  const p50 = report.aggregate.summaries['http.response_time']?.median;
  if (p99 && p50 && p99 > 4 * p50)
    out.push(`Tail latency: p99 is ${(p99 / p50).toFixed(1)}× the median, a sign of queueing (pool waits, lock waits or retries).`);
  return out;
}
