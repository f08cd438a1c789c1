/**
 * N workers' period metrics (plugin/src/worker-metrics.ts) combined into one report, the way
 * Artillery's distributed leader combines its workers' (its SSMS mergeBuckets, pack and
 * summarizeHistogram, written here over the published sketches library Artillery itself uses):
 *
 * - each period merged over the workers that reported it: counters and rates add up, histograms
 *   merge as DDSketch sketches (so percentiles are what one process would have measured, never an
 *   average of percentiles);
 * - the aggregate packs every period: counters add up, histograms merge, rates are the mean of the
 *   periods' (rounded, as Artillery rounds them);
 * - summaries as Artillery summarizes a histogram (min, max, count, mean, p50/median, p75, p90,
 *   p95, p99, p999, to one decimal), written in place of the histograms, as `artillery run
 *   --output` writes a report.
 *
 * Pure. A unit test proves the combination of three workers equal to one process's, and equal to
 * what the installed Artillery's own SSMS makes of the same periods.
 */
import { DDSketch } from '@artilleryio/sketches-js';
import type { SerializedPeriod, WorkerMetricsLine } from 'artillery-plugin-isolation';
import { PackError } from '../lib/errors';

/** A period as a report holds it: histograms summarized. */
export interface CombinedPeriod {
  readonly period: number;
  readonly counters: Record<string, number>;
  readonly rates: Record<string, number>;
  readonly histograms: Record<string, Record<string, number>>;
  readonly summaries: Record<string, Record<string, number>>;
  readonly firstMetricAt?: number;
  readonly lastMetricAt?: number;
}

interface Merging {
  period: number;
  counters: Record<string, number>;
  rates: Record<string, number>;
  sketches: Map<string, DDSketch>;
  firstMetricAt?: number;
  lastMetricAt?: number;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

/** Artillery's summary of a histogram. */
export function summarizeSketch(h: DDSketch): Record<string, number> {
  const q = (x: number): number => round1(h.getValueAtQuantile(x));
  return {
    min: round1(h.min),
    max: round1(h.max),
    count: h.count,
    mean: round1(h.sum / h.count),
    p50: q(0.5),
    median: q(0.5),
    p75: q(0.75),
    p90: q(0.9),
    p95: q(0.95),
    p99: q(0.99),
    p999: q(0.999),
  };
}

const decode = (b64: string): DDSketch => DDSketch.fromProto(Buffer.from(b64, 'base64'));

function absorb(
  into: Merging,
  p: { counters: Record<string, number>; rates: Record<string, number>; sketches: Iterable<[string, DDSketch]>; first?: number; last?: number },
): void {
  for (const [k, v] of Object.entries(p.counters)) into.counters[k] = (into.counters[k] ?? 0) + v;
  for (const [k, v] of Object.entries(p.rates)) into.rates[k] = (into.rates[k] ?? 0) + v;
  for (const [k, h] of p.sketches) {
    const held = into.sketches.get(k);
    if (held) held.merge(h);
    else into.sketches.set(k, DDSketch.fromProto(h.toProto()));
  }
  if (p.first !== undefined) into.firstMetricAt = Math.min(into.firstMetricAt ?? Infinity, p.first);
  if (p.last !== undefined) into.lastMetricAt = Math.max(into.lastMetricAt ?? -Infinity, p.last);
}

function finish(m: Merging): CombinedPeriod {
  const summaries = Object.fromEntries([...m.sketches].map(([k, h]) => [k, summarizeSketch(h)]));
  return {
    period: m.period,
    counters: m.counters,
    rates: m.rates,
    histograms: summaries,
    summaries,
    ...(m.firstMetricAt !== undefined ? { firstMetricAt: m.firstMetricAt } : {}),
    ...(m.lastMetricAt !== undefined ? { lastMetricAt: m.lastMetricAt } : {}),
  };
}

const fresh = (period: number): Merging => ({ period, counters: {}, rates: {}, sketches: new Map() });

/** The combined report of N workers' periods. */
export function combinePeriods(workers: readonly (readonly SerializedPeriod[])[]): { aggregate: CombinedPeriod; intermediate: CombinedPeriod[] } {
  const byPeriod = new Map<number, Merging>();
  for (const p of workers.flat()) {
    const m = byPeriod.get(p.period) ?? fresh(p.period);
    byPeriod.set(p.period, m);
    absorb(m, {
      counters: p.counters,
      rates: p.rates,
      sketches: Object.entries(p.histograms).map(([k, b]) => [k, decode(b)] as [string, DDSketch]),
      ...(p.firstMetricAt !== undefined ? { first: p.firstMetricAt } : {}),
      ...(p.lastMetricAt !== undefined ? { last: p.lastMetricAt } : {}),
    });
  }
  const periods = [...byPeriod.values()].sort((a, b) => a.period - b.period);
  const all = fresh(periods.length ? periods[periods.length - 1]!.period : 0);
  for (const m of periods)
    absorb(all, {
      counters: m.counters,
      rates: m.rates,
      sketches: m.sketches,
      ...(m.firstMetricAt !== undefined ? { first: m.firstMetricAt } : {}),
      ...(m.lastMetricAt !== undefined ? { last: m.lastMetricAt } : {}),
    });
  for (const k of Object.keys(all.rates)) all.rates[k] = Math.round(all.rates[k]! / Math.max(1, periods.length));
  return { aggregate: finish(all), intermediate: periods.map(finish) };
}

/** Pure: the periods a worker wrote, or why they cannot be combined (a missing `done` line: the file is not whole). */
export function parseWorkerMetrics(text: string, source: string): SerializedPeriod[] {
  const periods: SerializedPeriod[] = [];
  let done = false;
  for (const [i, raw] of text.split('\n').entries()) {
    if (!raw.trim()) continue;
    let line: WorkerMetricsLine;
    try {
      line = JSON.parse(raw) as WorkerMetricsLine;
    } catch {
      throw new PackError('LT_ARTILLERY_FAILED', `${source}, line ${i + 1}: not a worker-metrics line`);
    }
    if (line.event === 'period') periods.push(line.period);
    else if (line.event === 'done') done = true;
  }
  if (!done) throw new PackError('LT_ARTILLERY_FAILED', `${source} has no "done" line: that worker did not finish, and its metrics are not whole`);
  return periods;
}
