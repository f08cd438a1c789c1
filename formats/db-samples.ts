/**
 * <slug>.db.json: what PostgreSQL did while a scenario ran, sampled once a second on the database
 * under test, read-only (db/sampler.ts). Written by the runner, read by the reports.
 */
import * as fs from 'node:fs';
import { writeJsonAtomic } from '../lib/atomic';

/** One sample: cumulative counters as PostgreSQL reports them, and gauges at that instant. */
export interface DbSample {
  /** Epoch ms. */
  readonly t: number;
  readonly commits: number;
  readonly rollbacks: number;
  readonly deadlocks: number;
  readonly blocksHit: number;
  readonly blocksRead: number;
  /** Connections to this database by state (active, idle, idle in transaction, ...), the sampler's own aside. */
  readonly states: Readonly<Record<string, number>>;
  /** Connections waiting for a lock. */
  readonly lockWaits: number;
  /** SIRead (predicate) locks held in this database. */
  readonly predicateLocks: number;
  /** The longest running transaction, ms (0: none). */
  readonly longestTransactionMs: number;
  /** How long the sample's query took, ms (the sampler's own cost). */
  readonly sampleMs: number;
}

export interface TopStatement {
  readonly query: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
}

export interface DbSamplesFile {
  readonly version: 1;
  readonly intervalMs: number;
  readonly samples: readonly DbSample[];
  /** From pg_stat_statements over the run, by total time; `statementsNote` says why there are none. */
  readonly topStatements: readonly TopStatement[];
  readonly statementsNote: string | null;
  /** Samples that failed (the database was stopped by a fault, ...). */
  readonly failedSamples: number;
}

export function writeDbSamplesFile(file: string, f: DbSamplesFile): void {
  writeJsonAtomic(file, f);
}

/** The samples file, or null when it is missing or not one the pack wrote (the report then says so). */
export function readDbSamplesFile(file: string): DbSamplesFile | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DbSamplesFile>;
    return v.version === 1 && Array.isArray(v.samples) && Array.isArray(v.topStatements) ? (v as DbSamplesFile) : null;
  } catch {
    return null;
  }
}

/** Per second between samples: the rates and gauges the report draws (pure). */
export interface DbPoint {
  /** Epoch ms. */
  readonly t: number;
  readonly commitsPerSecond: number;
  readonly rollbacksPerSecond: number;
  readonly deadlocks: number;
  /** Buffer hit ratio over the interval, %; null when no block was touched. */
  readonly hitRatio: number | null;
  readonly states: Readonly<Record<string, number>>;
  readonly lockWaits: number;
  readonly predicateLocks: number;
  readonly longestTransactionMs: number;
}

export function dbPoints(samples: readonly DbSample[]): DbPoint[] {
  const out: DbPoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const dt = Math.max(0.001, (b.t - a.t) / 1000);
    // A counter that went down was reset (a restarted server): count from zero.
    const d = (x: number, y: number): number => (y >= x ? y - x : y);
    const hit = d(a.blocksHit, b.blocksHit);
    const read = d(a.blocksRead, b.blocksRead);
    out.push({
      t: b.t,
      commitsPerSecond: d(a.commits, b.commits) / dt,
      rollbacksPerSecond: d(a.rollbacks, b.rollbacks) / dt,
      deadlocks: d(a.deadlocks, b.deadlocks),
      hitRatio: hit + read > 0 ? (hit / (hit + read)) * 100 : null,
      states: b.states,
      lockWaits: b.lockWaits,
      predicateLocks: b.predicateLocks,
      longestTransactionMs: b.longestTransactionMs,
    });
  }
  return out;
}

/** The figures a summary and the findings need (pure). */
export interface DbHeadline {
  readonly samples: number;
  readonly commits: number;
  readonly rollbacks: number;
  readonly deadlocks: number;
  readonly firstDeadlockAt: number | null;
  readonly peakPredicateLocks: number;
  readonly peakPredicateLocksAt: number | null;
  readonly peakLockWaits: number;
  readonly longestTransactionMs: number;
  readonly hitRatio: number | null;
  /** The sampler's own cost: one query per sample. */
  readonly sampleMeanMs: number | null;
  readonly sampleMaxMs: number | null;
}

export function dbHeadline(f: Pick<DbSamplesFile, 'samples'>): DbHeadline {
  const s = f.samples;
  const points = dbPoints(s);
  const sum = (g: (p: DbPoint) => number): number => points.reduce((n, p) => n + g(p), 0);
  const dt = (p: DbPoint, i: number): number => (p.t - s[i]!.t) / 1000;
  const firstDeadlock = points.find((p) => p.deadlocks > 0);
  const peak = points.reduce<DbPoint | null>((m, p) => (m === null || p.predicateLocks > m.predicateLocks ? p : m), null);
  const hit = s.length > 1 ? s[s.length - 1]!.blocksHit - s[0]!.blocksHit : 0;
  const read = s.length > 1 ? s[s.length - 1]!.blocksRead - s[0]!.blocksRead : 0;
  return {
    samples: s.length,
    commits: Math.round(points.reduce((n, p, i) => n + p.commitsPerSecond * dt(p, i), 0)),
    rollbacks: Math.round(points.reduce((n, p, i) => n + p.rollbacksPerSecond * dt(p, i), 0)),
    deadlocks: sum((p) => p.deadlocks),
    firstDeadlockAt: firstDeadlock?.t ?? null,
    peakPredicateLocks: peak?.predicateLocks ?? 0,
    peakPredicateLocksAt: peak && peak.predicateLocks > 0 ? peak.t : null,
    peakLockWaits: Math.max(0, ...s.map((x) => x.lockWaits)),
    longestTransactionMs: Math.max(0, ...s.map((x) => x.longestTransactionMs)),
    hitRatio: hit + read > 0 && hit >= 0 && read >= 0 ? (hit / (hit + read)) * 100 : null,
    sampleMeanMs: s.length ? s.reduce((n, x) => n + x.sampleMs, 0) / s.length : null,
    sampleMaxMs: s.length ? Math.max(...s.map((x) => x.sampleMs)) : null,
  };
}
