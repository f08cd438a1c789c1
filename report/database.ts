/**
 * The report's Database section (pure): what PostgreSQL did while the load ran, from the
 * sampler's file (formats/db-samples.ts), on the same time axis as the other charts (seconds
 * from the report's first period), and the findings it supports.
 */
import { DbSamplesFile, TopStatement, dbHeadline, dbPoints } from '../formats/db-samples';
import type { Chart } from './model';

export interface DatabaseSection {
  readonly charts: readonly Chart[];
  readonly findings: readonly string[];
  readonly top: readonly TopStatement[];
  readonly notes: readonly string[];
}

const clock = (s: number): string => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;
const fmt = (v: number, digits = 1): string => (Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(digits));

/**
 * `t0`: epoch ms of the report's first period (null: the first sample's). `retriesAt`: the API's
 * SERIALIZABLE retries per period start (seconds), to say whether they rose with the predicate locks.
 */
export function databaseSection(
  f: DbSamplesFile,
  t0: number | null,
  bands: Chart['bands'],
  retriesAt: readonly { t: number; retries: number }[],
): DatabaseSection {
  const points = dbPoints(f.samples);
  const h = dbHeadline(f);
  const origin = t0 ?? f.samples[0]?.t ?? 0;
  const sec = (t: number): number => Math.round((t - origin) / 100) / 10;
  const labels = points.map((p) => sec(p.t));
  const withBands = bands && bands.length > 0 ? { bands } : {};
  const states = [...new Set(points.flatMap((p) => Object.keys(p.states)))].sort();
  const charts: Chart[] =
    points.length === 0
      ? []
      : [
          {
            id: 'db-transactions',
            title: 'Database: commits and rollbacks per second (serialization failures roll back)',
            kind: 'line',
            unit: 'per second',
            labels,
            ...withBands,
            series: [
              { label: 'commits/s', values: points.map((p) => p.commitsPerSecond) },
              { label: 'rollbacks/s', values: points.map((p) => p.rollbacksPerSecond) },
              { label: 'deadlocks', values: points.map((p) => p.deadlocks) },
            ],
          },
          {
            id: 'db-locks',
            title: 'Database: predicate (SIRead) locks and lock waits',
            kind: 'line',
            unit: 'locks',
            labels,
            ...withBands,
            series: [
              { label: 'SIRead locks', values: points.map((p) => p.predicateLocks) },
              { label: 'connections waiting for a lock', values: points.map((p) => p.lockWaits) },
            ],
          },
          {
            id: 'db-connections',
            title: 'Database: connections by state',
            kind: 'stacked',
            unit: 'connections',
            labels,
            ...withBands,
            series: states.map((s) => ({ label: s, values: points.map((p) => p.states[s] ?? 0) })),
          },
          {
            id: 'db-longest',
            title: 'Database: longest running transaction and buffer hit ratio',
            kind: 'line',
            unit: 'ms / %',
            labels,
            ...withBands,
            series: [
              { label: 'longest transaction (ms)', values: points.map((p) => p.longestTransactionMs) },
              { label: 'buffer hit ratio (%)', values: points.map((p) => p.hitRatio) },
            ],
          },
        ];
  const findings: string[] = [];
  if (points.length > 0) {
    findings.push(
      `Database: ${fmt(h.commits)} commits and ${fmt(h.rollbacks)} rollbacks (PostgreSQL counts no serialization failure apart: they are among the rollbacks); ${
        h.deadlocks === 0 ? 'no deadlock' : `${h.deadlocks} deadlock(s), the first at ${clock((h.firstDeadlockAt! - origin) / 1000)}`
      }; lock waits peaked at ${h.peakLockWaits}; the longest transaction ran ${fmt(Math.round(h.longestTransactionMs))} ms${
        h.hitRatio === null ? '' : `; buffer hit ratio ${h.hitRatio.toFixed(2)}%`
      }.`,
    );
    if (h.peakPredicateLocksAt !== null) {
      const peakS = (h.peakPredicateLocksAt - origin) / 1000;
      const worst = retriesAt.reduce<{ t: number; retries: number } | null>((w, x) => (!w || x.retries > w.retries ? x : w), null);
      const together = worst && worst.retries > 0 && peakS >= worst.t && peakS < worst.t + 10;
      findings.push(
        `Predicate (SIRead) locks peaked at ${fmt(h.peakPredicateLocks)} at ${clock(peakS)}${
          worst && worst.retries > 0
            ? together
              ? `; the API's retries peaked in the same period (${fmt(worst.retries)} from ${worst.t} s): retries rose with the predicate locks.`
              : `; the API's retries peaked elsewhere (${fmt(worst.retries)} from ${worst.t} s).`
            : '.'
        }`,
      );
    }
    const total = f.topStatements.reduce((n, s) => n + s.totalMs, 0);
    const first = f.topStatements[0];
    if (first && total > 0)
      findings.push(
        `Top statement by database time: ${first.query.slice(0, 80)}… (${((first.totalMs / total) * 100).toFixed(0)}% of the top statements' time, ${fmt(first.calls)} calls, ${first.meanMs.toFixed(2)} ms each).`,
      );
  }
  const notes = [
    `Sampled once a second, one read-only query each (${h.samples} samples${f.failedSamples ? `, ${f.failedSamples} failed while the database was away` : ''}); the sampler's own cost: ${
      h.sampleMeanMs === null ? '–' : `${h.sampleMeanMs.toFixed(2)} ms`
    } per query on average, ${h.sampleMaxMs === null ? '–' : `${h.sampleMaxMs.toFixed(2)} ms`} at most.`,
    ...(f.statementsNote ? [f.statementsNote] : []),
  ];
  return { charts, findings, top: f.topStatements, notes };
}
