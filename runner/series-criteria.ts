/**
 * Criteria over the run's time series (Artillery's intermediate periods), not only its aggregate:
 * the request rate sustained after the ramp, the conflict rate of each third of the run. A
 * scenario names them in its YAML (`config.pack.series`) with a comparison and a kind; this file
 * is the registry of what can be measured. Pure functions of the report.
 *
 *   series:
 *     - { id: sustained-rate, name: "sustained request rate after the ramp", kind: performance,
 *         measure: request-rate-after-first-phase, min: 100 }
 */
import { Comparison, METRICS, compare, parseComparison } from 'artillery-plugin-isolation';
import { ArtilleryReport, TimedPeriod, counterOf, timeline } from '../formats/artillery-json';
import { CHECK_KINDS, CheckKind, CheckRow } from '../formats/summary';
import { Phase, plannedSeconds } from './scenario-config';
import { parseEntries } from '../lib/pack-entries';

/**
 * Requests per second over the periods that lie wholly inside [fromSec, toSec] of the run
 * (counted from the first metric): the rate sustained once the ramp was over, until the last
 * arrival. Falls back to the period that overlaps the window most when none fits inside.
 */
export function sustainedRate(report: ArtilleryReport, fromSec: number, toSec: number): { rps: number | null; periods: number } {
  const t = timeline(report);
  if (t.length === 0) return { rps: null, periods: 0 };
  const t0 = report.aggregate.firstMetricAt ?? t[0]!.start;
  const from = t0 + fromSec * 1000;
  const to = t0 + toSec * 1000;
  let use = t.filter((x) => x.start >= from && x.start + x.seconds * 1000 <= to);
  if (use.length === 0) {
    const overlap = (x: TimedPeriod): number => Math.max(0, Math.min(to, x.start + x.seconds * 1000) - Math.max(from, x.start));
    use = [t.reduce((best, x) => (overlap(x) > overlap(best) ? x : best))];
  }
  const requests = use.reduce((n, x) => n + (x.p.counters['http.requests'] ?? 0), 0);
  const seconds = use.reduce((n, x) => n + x.seconds, 0);
  return { rps: seconds > 0 ? requests / seconds : null, periods: use.length };
}

/** Conflict rate (409 / unit requests) of each third of the run, by periods; null where a third has none. */
export function conflictRateByThird(report: ArtilleryReport): (number | null)[] {
  const t = timeline(report).filter((x) => (counterOf(x.p, METRICS.requests) ?? 0) > 0);
  const thirds: TimedPeriod[][] = [[], [], []];
  t.forEach((x, i) => thirds[Math.min(2, Math.floor((i * 3) / t.length))]!.push(x));
  return thirds.map((g) => {
    const req = g.reduce((n, x) => n + (counterOf(x.p, METRICS.requests) ?? 0), 0);
    const con = g.reduce((n, x) => n + (counterOf(x.p, METRICS.conflictsTotal) ?? 0), 0);
    return req > 0 ? con / req : null;
  });
}

type Unit = 'rps' | '%';

interface Measure {
  readonly unit: Unit;
  readonly what: string;
  /** One value, or several that must each pass (null: not measured). `detail` is added to the row name. */
  /** `warmupSeconds`: the generator's warm-up in front of the phases (runner/script.ts), not part of them. */
  measure(report: ArtilleryReport, phases: readonly Phase[], warmupSeconds: number): { values: (number | null)[]; detail?: string };
}

/** What a series criterion can measure. Add a measure here; scenarios name it in their YAML. */
export const SERIES_MEASURES: Readonly<Record<string, Measure>> = {
  'request-rate-after-first-phase': {
    unit: 'rps',
    what: 'requests per second over the periods after the first phase (the ramp) until the last arrival',
    measure(report, phases, warmupSeconds) {
      const { rps, periods } = sustainedRate(report, warmupSeconds + (phases[0]?.duration ?? 0), warmupSeconds + plannedSeconds(phases));
      return { values: [rps], detail: `${periods} periods` };
    },
  },
  'conflict-rate-per-third': {
    unit: '%',
    what: 'conflict rate (409 / unit requests) of each third of the run; every third must pass',
    measure: (report) => ({ values: conflictRateByThird(report) }),
  },
};

export interface SeriesCriterion {
  readonly id: string;
  readonly name: string;
  readonly kind: CheckKind;
  readonly measure: string;
  readonly comparison: Comparison;
}

/** Parses `config.pack.series`, pushing every problem (prefixed with `where`). */
export function parseSeriesCriteria(raw: unknown, where: string, problems: string[]): SeriesCriterion[] {
  return parseEntries(raw, where, problems, (e, at, i, refuse) => {
    if (typeof e.measure !== 'string' || !(e.measure in SERIES_MEASURES))
      return refuse(`${at}.measure must be one of ${Object.keys(SERIES_MEASURES).join(', ')}`);
    if (!CHECK_KINDS.includes(e.kind as CheckKind)) return refuse(`${at}.kind must be correctness or performance`);
    const comparison = parseComparison(e, at, problems);
    if (!comparison) return null;
    return {
      id: typeof e.id === 'string' ? e.id : `series-${i}`,
      name: typeof e.name === 'string' ? e.name : e.measure,
      kind: e.kind as CheckKind,
      measure: e.measure,
      comparison,
    };
  });
}

function fmt(v: number | null, unit: Unit): string {
  if (v === null) return 'missing';
  return unit === '%' ? `${(v * 100).toFixed(1)}%` : `${v.toFixed(1)}/s`;
}

function limitText(c: Comparison, unit: Unit): string {
  const op = { lt: '<', lte: '≤', eq: '=', gte: '≥', gt: '>', between: '' }[c.op];
  return c.op === 'between' ? `${fmt(c.limit, unit)}–${fmt(c.upper ?? Infinity, unit)}` : `${op} ${fmt(c.limit, unit)}`;
}

/** How far a value is past the comparison, relative to the limit it missed (0 when it passes). */
export function missedBy(v: number, c: Pick<Comparison, 'op' | 'limit' | 'upper'>): number {
  if (compare(v, c)) return 0;
  const bound = c.op === 'between' && v > c.limit ? (c.upper ?? c.limit) : c.limit;
  return bound === 0 ? Infinity : Math.abs(v - bound) / Math.abs(bound);
}

/** Pure: the summary row of one series criterion. */
export function seriesRow(scenario: string, c: SeriesCriterion, report: ArtilleryReport, phases: readonly Phase[], warmupSeconds = 0): CheckRow {
  const m = SERIES_MEASURES[c.measure]!;
  const { values, detail } = m.measure(report, phases, warmupSeconds);
  const pass = values.length > 0 && values.every((v) => v !== null && compare(v, c.comparison));
  const overBy = pass ? null : values.some((v) => v === null) ? null : Math.max(...values.map((v) => missedBy(v!, c.comparison)));
  return {
    scenario,
    name: detail ? `${c.name} (${detail})` : c.name,
    limit: limitText(c.comparison, m.unit),
    measured: values.length === 0 ? 'missing' : values.map((v) => fmt(v, m.unit)).join(' / '),
    pass,
    kind: c.kind,
    overBy,
  };
}
