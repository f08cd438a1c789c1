/**
 * PERFORMANCE_TEST_RESULTS.md, as the plan's "Next Steps" describe it (seeds/004), with the
 * findings template of seeds/002. Pure: markdown from the run summary and the headline numbers.
 */
import { DECISION_MEANING, Decision, RunSummary, ScenarioOutcome, rowState } from '../formats/summary';
import type { Headline, ScenarioContext } from './model';

/** A run summary as the Markdown uses it: each scenario needs only what the report shows. */
export type ResultsInput = Omit<RunSummary, 'scenarios'> & { readonly scenarios: readonly (ScenarioContext & Pick<ScenarioOutcome, 'reportFile'>)[] };

const f = (v: number | null, unit = '', digits = 1): string => (v === null ? '–' : `${Number.isInteger(v) ? v : v.toFixed(digits)}${unit}`);
const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);

export function decisionText(d: Decision): string {
  const { meaning, qualifier } = DECISION_MEANING[d];
  return `**${d}**${qualifier ? ` (${qualifier})` : ''}: ${meaning}.`;
}

export function renderResultsMarkdown(s: ResultsInput, headlines: ReadonlyMap<string, Headline>, findings: ReadonlyMap<string, readonly string[]>): string {
  const pass = s.decision === 'GO';
  const lines: string[] = [];
  lines.push('# Performance Test Results', '');
  lines.push(`Run \`${s.runId}\`, profile \`${s.profile}\`, from ${s.startedAt} to ${s.endedAt}.`);
  lines.push(
    `Target ${s.target} (API mode \`${s.apiMode}\`); commit \`${String(s.meta?.commit ?? 'unknown')}\`; Artillery ${String(s.meta?.artillery ?? '?')}, PostgreSQL ${String(s.meta?.postgres ?? '?')}, Node.js ${String(s.meta?.node ?? '?')}.`,
    '',
  );
  lines.push('## Executive summary', '');
  lines.push(`**${pass ? 'PASS' : 'FAIL'}**. ${decisionText(s.decision)}`, '');
  if (s.reasons.length) lines.push(...s.reasons.map((r) => `- ${r}`), '');
  if (s.warnings.length) lines.push('Warnings:', '', ...s.warnings.map((w) => `- ${w}`), '');
  lines.push('| scenario | criteria passed | p95 | p99 | RPS | 409 rate | integrity | lost / duplicated / unexpected |', '|---|---|---|---|---|---|---|---|');
  for (const sc of s.scenarios) {
    const h = headlines.get(sc.id);
    const rc = sc.reconciliation?.counts ?? {};
    lines.push(
      `| ${sc.id} ${sc.title} | ${sc.rows.filter((r) => r.pass).length} of ${sc.rows.length} | ${f(h?.p95 ?? null, ' ms')} | ${f(h?.p99 ?? null, ' ms')} | ${f(h?.rps ?? null)} | ${pct(h?.conflictRate ?? null)} | ${sc.integrity ? `${sc.integrity.rows.length} rows` : '–'} | ${sc.reconciliation?.mode === 'history' ? `${rc.lost ?? 0} / ${rc.duplicated ?? 0} / ${rc.unexpected ?? 0}` : (sc.reconciliation?.mode ?? '–')} |`,
    );
  }
  lines.push('');
  lines.push('## Detailed metrics', '');
  for (const sc of s.scenarios) {
    const h = headlines.get(sc.id);
    lines.push(`### ${sc.id}: ${sc.title}`, '');
    if (h) {
      lines.push(
        `${h.requests} requests, ${f(h.rps)} per second on average; p50 ${f(h.p50, ' ms')}, p95 ${f(h.p95, ' ms')}, p99 ${f(h.p99, ' ms')}; error rate ${pct(h.errorRate)}, 409 rate ${pct(h.conflictRate)}; SERIALIZABLE retries ${h.retriesPerRequest === null ? '–' : h.retriesPerRequest.toFixed(3)} per request.`,
        '',
      );
    }
    lines.push('| criterion | limit | measured | result |', '|---|---|---|---|');
    for (const r of sc.rows) lines.push(`| ${r.name} | ${r.limit} | ${r.measured} | ${rowState(r) === 'FAIL' ? '**FAIL**' : rowState(r)} |`);
    lines.push(
      '',
      `HTML report: \`${sc.reportFile
        .replace(/\.json$/, '.html')
        .split(/[\\/]/)
        .pop()}\``,
      '',
    );
  }
  lines.push('## Database integrity', '');
  for (const sc of s.scenarios) {
    const rc = sc.reconciliation;
    lines.push(
      `- ${sc.id}: \`verify-integrity.sql\` returned ${sc.integrity ? `${sc.integrity.rows.length} rows` : 'nothing (not run)'}${
        rc
          ? `; reconciliation (${rc.mode} mode) valid = ${String(rc.verdict.valid)}${rc.mode === 'history' ? ` — lost ${rc.counts.lost ?? 0}, duplicated ${rc.counts.duplicated ?? 0}, unexpected ${rc.counts.unexpected ?? 0}, recovered ${rc.counts.recovered ?? 0}, not applied ${rc.counts.not_applied ?? 0}` : ''}`
          : ''
      }.`,
    );
  }
  lines.push('', '## Performance findings', '');
  lines.push('### What broke first', '');
  const failed = s.scenarios.flatMap((sc) => sc.rows.filter((r) => !r.pass).map((r) => `${sc.id}: ${r.name} (limit ${r.limit}, measured ${r.measured})`));
  lines.push(...(failed.length ? failed.map((x) => `- ${x}`) : ['- Nothing broke at this load: every criterion passed.']), '');
  lines.push('### What would break next', '');
  const all = s.scenarios.flatMap((sc) => (findings.get(sc.id) ?? []).map((x) => `- ${sc.id}: ${x}`));
  lines.push(...(all.length ? all : ['- No finding from the data of this run.']), '');
  lines.push('### Tradeoffs made', '');
  lines.push(
    '- SERIALIZABLE isolation with retries instead of explicit row locks: the capacity check stays a plain aggregate over the ledger, and the database refuses anomalies; the price is the retries counted above, which grow with contention.',
  );
  lines.push(
    `- The reference API keeps a small connection pool (${String(s.meta?.apiPoolMax ?? '?')}): on a 2-core machine fewer concurrent SERIALIZABLE transactions on one hot authorization means fewer wasted retries (see CHANGELOG for the measurement).`,
    '',
  );
  lines.push('## GO/NO-GO recommendation', '');
  lines.push(decisionText(s.decision), '');
  return lines.join('\n');
}
