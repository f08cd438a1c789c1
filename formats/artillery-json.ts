/**
 * Reading Artillery 2 JSON output (`artillery run -o`): { aggregate, intermediate[] }.
 * Any valid file loads, including one without this pack's metrics; a malformed or truncated one
 * gets a clear error.
 */
import * as fs from 'node:fs';
import { METRICS, MetricName } from 'artillery-plugin-isolation';
import { PackError } from '../lib/errors';

export interface ArtilleryPeriod {
  readonly counters: Readonly<Record<string, number>>;
  readonly rates: Readonly<Record<string, number>>;
  readonly summaries: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly firstMetricAt?: number;
  readonly lastMetricAt?: number;
  readonly period?: number | string;
}

export interface ArtilleryReport {
  readonly aggregate: ArtilleryPeriod;
  readonly intermediate: readonly ArtilleryPeriod[];
}

function period(raw: unknown, where: string): ArtilleryPeriod {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${where} is not an object`);
  const r = raw as Record<string, unknown>;
  const obj = (v: unknown): Record<string, never> => (typeof v === 'object' && v !== null ? (v as Record<string, never>) : {});
  return {
    counters: obj(r.counters),
    rates: obj(r.rates),
    summaries: obj(r.summaries ?? r.histograms),
    firstMetricAt: typeof r.firstMetricAt === 'number' ? r.firstMetricAt : undefined,
    lastMetricAt: typeof r.lastMetricAt === 'number' ? r.lastMetricAt : undefined,
    period: typeof r.period === 'number' || typeof r.period === 'string' ? r.period : undefined,
  };
}

export function parseArtilleryReport(text: string, source: string): ArtilleryReport {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PackError('LT_USAGE', `${source} is not valid JSON (truncated or not an Artillery report): ${(err as Error).message}`, {
      hint: 'pass the file written by `artillery run -o <file>`',
    });
  }
  const r = raw as { aggregate?: unknown; intermediate?: unknown };
  if (typeof r !== 'object' || r === null || typeof r.aggregate !== 'object' || r.aggregate === null) {
    throw new PackError('LT_USAGE', `${source} has no "aggregate" object: it is not an Artillery 2 JSON report`, {
      hint: 'pass the file written by `artillery run -o <file>`',
    });
  }
  try {
    return {
      aggregate: period(r.aggregate, 'aggregate'),
      intermediate: Array.isArray(r.intermediate) ? r.intermediate.map((p, i) => period(p, `intermediate[${i}]`)) : [],
    };
  } catch (err) {
    throw new PackError('LT_USAGE', `${source}: ${(err as Error).message}`, { hint: 'pass the file written by `artillery run -o <file>`' });
  }
}

export interface TimedPeriod {
  /** Epoch milliseconds. */
  readonly start: number;
  /** Length of a period, from the spacing of the periods (Artillery's default is 10 s). */
  readonly seconds: number;
  readonly p: ArtilleryPeriod;
}

/** The intermediate periods in time order, with their start and length. */
export function timeline(report: ArtilleryReport): TimedPeriod[] {
  const ps = report.intermediate
    .map((p) => ({ p, start: Number(p.period ?? p.firstMetricAt ?? NaN) }))
    .filter((x) => Number.isFinite(x.start))
    .sort((a, b) => a.start - b.start);
  const step = ps.length > 1 ? (ps[ps.length - 1]!.start - ps[0]!.start) / (ps.length - 1) : 10_000;
  return ps.map((x) => ({ start: x.start, seconds: (step || 10_000) / 1000, p: x.p }));
}

export function readArtilleryReport(file: string): ArtilleryReport {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new PackError('LT_USAGE', `cannot read ${file}`, { hint: 'check the path of the Artillery JSON report' });
  }
  return parseArtilleryReport(text, file);
}

/**
 * Typed reads of the pack's own metrics: the name must be one the plugin's METRICS table defines
 * (a type error otherwise), and a metric the report lacks is null ("not measured"), never 0.
 */
export function counterOf(p: ArtilleryPeriod, name: MetricName): number | null {
  const v = p.counters[name];
  return typeof v === 'number' ? v : null;
}

export function summaryOf(p: ArtilleryPeriod, name: MetricName): Readonly<Record<string, number>> | null {
  return p.summaries[name] ?? null;
}

/** Whether the run used artillery-plugin-isolation (its counters are seeded with 0, so they are always present). */
export function hasPackMetrics(p: ArtilleryPeriod): boolean {
  return counterOf(p, METRICS.requests) !== null;
}
