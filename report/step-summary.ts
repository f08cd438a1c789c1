/**
 * The GitHub Actions job summary ($GITHUB_STEP_SUMMARY): the verdict, why, and one table of the
 * criteria, in GitHub-flavoured Markdown. Pure: text from a run summary.
 */
import { DECISION_MEANING, RunCriteria, rowState } from '../formats/summary';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderStepSummary(s: RunCriteria): string {
  const icon = { GO: '✅', CONDITIONAL: '⚠️', 'NO-GO': '❌', UNKNOWN: '❔' }[s.decision];
  const lines = [`## ${icon} Load test ${s.runId} (${s.profile}): ${s.decision}`, '', DECISION_MEANING[s.decision].meaning, ''];
  if (s.reasons.length) lines.push(...s.reasons.map((r) => `- ${cell(r)}`), '');
  if (s.warnings.length) lines.push(...s.warnings.map((w) => `- ⚠️ ${cell(w)}`), '');
  lines.push('| scenario | criterion | limit | measured | result |', '|---|---|---|---|---|');
  for (const sc of s.scenarios)
    for (const r of sc.rows)
      lines.push(`| ${cell(sc.id)} | ${cell(r.name)} | ${cell(r.limit)} | ${cell(r.measured)} | ${rowState(r) === 'FAIL' ? '**FAIL**' : rowState(r)} |`);
  return `${lines.join('\n')}\n`;
}
