/**
 * breakpoint.html: the knee on one offline page — the steps' table, latency and error rate
 * against the offered rate with the budgets drawn beside them, and the verdict lines.
 */
import { chartBlock, esc, page } from '../report/html';
import type { Chart } from '../report/model';
import type { BreakpointResult } from '../formats/breakpoint';
import { formatResult } from './text';

export function renderBreakpointHtml(r: BreakpointResult, chartJs: string): string {
  const labels = r.steps.map((s) => `${s.offeredRate}/s`);
  const flat = (v: number): number[] => r.steps.map(() => v);
  const charts: Chart[] = [
    {
      id: 'latency',
      title: 'Latency against the offered rate',
      kind: 'line',
      unit: 'ms',
      labels,
      series: [
        { label: 'p95 read', values: r.steps.map((s) => s.p95ReadMs) },
        { label: 'p95 write', values: r.steps.map((s) => s.p95WriteMs) },
        { label: 'p99 all', values: r.steps.map((s) => s.p99Ms) },
        { label: `read budget ${r.budgets.p95ReadMs} ms`, values: flat(r.budgets.p95ReadMs) },
        { label: `write budget ${r.budgets.p95WriteMs} ms`, values: flat(r.budgets.p95WriteMs) },
      ],
    },
    {
      id: 'errors',
      title: 'Non-2xx answers against the offered rate',
      kind: 'line',
      unit: '%',
      labels,
      series: [
        { label: 'non-2xx', values: r.steps.map((s) => (s.errorRate === null ? null : s.errorRate * 100)) },
        { label: 'budget of the stage', values: r.steps.map((s) => r.budgets.errorRate[s.stage] * 100) },
      ],
    },
    {
      id: 'rate',
      title: 'Sent against offered (the generator keeping up)',
      kind: 'line',
      unit: 'requests/s',
      labels,
      series: [
        { label: 'offered', values: r.steps.map((s) => s.offeredRate) },
        { label: 'sent', values: r.steps.map((s) => s.sentRate) },
      ],
    },
  ];
  const verdict = formatResult(r);
  const lines = [verdict[verdict.length - 1]!, ...verdict.slice(2, -1)];
  const body = `<header><h1>Breakpoint</h1><p>run <code>${esc(r.runId)}</code>, profile ${esc(r.profile)}, target <code>${esc(r.target)}</code>; ${r.steps.length} step(s) of ${r.stepSeconds} s, ${Math.round(r.readShare * 100)}% reads.</p></header>
<main><section id="verdict"><h2>What it found</h2><ul>${lines.map((l) => `<li${/^warning|FAILED/.test(l) ? ' class="fail"' : ''}>${esc(l)}</li>`).join('')}</ul></section>
<section id="steps"><h2>Steps</h2><pre>${esc(verdict[1]!)}</pre></section>
<section id="charts"><h2>Against the offered rate</h2><div class="charts">${charts.map(chartBlock).join('')}</div></section></main>`;
  return page(`Breakpoint ${r.runId}`, body, chartJs, { charts });
}
