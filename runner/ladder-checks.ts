/**
 * The exact-count ladder's steps and its checks, as pure functions (runner/ladder.ts runs it).
 */
import type { PoolStats } from './api-client';
import type { CheckRow } from './judge';

export const LADDER_STEPS = [
  { claims: 100, stock: 10 },
  { claims: 200, stock: 20 },
  { claims: 500, stock: 50 },
] as const;

export interface LadderStepResult {
  readonly claims: number;
  readonly stock: number;
  readonly succeeded: number;
  readonly rejected: number;
  readonly failed: number;
  readonly remaining: number | null;
  /** First claim sent to last answer received, from the operation history (ms). */
  readonly burstMs: number | null;
  readonly maxLatencyMs: number | null;
  readonly pool: PoolStats | null;
  readonly rows: readonly CheckRow[];
}

export function ladderRows(r: Omit<LadderStepResult, 'rows'>): CheckRow[] {
  const scenario = `ladder ${r.claims}`;
  const row = (name: string, limit: string, measured: string, pass: boolean): CheckRow => ({ scenario, name, limit, measured, pass, kind: 'correctness', overBy: null });
  return [
    row('claims that succeed', `= ${r.stock}`, String(r.succeeded), r.succeeded === r.stock),
    row('claims refused with 409', `= ${r.claims - r.stock}`, String(r.rejected), r.rejected === r.claims - r.stock),
    row('requests that failed otherwise', '= 0', String(r.failed), r.failed === 0),
    row('remaining stock', '= 0', r.remaining === null ? 'missing' : String(r.remaining), r.remaining === 0),
    row(
      'requests failed for want of a pooled connection',
      '= 0',
      r.pool ? `${r.pool.timeouts} (max in use ${r.pool.maxInUse}/${r.pool.max}, ${r.pool.waits} waited)` : 'not measured (target has no /internal/pool)',
      r.pool === null || (r.pool.timeouts === 0 && r.pool.errors === 0),
    ),
  ];
}
