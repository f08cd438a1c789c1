/**
 * Before/after comparison of two runs: the headline metrics of each scenario side by side with
 * their deltas (like seed 002's with-cache / without-cache table). Pure, plus an HTML version.
 */
import { esc, page } from './html';
import type { Headline } from './model';

export interface CompareRow {
  readonly scenario: string;
  readonly metric: string;
  readonly a: number | null;
  readonly b: number | null;
  readonly delta: number | null;
  readonly deltaPct: number | null;
  /** true when B is better than A, false when worse, null when equal or unknown. */
  readonly better: boolean | null;
}

const METRICS: readonly { key: keyof Headline; label: string; higherIsBetter: boolean; unit: string }[] = [
  { key: 'requests', label: 'requests', higherIsBetter: true, unit: '' },
  { key: 'rps', label: 'requests/s', higherIsBetter: true, unit: '' },
  { key: 'p50', label: 'p50 latency', higherIsBetter: false, unit: 'ms' },
  { key: 'p95', label: 'p95 latency', higherIsBetter: false, unit: 'ms' },
  { key: 'p99', label: 'p99 latency', higherIsBetter: false, unit: 'ms' },
  { key: 'errorRate', label: 'error rate', higherIsBetter: false, unit: '%' },
  { key: 'conflictRate', label: '409 rate', higherIsBetter: false, unit: '%' },
  { key: 'retriesPerRequest', label: 'retries per request', higherIsBetter: false, unit: '' },
];

export function compareRuns(a: ReadonlyMap<string, Headline>, b: ReadonlyMap<string, Headline>): CompareRow[] {
  const rows: CompareRow[] = [];
  const scenarios = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const s of scenarios) {
    for (const m of METRICS) {
      const va = a.get(s)?.[m.key] ?? null;
      const vb = b.get(s)?.[m.key] ?? null;
      const delta = va !== null && vb !== null ? vb - va : null;
      const deltaPct = delta !== null && va ? (delta / Math.abs(va)) * 100 : null;
      const better = delta === null || delta === 0 ? null : m.higherIsBetter ? delta > 0 : delta < 0;
      rows.push({ scenario: s, metric: m.label, a: va, b: vb, delta, deltaPct, better });
    }
  }
  return rows;
}

function fmt(metric: string, v: number | null): string {
  if (v === null) return '–';
  const m = METRICS.find((x) => x.label === metric);
  if (m?.unit === '%') return `${(v * 100).toFixed(2)}%`;
  if (m?.unit === 'ms') return `${v.toFixed(1)} ms`;
  return Number.isInteger(v) ? String(v) : v.toFixed(m?.key === 'retriesPerRequest' ? 3 : 1);
}

function fmtDelta(r: CompareRow): string {
  if (r.delta === null) return '–';
  const m = METRICS.find((x) => x.label === r.metric);
  const sign = r.delta > 0 ? '+' : '';
  const abs = m?.unit === '%' ? `${sign}${(r.delta * 100).toFixed(2)} pts` : `${sign}${fmt(r.metric, r.delta)}`;
  return r.deltaPct === null ? abs : `${abs} (${sign}${r.deltaPct.toFixed(1)}%)`;
}

export function formatCompare(rows: readonly CompareRow[]): string[][] {
  return rows.map((r) => [r.scenario, r.metric, fmt(r.metric, r.a), fmt(r.metric, r.b), fmtDelta(r), r.better === null ? '' : r.better ? 'better' : 'worse']);
}

export function renderCompareHtml(rows: readonly CompareRow[], nameA: string, nameB: string, chartJs: string): string {
  const table = formatCompare(rows);
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const p95 = (which: 'a' | 'b') => scenarios.map((s) => rows.find((r) => r.scenario === s && r.metric === 'p95 latency')?.[which] ?? null);
  const charts = [
    {
      id: 'p95',
      title: 'p95 latency per scenario',
      kind: 'bar',
      unit: 'ms',
      labels: scenarios,
      series: [
        { label: nameA, values: p95('a') },
        { label: nameB, values: p95('b') },
      ],
    },
  ];
  const body = `<header><h1>Comparison</h1><p>A = <code>${esc(nameA)}</code>, B = <code>${esc(nameB)}</code>; deltas are B − A.</p></header>
<main><section id="comparison"><table><thead><tr><th>scenario</th><th>metric</th><th>A</th><th>B</th><th>delta</th><th></th></tr></thead><tbody>
${table.map((r) => `<tr>${r.map((c, i) => `<td${i >= 2 && i <= 4 ? ' class="num"' : ''}${i === 5 ? ` class="${c === 'better' ? 'pass' : c === 'worse' ? 'fail' : ''}"` : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table></section>
<section id="charts"><div class="charts"><div class="chart"><h3>p95 latency per scenario</h3><div style="position:relative;height:260px"><canvas id="chart-p95"></canvas></div></div></div></section></main>`;
  return page(`Comparison ${nameA} vs ${nameB}`, body, chartJs, { charts });
}
