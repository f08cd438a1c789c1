/**
 * Criteria that need the run's time series (Artillery's intermediate periods), not only its
 * aggregate: the request rate sustained after the ramp, and the conflict rate over time.
 */
import { ArtilleryReport, TimedPeriod, timeline } from '../report/artillery-json';

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

/** Conflict rate (409 / requests) of each third of the run, by periods. */
export function conflictRateByThird(report: ArtilleryReport): (number | null)[] {
  const t = timeline(report).filter((x) => (x.p.counters['isolation.requests'] ?? 0) > 0);
  const thirds: TimedPeriod[][] = [[], [], []];
  t.forEach((x, i) => thirds[Math.min(2, Math.floor((i * 3) / t.length))]!.push(x));
  return thirds.map((g) => {
    const req = g.reduce((n, x) => n + (x.p.counters['isolation.requests'] ?? 0), 0);
    const con = g.reduce((n, x) => n + (x.p.counters['isolation.conflicts'] ?? 0), 0);
    return req > 0 ? con / req : null;
  });
}
