/**
 * The database sampler's pure parts: rates between samples (a restarted server's counters), the
 * headline, the top statements over a run, and the findings of the report's Database section.
 */
import { DbSample, dbHeadline, dbPoints } from '../../formats/db-samples';
import { topStatements } from '../../db/sampler';
import { databaseSection } from '../../report/database';

const sample = (t: number, over: Partial<DbSample> = {}): DbSample => ({
  t,
  commits: 0,
  rollbacks: 0,
  deadlocks: 0,
  blocksHit: 0,
  blocksRead: 0,
  states: { active: 1, idle: 3 },
  lockWaits: 0,
  predicateLocks: 0,
  longestTransactionMs: 0,
  sampleMs: 1,
  ...over,
});

const T0 = 1_000_000;
const samples = [
  sample(T0, { commits: 100, rollbacks: 5, blocksHit: 1000, blocksRead: 0 }),
  sample(T0 + 1000, { commits: 150, rollbacks: 9, blocksHit: 1900, blocksRead: 100, predicateLocks: 40, lockWaits: 2 }),
  sample(T0 + 2000, { commits: 230, rollbacks: 9, deadlocks: 1, blocksHit: 2800, blocksRead: 100, predicateLocks: 300, longestTransactionMs: 850 }),
  // the server restarted (a pg-stop fault): its counters start again from zero
  sample(T0 + 3000, { commits: 20, rollbacks: 1, deadlocks: 0, blocksHit: 50, blocksRead: 10 }),
];

describe('database samples', () => {
  it('turns cumulative counters into rates, and counts from zero after a restart', () => {
    const p = dbPoints(samples);
    expect(p.map((x) => x.commitsPerSecond)).toEqual([50, 80, 20]);
    expect(p.map((x) => x.rollbacksPerSecond)).toEqual([4, 0, 1]);
    expect(p.map((x) => x.deadlocks)).toEqual([0, 1, 0]);
    expect(p[0]!.hitRatio).toBeCloseTo(90);
    expect(dbPoints(samples.slice(0, 1))).toEqual([]);
  });

  it('headline: totals, the first deadlock, the predicate-lock peak, the longest transaction, the sampler cost', () => {
    const h = dbHeadline({ samples });
    expect(h).toMatchObject({
      samples: 4,
      commits: 150,
      rollbacks: 5,
      deadlocks: 1,
      firstDeadlockAt: T0 + 2000,
      peakPredicateLocks: 300,
      peakPredicateLocksAt: T0 + 2000,
    });
    expect(h.longestTransactionMs).toBe(850);
    expect(h.peakLockWaits).toBe(2);
    expect(h.sampleMeanMs).toBe(1);
  });

  it('top statements: the time spent during the run (after minus before), largest first', () => {
    const before = [
      { id: '1', query: 'SELECT apply_unit_operation($1)', calls: 10, total_ms: 100 },
      { id: '2', query: 'SELECT 1', calls: 5, total_ms: 1 },
    ];
    const after = [
      { id: '1', query: 'SELECT apply_unit_operation($1)', calls: 110, total_ms: 400 },
      { id: '2', query: 'SELECT 1', calls: 5, total_ms: 1 },
      { id: '3', query: 'SELECT\n  sum(units)   FROM unit_ledger', calls: 2, total_ms: 500 },
    ];
    expect(topStatements(before, after)).toEqual([
      { query: 'SELECT sum(units) FROM unit_ledger', calls: 2, totalMs: 500, meanMs: 250 },
      { query: 'SELECT apply_unit_operation($1)', calls: 100, totalMs: 300, meanMs: 3 },
    ]);
  });

  it('findings: deadlocks and when, and whether retries rose with the predicate locks (and a control where they did not)', () => {
    const file = { version: 1 as const, intervalMs: 1000, samples, topStatements: [], statementsNote: 'pg_stat_statements is not available', failedSamples: 1 };
    const together = databaseSection(
      file,
      T0,
      [],
      [
        { t: 0, retries: 50 },
        { t: 10, retries: 3 },
      ],
    );
    expect(together.findings.join('\n')).toContain('1 deadlock(s), the first at 0:02');
    expect(together.findings.join('\n')).toContain('retries rose with the predicate locks');
    expect(together.notes.join('\n')).toContain('1 failed while the database was away');
    expect(together.notes).toContain('pg_stat_statements is not available');
    expect(together.charts.map((c) => c.id)).toEqual(['db-transactions', 'db-locks', 'db-connections', 'db-longest']);
    const apart = databaseSection(
      file,
      T0,
      [],
      [
        { t: 0, retries: 1 },
        { t: 10, retries: 40 },
      ],
    );
    expect(apart.findings.join('\n')).toContain("the API's retries peaked elsewhere");
  });
});
