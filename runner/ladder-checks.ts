/**
 * The exact-count ladder's steps and its checks, as pure functions (runner/ladder.ts runs it).
 */
import type { CheckRow, PoolStats } from '../formats/summary';

export const LADDER_STEPS = [
  { claims: 100, stock: 10 },
  { claims: 200, stock: 20 },
  { claims: 500, stock: 50 },
] as const;

export interface LadderStepResult {
  readonly claims: number;
  readonly stock: number;
  /** null: the report lacks the metric (not measured), which fails the step. */
  readonly succeeded: number | null;
  readonly rejected: number | null;
  readonly failed: number | null;
  readonly remaining: number | null;
  /** First claim sent to last answer received, from the operation history (ms). */
  readonly burstMs: number | null;
  readonly maxLatencyMs: number | null;
  readonly pool: PoolStats | null;
  readonly rows: readonly CheckRow[];
}

const shown = (v: number | null): string => (v === null ? 'not measured' : String(v));

export function ladderRows(r: Omit<LadderStepResult, 'rows'>): CheckRow[] {
  const scenario = `ladder ${r.claims}`;
  const row = (name: string, limit: string, measured: string, pass: boolean): CheckRow => ({
    scenario,
    name,
    limit,
    measured,
    pass,
    kind: 'correctness',
    overBy: null,
  });
  return [
    row('claims that succeed', `= ${r.stock}`, shown(r.succeeded), r.succeeded === r.stock),
    row('claims refused with 409', `= ${r.claims - r.stock}`, shown(r.rejected), r.rejected === r.claims - r.stock),
    row('requests that failed otherwise', '= 0', shown(r.failed), r.failed === 0),
    row('remaining stock', '= 0', r.remaining === null ? 'missing' : String(r.remaining), r.remaining === 0),
    row(
      'requests failed for want of a pooled connection',
      '= 0',
      r.pool ? `${r.pool.timeouts} (max in use ${r.pool.maxInUse}/${r.pool.max}, ${r.pool.waits} waited)` : 'not measured (target has no /internal/pool)',
      r.pool === null || (r.pool.timeouts === 0 && r.pool.errors === 0),
    ),
  ];
}
