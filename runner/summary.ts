/**
 * The end-of-run summary: a table of every criterion with its limit, the measured value and
 * PASS/FAIL for each scenario, then the GO/NO-GO line. Pure: text from a PlanOutcome.
 */
import type { CheckRow, Decision } from './judge';

export interface SummaryInput {
  readonly runId: string;
  readonly profile: string;
  readonly scenarios: readonly { readonly id: string; readonly rows: readonly CheckRow[] }[];
  readonly crashes: readonly string[];
  readonly decision: Decision;
  readonly reasons: readonly string[];
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function decisionLine(decision: Decision): string {
  switch (decision) {
    case 'GO':
      return 'GO: every criterion passed, integrity returned 0 rows, nothing crashed';
    case 'CONDITIONAL':
      return 'CONDITIONAL: correct, but performance thresholds were missed by 50% or less (optimize before relying on it)';
    case 'NO-GO':
      return 'NO-GO: a correctness check failed, a threshold was missed by more than 50%, or something crashed';
  }
}

export function formatSummary(s: SummaryInput): string {
  const rows = s.scenarios.flatMap((sc) => sc.rows.map((r) => [sc.id, r.name, r.limit, r.measured, r.pass ? 'PASS' : 'FAIL']));
  const lines = [`=== Summary: run ${s.runId}, profile ${s.profile} ===`, table(['scenario', 'criterion', 'limit', 'measured', 'result'], rows)];
  for (const c of s.crashes) lines.push(`crash: ${c}`);
  if (s.reasons.length > 0) lines.push('', 'why:', ...s.reasons.map((r) => `  - ${r}`));
  lines.push('', `VERDICT: ${decisionLine(s.decision)}`);
  return lines.join('\n');
}
