/**
 * The end-of-run summary: a table of every criterion with its limit, the measured value and
 * PASS/FAIL for each scenario, then the GO/NO-GO line. Pure: text from a run summary.
 */
import { CheckRow, DECISION_MEANING, Decision, PressureOutcome, RunSummary, rowState } from '../formats/summary';
import { pressureSection } from '../report/pressure';
import { table } from '../lib/text-table';

export type SummaryInput = Pick<RunSummary, 'runId' | 'profile' | 'crashes' | 'decision' | 'reasons' | 'warnings'> & {
  readonly scenarios: readonly { readonly id: string; readonly rows: readonly CheckRow[]; readonly pressure?: PressureOutcome }[];
};

export function decisionLine(decision: Decision): string {
  return `${decision}: ${DECISION_MEANING[decision].meaning}`;
}

export function formatSummary(s: SummaryInput): string {
  const rows = s.scenarios.flatMap((sc) => sc.rows.map((r) => [sc.id, r.name, r.limit, r.measured, rowState(r)]));
  const lines = [`=== Summary: run ${s.runId}, profile ${s.profile} ===`, table(['scenario', 'criterion', 'limit', 'measured', 'result'], rows)];
  for (const sc of s.scenarios)
    if (sc.pressure)
      lines.push(
        '',
        `=== Pressure: ${sc.id} ===`,
        table(
          ['figure', 'value'],
          pressureSection(sc.pressure).rows.map(([k, v]) => [k, v]),
        ),
      );
  for (const c of s.crashes) lines.push(`crash: ${c}`);
  if (s.reasons.length > 0) lines.push('', 'why:', ...s.reasons.map((r) => `  - ${r}`));
  if (s.warnings.length > 0) lines.push('', 'warnings:', ...s.warnings.map((w) => `  - ${w}`));
  lines.push('', `VERDICT: ${decisionLine(s.decision)}`);
  return lines.join('\n');
}
