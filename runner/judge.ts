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
import type { CheckRow, Decision, IntegrityResult, ReconciliationResult, ReplayResult } from '../formats/summary';
import { judgeIntegrity } from '../verify/integrity';

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

/** The summary row of one YAML criterion; its kind is the one the YAML gives (never guessed from the operator). */
export function criterionRow(scenario: string, r: CriterionResult): CheckRow {
  return {
    scenario,
    name: r.criterion.name,
    limit: formatLimit(r.criterion),
    measured: formatValue(r.measured, r.criterion.unit),
    pass: r.pass,
    kind: r.criterion.kind,
    overBy: r.pass ? null : exceedance(r),
    measure: {
      value: r.measured,
      op: r.criterion.op,
      limit: r.criterion.limit,
      ...(r.criterion.upper !== undefined ? { upper: r.criterion.upper } : {}),
      unit: r.criterion.unit,
    },
  };
}

/**
 * The verdict, worst first: NO-GO (a correctness failure, a performance miss over 50 %, a crash)
 * beats UNKNOWN (a correctness check could not be made), which beats CONDITIONAL (performance
 * missed by 50 % or less, or a check that cannot support a GO on its own), which beats GO.
 */
export function decide(rows: readonly CheckRow[], crashes: readonly string[]): { decision: Decision; reasons: string[] } {
  const reasons: string[] = [];
  let nogo = crashes.length > 0;
  let unknown = false;
  let conditional = false;
  for (const c of crashes) reasons.push(`crash: ${c}`);
  for (const r of rows) {
    if (r.pass) {
      if (r.capsAt === 'CONDITIONAL') {
        conditional = true;
        reasons.push(`${r.scenario}: ${r.name} passed, but ${r.measured} cannot support a GO on its own`);
      }
      continue;
    }
    if (r.unknown) {
      unknown = true;
      reasons.push(`${r.scenario}: ${r.name} could not be checked (${r.measured})`);
    } else if (r.kind === 'correctness') {
      nogo = true;
      reasons.push(`${r.scenario}: ${r.name} failed (limit ${r.limit}, measured ${r.measured})`);
    } else if (r.overBy === null || r.overBy > 0.5) {
      nogo = true;
      reasons.push(`${r.scenario}: ${r.name} missed by more than 50% (limit ${r.limit}, measured ${r.measured})`);
    } else {
      conditional = true;
      reasons.push(`${r.scenario}: ${r.name} missed by ${(r.overBy * 100).toFixed(0)}% (limit ${r.limit}, measured ${r.measured})`);
    }
  }
  return { decision: nogo ? 'NO-GO' : unknown ? 'UNKNOWN' : conditional ? 'CONDITIONAL' : 'GO', reasons };
}

/** The summary row of the integrity check (zero rows is the pass). */
export function integrityRow(scenario: string, integrity: IntegrityResult): CheckRow {
  const verdict = judgeIntegrity(integrity);
  return {
    scenario,
    name: 'integrity check returns 0 rows (no overbooking)',
    limit: '0 rows',
    measured: `${integrity.rows.length} rows${
      verdict.valid
        ? ''
        : ` (${Object.entries(verdict.errors)
            .map(([t, s]) => `${s.count} ${t}`)
            .join(', ')})`
    }`,
    pass: verdict.valid === true,
    kind: 'correctness',
    overBy: null,
  };
}

/** The summary row of the reconciliation: lost / duplicated / unexpected writes, or why it could not be made. */
export function reconciliationRow(scenario: string, r: ReconciliationResult): CheckRow {
  const c = r.counts;
  const gaps = Object.entries(r.verdict.errors)
    .filter(([t]) => /^(completeness|baseline)\./.test(t) || t === 'history.unattributed')
    .map(([t, s]) => `${s.count} ${t.replace(/^[a-z]+\./, '').replace(/_/g, ' ')}`);
  const other = ['mismatched', 'contradicted']
    .filter((t) => (c[t] ?? 0) > 0)
    .map((t) => `, ${c[t]} ${t}`)
    .join('');
  const measured =
    r.mode === 'history'
      ? `${c.lost ?? 0} / ${c.duplicated ?? 0} / ${c.unexpected ?? 0}${other}${c.bounds ? `, ${c.bounds} out of bounds` : ''}${gaps.length ? ` (unknown: ${gaps.join(', ')})` : ''}`
      : r.mode === 'counters'
        ? `valid ${String(r.verdict.valid)} in counters mode (no history: lost and duplicated writes that cancel out are invisible)`
        : `not reconciled: ${r.verdict.note ?? 'no history and no report'}`;
  return {
    scenario,
    name: 'no lost, duplicated or unexpected writes (reconciliation)',
    limit: '0 / 0 / 0',
    measured,
    pass: r.verdict.valid === true,
    kind: 'correctness',
    overBy: null,
    ...(r.verdict.valid === 'unknown' ? { unknown: true } : {}),
    ...(r.mode === 'counters' && r.verdict.valid === true ? { capsAt: 'CONDITIONAL' as const } : {}),
  };
}

/** The summary row of the ledger replay: overbooking at any moment, not only at the end. */
export function replayRow(scenario: string, r: ReplayResult): CheckRow {
  const worst = r.verdict ? Object.values(r.verdict.errors)[0] : undefined;
  return {
    scenario,
    name: 'never overbooked at any moment (ledger replayed in order)',
    limit: '0 authorizations',
    measured: !r.checked
      ? 'not checked: no ledger-order.sql beside VERIFY_SQL (the schema gives the ledger no order)'
      : worst
        ? `${worst.count} authorization(s); worst ${JSON.stringify(worst.worst)}`
        : `0 authorizations (${r.counts.rows ?? 0} ledger rows replayed)`,
    pass: !r.checked || r.verdict?.valid === true,
    kind: 'correctness',
    overBy: null,
  };
}
