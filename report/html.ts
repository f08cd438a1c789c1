/**
 * Self-contained HTML: all CSS, JavaScript (Chart.js, inlined from npm at build time) and data in
 * one file that works from file:// with the network off. Pure: strings in, a string out.
 */
import type { Chart, ReportModel } from './model';
import { RowState, rowState } from '../formats/summary';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** JSON safe to put inside a <script> element. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export const CSS = `
:root { --ok: #137333; --bad: #b3261e; --warn: #8a5a00; --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
header { padding: 20px 28px; border-bottom: 1px solid var(--line); background: var(--bg); }
h1 { font-size: 20px; margin: 0 0 6px; } h2 { font-size: 16px; margin: 28px 0 10px; }
main { padding: 8px 28px 40px; max-width: 1200px; }
.verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: 600; color: #fff; }
.verdict.PASS, .verdict.GO { background: var(--ok); } .verdict.FAIL, .verdict.NO-GO { background: var(--bad); } .verdict.CONDITIONAL { background: var(--warn); } .verdict.UNKNOWN { background: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 10px; margin-top: 16px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: #fff; }
.tile .v { font-size: 20px; font-weight: 600; } .tile .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; } th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; } .unchecked { color: var(--warn, #a15c00); font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: 12px; } .chart h3 { font-size: 14px; margin: 0 0 8px; }
.chart canvas { width: 100% !important; height: 260px !important; }
.note { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 8px 12px; }
.muted { color: var(--muted); } code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
ul.findings li { margin: 4px 0; }
`;

const PALETTE = ['#0969da', '#cf222e', '#8250df', '#1a7f37', '#bc4c00', '#6e7781', '#bf3989', '#0550ae'];

/** The script that draws every chart from the embedded data (no network, no animation). */
export const DRAW_JS = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ${JSON.stringify(PALETTE)};
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  data.charts.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    if (!el) return;
    var stacked = c.kind === 'stacked';
    var type = c.kind === 'line' ? 'line' : 'bar';
    var numericX = typeof c.labels[0] === 'number';
    // Fault spans, shaded behind the data on the same time axis (load-test:faults).
    var bandsPlugin = {
      id: 'bands',
      beforeDatasetsDraw: function (chart) {
        if (!c.bands || !numericX) return;
        var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
        var px = function (s) {
          var ls = c.labels;
          if (s <= ls[0]) return x.getPixelForValue(0);
          for (var i = 1; i < ls.length; i++) {
            if (s <= ls[i]) return x.getPixelForValue(i - 1) + (x.getPixelForValue(i) - x.getPixelForValue(i - 1)) * (s - ls[i - 1]) / (ls[i] - ls[i - 1]);
          }
          return x.getPixelForValue(ls.length - 1);
        };
        ctx.save();
        c.bands.forEach(function (b, i) {
          var a = Math.max(area.left, px(b.from)), z = Math.min(area.right, Math.max(px(b.to), a + 2));
          ctx.fillStyle = 'rgba(207, 34, 46, 0.12)';
          ctx.fillRect(a, area.top, z - a, area.bottom - area.top);
          ctx.fillStyle = '#cf222e';
          ctx.font = '11px sans-serif';
          ctx.fillText(b.label, a + 2, area.top + 12 + (i % 2) * 12);
        });
        ctx.restore();
      }
    };
    new Chart(el, {
      type: type,
      plugins: [bandsPlugin],
      data: {
        labels: c.labels.map(function (l) { return numericX ? l + ' s' : l; }),
        datasets: c.series.map(function (s, i) {
          var color = palette[i % palette.length];
          return { label: s.label, data: s.values, borderColor: color, backgroundColor: type === 'line' ? color : color + 'cc', spanGaps: true, pointRadius: c.labels.length > 60 ? 0 : 2, borderWidth: 2 };
        })
      },
      options: {
        plugins: { legend: { position: 'bottom' }, title: { display: false } },
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true, title: { display: true, text: c.unit } } }
      }
    });
  });
})();
`;

function table(headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((cell, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${cell}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function chartBlock(c: Chart): string {
  return `<div class="chart"><h3>${esc(c.title)}</h3><div style="position:relative;height:260px"><canvas id="chart-${esc(c.id)}" role="img" aria-label="${esc(c.title)}"></canvas></div></div>`;
}

export function page(title: string, body: string, chartJs: string | null, data: unknown): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>${body}
${chartJs ? `<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>` : ''}
<script type="application/json" id="report-data">${scriptJson(data)}</script>
${chartJs ? `<script>${DRAW_JS}</script>` : ''}
</body></html>
`;
}

/** A criterion's result cell: PASS, FAIL, UNKNOWN or NOT CHECKED (a check not made never reads PASS). */
function stateCell(state: RowState): string {
  const cls = state === 'PASS' ? 'pass' : state === 'FAIL' ? 'fail' : 'unchecked';
  return `<span class="${cls}">${state}</span>`;
}

export function renderScenarioHtml(m: ReportModel, chartJs: string, backLink: string | null): string {
  const checks = m.checks
    ? table(
        ['criterion', 'limit', 'measured', 'result'],
        m.checks.map((r) => [esc(r.name), esc(r.limit), esc(r.measured), stateCell(rowState(r))]),
      )
    : '<p class="muted">No verdict: this report was not produced by a pack run.</p>';
  const integrity = m.integrity
    ? `<p>${m.integrity.rows.length === 0 ? '<span class="pass">0 rows</span>: no overbooking, no negative balance, stored balances agree with the ledger.' : `<span class="fail">${m.integrity.rows.length} rows</span>: the database violates the invariants.`}</p>` +
      (m.integrity.rows.length > 0
        ? table(
            m.integrity.columns,
            m.integrity.rows.map((r) => m.integrity!.columns.map((c) => esc(r[c]))),
          )
        : '')
    : '<p class="muted">Not measured in this report.</p>';
  const rc = m.reconciliation;
  const reconciliation = rc
    ? `<p>Mode: <b>${esc(rc.mode)}</b>; valid: <b class="${rc.verdict.valid === true ? 'pass' : 'fail'}">${esc(rc.verdict.valid)}</b></p>` +
      (rc.mode === 'history'
        ? table(
            ['ok', 'fail', 'info', 'lost', 'duplicated', 'unexpected', 'recovered', 'not applied', 'unattributed', 'outside bounds'],
            [
              ['ok', 'fail', 'info', 'lost', 'duplicated', 'unexpected', 'recovered', 'not_applied', 'unattributed', 'bounds'].map((k) =>
                esc(rc.counts[k] ?? 0),
              ),
            ],
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
          )
        : '') +
      (Object.keys(rc.verdict.errors).length > 0
        ? table(
            ['type', 'count', 'first example'],
            Object.entries(rc.verdict.errors).map(([t, s]) => [esc(t), esc(s.count), `<code>${esc(JSON.stringify(s.first))}</code>`]),
          )
        : '')
    : '<p class="muted">Not measured in this report.</p>';
  const ops = m.operations.length
    ? table(
        ['operation', '2xx', '409', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
        m.operations.map((o) => [esc(o.operation), esc(o.ok), esc(o.conflicts), esc(o.p50 ?? '–'), esc(o.p95 ?? '–'), esc(o.p99 ?? '–'), esc(o.max ?? '–')]),
        [1, 2, 3, 4, 5, 6],
      )
    : '<p class="muted">No per-operation metrics in this report.</p>';
  const body = `
<header>
  ${backLink ? `<p><a href="${esc(backLink)}">← all scenarios</a></p>` : ''}
  <h1>${esc(m.title)}</h1>
  <div id="verdict">${m.verdict ? `<span class="verdict ${m.verdict.split(' ')[0]}">${esc(m.verdict)}</span>` : '<span class="muted">no verdict (not a pack run)</span>'}</div>
  <div class="tiles">${m.tiles.map((t) => `<div class="tile"><div class="v">${esc(t.value)}</div><div class="l">${esc(t.label)}</div></div>`).join('')}</div>
</header>
<main>
  ${m.missing.length ? `<div class="note" id="missing"><b>Not in this report:</b><ul>${m.missing.map((x) => `<li>${esc(x)}</li>`).join('')}</ul></div>` : ''}
  <section id="criteria"><h2>Criteria of the plan</h2>${checks}</section>
  <section id="integrity"><h2>Database integrity (verify-integrity.sql)</h2>${integrity}</section>
  <section id="reconciliation"><h2>Reconciliation against the operation history</h2>${reconciliation}</section>
  ${
    m.faults.length
      ? `<section id="faults"><h2>Faults injected</h2><p>Shaded on the charts below, on their time axis.</p>${table(
          ['fault', 'what', 'on at (s)', 'lasted (s)', 'what the history says'],
          m.faults.map((f) => [esc(f.fault), esc(f.what), esc(f.at ?? '–'), esc(f.lasted ?? '–'), esc(f.note)]),
          [2, 3],
        )}</section>`
      : ''
  }
  <section id="findings"><h2>What broke first, what would break next</h2>${m.findings.length ? `<ul class="findings">${m.findings.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : '<p class="muted">No findings from the data of this run.</p>'}</section>
  <section id="charts"><h2>Over time</h2><div class="charts">${m.charts.map(chartBlock).join('')}</div></section>
  <section id="operations"><h2>Per operation</h2>${ops}</section>
  ${
    m.database
      ? `<section id="database"><h2>Database</h2>${m.database.notes.map((x) => `<p class="muted">${esc(x)}</p>`).join('')}<div class="charts">${m.database.charts
          .map(chartBlock)
          .join('')}</div><h3>Top statements by total time (pg_stat_statements, over the run)</h3>${
          m.database.top.length
            ? table(
                ['statement', 'calls', 'total ms', 'mean ms'],
                m.database.top.map((t) => [`<code>${esc(t.query)}</code>`, esc(t.calls), esc(t.totalMs.toFixed(1)), esc(t.meanMs.toFixed(3))]),
                [1, 2, 3],
              )
            : '<p class="muted">None: see the note above.</p>'
        }</section>`
      : ''
  }
  ${
    m.pressure
      ? `<section id="pressure"><h2>Pressure</h2><p>The expensive reads start part-way through (shaded on the time charts): what they cost the writers, and how fast they were answered under the write load.</p>${table(
          ['figure', 'value'],
          m.pressure.rows.map(([k, v]) => [esc(k), esc(v)]),
        )}<div class="charts">${m.pressure.charts.map(chartBlock).join('')}</div></section>`
      : ''
  }
  <section id="metadata"><h2>Run</h2>${table(
    ['', ''],
    m.metadata.map(([k, v]) => [esc(k), esc(v)]),
  )}</section>
</main>`;
  return page(m.title, body, chartJs, { charts: [...m.charts, ...(m.database?.charts ?? []), ...(m.pressure?.charts ?? [])] });
}
