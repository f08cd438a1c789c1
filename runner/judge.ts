/**
 * Turning measurements into rows of the summary and a GO / CONDITIONAL / NO-GO decision, as
 * pure functions. The rule is the plan's (seeds/004, "Success Definition"):
 *
 *   GO           every criterion passes, integrity returns 0 rows, nothing crashed;
 *   NO-GO        a correctness check fails (overbooking, lost or extra writes, exact counts),
 *                a performance threshold is exceeded by more than 50 %, or something crashed;
 *   CONDITIONAL  otherwise: only performance thresholds missed, each by 50 % or less.
 */
import { CriterionResult, formatLimit, formatValue } from 'artillery-plugin-isolation';
import { IntegrityResult, judgeIntegrity } from '../verify/integrity';
import type { ReconciliationResult } from '../verify/reconciliation';

export type CheckKind = 'correctness' | 'performance';

export interface CheckRow {
  readonly scenario: string;
  readonly name: string;
  readonly limit: string;
  readonly measured: string;
  readonly pass: boolean;
  readonly kind: CheckKind;
  /** For a failed performance check: how far past the limit, as a fraction of it. */
  readonly overBy: number | null;
}

export type Decision = 'GO' | 'CONDITIONAL' | 'NO-GO';

/** How far a measured value is past a limit, relative to the limit (0 when it passes). */
export function exceedance(r: CriterionResult): number | null {
  const m = r.measured;
  const c = r.criterion;
  if (m === null) return null;
  if (r.pass) return 0;
  const rel = (a: number, b: number): number => (b === 0 ? Infinity : Math.abs(a - b) / Math.abs(b));
  switch (c.op) {
    case 'lt':
    case 'lte':
      return rel(m, c.limit);
    case 'gt':
    case 'gte':
      return rel(m, c.limit);
    case 'between':
      return m < c.limit ? rel(m, c.limit) : rel(m, c.upper ?? c.limit);
    case 'eq':
      return rel(m, c.limit);
  }
}

export function criterionRow(scenario: string, r: CriterionResult): CheckRow {
  const kind: CheckKind = r.criterion.op === 'eq' ? 'correctness' : 'performance';
  return {
    scenario,
    name: r.criterion.name,
    limit: formatLimit(r.criterion),
    measured: formatValue(r.measured, r.criterion.unit),
    pass: r.pass,
    kind,
    overBy: r.pass ? null : exceedance(r),
  };
}

export function decide(rows: readonly CheckRow[], crashes: readonly string[]): { decision: Decision; reasons: string[] } {
  const reasons: string[] = [];
  let decision: Decision = 'GO';
  for (const c of crashes) reasons.push(`crash: ${c}`);
  if (crashes.length > 0) decision = 'NO-GO';
  for (const r of rows) {
    if (r.pass) continue;
    if (r.kind === 'correctness') {
      decision = 'NO-GO';
      reasons.push(`${r.scenario}: ${r.name} failed (limit ${r.limit}, measured ${r.measured})`);
    } else if (r.overBy === null || r.overBy > 0.5) {
      decision = 'NO-GO';
      reasons.push(`${r.scenario}: ${r.name} missed by more than 50% (limit ${r.limit}, measured ${r.measured})`);
    } else {
      if (decision === 'GO') decision = 'CONDITIONAL';
      reasons.push(`${r.scenario}: ${r.name} missed by ${(r.overBy * 100).toFixed(0)}% (limit ${r.limit}, measured ${r.measured})`);
    }
  }
  return { decision, reasons };
}

/** The summary row of the integrity check (zero rows is the pass). */
export function integrityRow(scenario: string, integrity: IntegrityResult): CheckRow {
  const verdict = judgeIntegrity(integrity);
  return {
    scenario,
    name: 'integrity check returns 0 rows (no overbooking)',
    limit: '0 rows',
    measured: `${integrity.rows.length} rows${verdict.valid ? '' : ` (${Object.entries(verdict.errors).map(([t, s]) => `${s.count} ${t}`).join(', ')})`}`,
    pass: verdict.valid === true,
    kind: 'correctness',
    overBy: null,
  };
}

/** The summary row of the reconciliation: lost / duplicated / unexpected writes. */
export function reconciliationRow(scenario: string, r: ReconciliationResult): CheckRow {
  const c = r.counts;
  return {
    scenario,
    name: 'no lost, duplicated or unexpected writes (reconciliation)',
    limit: '0 / 0 / 0',
    measured:
      r.mode === 'history'
        ? `${c.lost ?? 0} / ${c.duplicated ?? 0} / ${c.unexpected ?? 0}${c.bounds ? `, ${c.bounds} out of bounds` : ''}${c.unattributed ? `, ${c.unattributed} unattributed` : ''}`
        : `${r.verdict.valid} (${r.mode} mode)`,
    pass: r.verdict.valid === true,
    kind: 'correctness',
    overBy: null,
  };
}
