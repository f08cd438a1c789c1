/**
 * The report's Pressure section (load-test:swarm): the writers' throughput without and with the
 * pressure reads, the reads' latency under the write load, and what the database says of the
 * contention (serialization retries and failures, deadlocks, predicate locks). The pressure's span
 * is shaded on the time charts. Pure.
 */
import type { PressureOutcome } from '../formats/summary';
import type { Chart } from './model';

export interface PressureSection {
  readonly rows: readonly (readonly [string, string])[];
  readonly charts: readonly Chart[];
}

const num = (v: number | null, digits = 0, unit = ''): string => (v === null ? 'not measured' : `${v.toFixed(digits)}${unit}`);

export function pressureBand(p: PressureOutcome | undefined, t0: number): { label: string; from: number; to: number }[] {
  if (!p || p.pressureFromMs === null || p.pressureToMs === null) return [];
  return [{ label: 'pressure reads', from: (p.pressureFromMs - t0) / 1000, to: (p.pressureToMs - t0) / 1000 }];
}

export function pressureSection(p: PressureOutcome): PressureSection {
  const rows: [string, string][] = [
    ['write throughput without the pressure', `${num(p.writeTpsWithout, 1, '/s')} (first ${p.afterSeconds} s, a second trimmed at each end)`],
    ['write throughput with the pressure', `${num(p.writeTpsWith, 1, '/s')} (from ${p.afterSeconds} s to the end)`],
    ['with / without', p.writeRatio === null ? 'not measured' : `${(p.writeRatio * 100).toFixed(0)}%`],
    ['pressure reads', `${num(p.reads)} sent, ${num(p.readsFailed)} failed`],
    [
      'read latency under the write load (time to first byte)',
      `p50 ${num(p.readP50, 1, ' ms')}, p95 ${num(p.readP95, 1, ' ms')}, p99 ${num(p.readP99, 1, ' ms')}`,
    ],
    ['serialization retries (API)', num(p.serializationRetries)],
    ['serialization failures answered 409 (retries exhausted)', num(p.serializationConflicts)],
    ['deadlocks (database)', num(p.deadlocks)],
    ['rollbacks (database)', num(p.rollbacks)],
    ['peak SIRead predicate locks', num(p.peakPredicateLocks)],
  ];
  const charts: Chart[] = [
    {
      id: 'pressure-writes',
      title: 'Write throughput without and with the pressure',
      kind: 'bar',
      unit: 'writes/s',
      labels: ['without', 'with'],
      series: [{ label: 'acknowledged writes per second', values: [p.writeTpsWithout, p.writeTpsWith] }],
    },
    {
      id: 'pressure-reads',
      title: 'Pressure reads under the write load',
      kind: 'bar',
      unit: 'ms',
      labels: ['p50', 'p95', 'p99'],
      series: [{ label: 'read time to first byte', values: [p.readP50, p.readP95, p.readP99] }],
    },
  ];
  return { rows, charts };
}
