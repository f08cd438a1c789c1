/**
 * The I/O shell of the reports: turns a run folder (or one Artillery JSON file) into HTML pages,
 * an index and PERFORMANCE_TEST_RESULTS.md. Every file is written atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PackError } from '../lib/errors';
import { writeFileAtomic } from '../lib/atomic';
import { ArtilleryReport, readArtilleryReport } from '../formats/artillery-json';
import { RunSummary, SUMMARY_FILE, readRunSummary } from '../formats/summary';
import { esc, page, renderScenarioHtml } from './html';
import { readDbSamplesFile } from '../formats/db-samples';
import { Headline, RunContext, ScenarioContext, buildModel, headline } from './model';
import { decisionText, renderResultsMarkdown } from './results-md';

/** Chart.js, read from node_modules and inlined into every page. */
export function chartJsSource(): string {
  // The UMD build sits beside the CommonJS entry ("exports" does not list it).
  return fs.readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');
}

export interface WrittenReports {
  readonly index: string | null;
  readonly pages: readonly string[];
  readonly results: string | null;
}

/** One Artillery JSON file → <file>.html (any Artillery 2 report, with or without pack metrics). */
export function writeFileReport(file: string, chartJs: string = chartJsSource()): string {
  const report = readArtilleryReport(file);
  const out = file.replace(/\.json$/, '') + '.html';
  writeFileAtomic(out, renderScenarioHtml(buildModel(report, null, null, path.basename(file)), chartJs, null));
  return out;
}

/** A run folder written by load-test:* → one page per scenario, index.html, PERFORMANCE_TEST_RESULTS.md. */
export function writeRunReports(runDir: string, chartJs: string = chartJsSource()): WrittenReports {
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory())
    throw new PackError('LT_USAGE', `${runDir} is not a run folder`, { hint: 'pass reports/<run>, or an Artillery JSON file' });
  const summary: RunSummary | null = readRunSummary(path.join(runDir, SUMMARY_FILE));
  const run: RunContext | null = summary;
  const jsonFiles = summary
    ? summary.scenarios.map((s) => path.join(runDir, path.basename(s.reportFile)))
    : fs
        .readdirSync(runDir)
        .filter((f) => f.endsWith('.json') && f !== SUMMARY_FILE && f !== 'ladder.json')
        .map((f) => path.join(runDir, f));
  if (jsonFiles.length === 0)
    throw new PackError('LT_USAGE', `${runDir} holds no Artillery JSON report`, { hint: 'run a scenario first: npm run load-test:scenario1' });

  const pages: string[] = [];
  const headlines = new Map<string, Headline>();
  const findings = new Map<string, readonly string[]>();
  const entries: { id: string; title: string; page: string; verdict: string; h: Headline }[] = [];
  for (const file of jsonFiles) {
    const report: ArtilleryReport = readArtilleryReport(file);
    const scenario: ScenarioContext | null = summary?.scenarios.find((s) => path.basename(s.reportFile) === path.basename(file)) ?? null;
    const dbFile = scenario?.database ? path.join(runDir, path.basename(scenario.database.file)) : null;
    const model = buildModel(report, scenario, run, path.basename(file), dbFile ? readDbSamplesFile(dbFile) : null);
    const out = file.replace(/\.json$/, '.html');
    writeFileAtomic(out, renderScenarioHtml(model, chartJs, 'index.html'));
    pages.push(out);
    const id = scenario?.id ?? path.basename(file, '.json');
    headlines.set(id, headline(report));
    findings.set(id, model.findings);
    entries.push({ id, title: scenario?.title ?? path.basename(file), page: path.basename(out), verdict: model.verdict ?? 'no verdict', h: headline(report) });
  }

  const f = (v: number | null, unit = ''): string => (v === null ? '–' : `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`);
  const pct = (v: number | null): string => (v === null ? '–' : `${(v * 100).toFixed(2)}%`);
  const decision = summary?.decision ?? null;
  const body = `
<header><h1>Load-test run ${esc(summary?.runId ?? path.basename(runDir))}</h1>
<div id="verdict">${decision ? `<span class="verdict ${esc(decision)}">${esc(decision)}</span> ${esc(decisionText(decision).replace(/\*\*/g, ''))}` : '<span class="muted">no summary.json: no GO/NO-GO verdict</span>'}</div></header>
<main>
${summary?.reasons.length ? `<section id="reasons"><h2>Why</h2><ul>${summary.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></section>` : ''}
${summary?.warnings.length ? `<section id="warnings"><h2>Warnings</h2><ul class="note">${summary.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>` : ''}
<section id="scenarios"><h2>Scenarios</h2><table><thead><tr><th>scenario</th><th>verdict</th><th>requests</th><th>RPS</th><th>p95</th><th>p99</th><th>409 rate</th><th>error rate</th></tr></thead><tbody>
${entries.map((e) => `<tr><td><a href="${esc(e.page)}">${esc(e.id)} ${esc(e.title)}</a></td><td class="${e.verdict.startsWith('PASS') ? 'pass' : 'fail'}">${esc(e.verdict)}</td><td class="num">${esc(e.h.requests)}</td><td class="num">${esc(f(e.h.rps))}</td><td class="num">${esc(f(e.h.p95, ' ms'))}</td><td class="num">${esc(f(e.h.p99, ' ms'))}</td><td class="num">${esc(pct(e.h.conflictRate))}</td><td class="num">${esc(pct(e.h.errorRate))}</td></tr>`).join('\n')}
</tbody></table></section>
${summary ? '<p><a href="PERFORMANCE_TEST_RESULTS.md">PERFORMANCE_TEST_RESULTS.md</a></p>' : ''}
</main>`;
  const index = path.join(runDir, 'index.html');
  writeFileAtomic(index, page(`Load-test run ${summary?.runId ?? path.basename(runDir)}`, body, null, { scenarios: entries.map((e) => e.id) }));

  let results: string | null = null;
  if (summary) {
    results = path.join(runDir, 'PERFORMANCE_TEST_RESULTS.md');
    writeFileAtomic(results, renderResultsMarkdown(summary, headlines, findings));
  }
  return { index, pages, results };
}

/** reports/<run> folders, newest first. */
export function runFolders(reportsDir: string): string[] {
  if (!fs.existsSync(reportsDir)) return [];
  return fs
    .readdirSync(reportsDir)
    .map((d) => path.join(reportsDir, d))
    .filter((d) => path.basename(d) !== 'latest' && fs.statSync(d).isDirectory() && fs.readdirSync(d).some((f) => f.endsWith('.json')))
    .sort((a, b) => path.basename(b).localeCompare(path.basename(a)));
}
