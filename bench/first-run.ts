/**
 * B10 and B11 (issue 26): what a user's first run looks like.
 *
 * B10: the first quick plan after `npm ci` on a fresh clone, several tries, each from its own
 * clone (git clone of this checkout's HEAD, npm ci, npm run load-test:all -- --profile quick):
 * how many come out GO, and scenario 1's p95 in each.
 *
 * B11: the first period of a run against the rest, with and without the generator's warm-up
 * (LOADTEST_GENERATOR_WARMUP), in alternating runs of scenario 1's quick profile: the p95 of the
 * judged write latency in the first 10-s period that carried load, divided by the median of the
 * later periods' p95.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { METRICS } from 'artillery-plugin-isolation';
import { defaultEmbeddedDir } from '../lib/config';
import { readArtilleryReport, type ArtilleryReport } from '../formats/artillery-json';
import { readRunSummary } from '../formats/summary';
import { median } from '../runner/repeat';
import type { BenchOutcome } from './benchmarks';
import type { BenchContext } from './context';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The newest run folder of a reports folder. */
function newestRun(reports: string): string {
  const run = fs
    .readdirSync(reports)
    .filter((d) => d !== 'latest')
    .sort()
    .pop();
  if (!run) throw new Error(`no run in ${reports}`);
  return path.join(reports, run);
}

export async function firstPlanOnFreshClone(ctx: BenchContext): Promise<BenchOutcome> {
  const tries = Math.max(5, ctx.repeats);
  const detail: Record<string, string> = {};
  let go = 0;
  for (let i = 1; i <= tries; i++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fresh-clone-'));
    fs.chmodSync(dir, 0o755); // as a checkout is: as root, the embedded PostgreSQL runs its binaries from it as the postgres user
    try {
      execFileSync('git', ['clone', '--quiet', ctx.config.root, dir]);
      const started = performance.now();
      const install = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: 'ignore', env: { ...process.env, CI: '' } });
      if (install.status !== 0) throw new Error(`npm ci failed in the clone (exit ${install.status})`);
      const installed = (performance.now() - started) / 1000;
      const reports = path.join(dir, 'reports');
      // The clone's own defaults, as a new user's (its embedded PostgreSQL in a folder of its own
      // under the temporary folder, named after the clone's path).
      const env: NodeJS.ProcessEnv = { ...process.env, REPORTS_DIR: reports };
      for (const k of ['DATABASE_URL', 'LOADTEST_TARGET_FILE', 'LOADTEST_TARGET', 'FIXTURE_PATH', 'ARTILLERY_DIR', 'EMBEDDED_PG_DIR']) delete env[k];
      const run = spawnSync(npm, ['run', '-s', 'load-test:all', '--', '--profile', 'quick'], { cwd: dir, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
      const summary = fs.existsSync(reports) ? readRunSummary(path.join(newestRun(reports), 'summary.json')) : null;
      const p95 = summary?.scenarios.find((s) => s.id === 'scenario1')?.rows.find((r) => r.name.includes('.p95'))?.measured ?? '–';
      if (summary?.decision === 'GO') go++;
      const why = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim().split('\n').pop() ?? '';
      detail[`try ${i}`] = summary
        ? `${summary.decision}, scenario 1 p95 ${p95}; npm ci ${installed.toFixed(0)} s`
        : `no summary (exit ${run.status}: ${why.slice(0, 200)}); npm ci ${installed.toFixed(0)} s`;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(defaultEmbeddedDir(dir), { recursive: true, force: true });
    }
  }
  return { values: [go], detail, notes: [`${tries} tries, each from its own clone of HEAD with npm ci (npm's cache warm): GO count out of ${tries}.`] };
}

/** The judged write latency's p95 in the first period that carried load, and the median of the later periods' p95. */
export function firstAgainstRest(report: ArtilleryReport): { first: number | null; rest: number | null } {
  const p95s = report.intermediate
    .filter((p) => (p.counters[METRICS.requests] ?? 0) > 0)
    .map((p) => p.summaries[METRICS.writeTime]?.p95 ?? null)
    .filter((v): v is number => v !== null);
  return { first: p95s[0] ?? null, rest: p95s.length > 1 ? median(p95s.slice(1)) : null };
}

export async function firstPeriod(ctx: BenchContext): Promise<BenchOutcome> {
  const ratios: Record<'with' | 'without', number[]> = { with: [], without: [] };
  const detail: Record<string, string> = {};
  for (let i = 0; i < ctx.repeats; i++) {
    for (const side of i % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
      const r = await ctx.pack('run.js', ['scenario1', '--profile', 'quick'], { LOADTEST_GENERATOR_WARMUP: side === 'with' ? '2' : '0' });
      if (r.code !== 0 && r.code !== 1) throw new Error(`load-test:scenario1 exited with ${r.code}`);
      const run = readRunSummary(path.join(ctx.config.reportsDir, 'latest', 'summary.json'))!;
      const { first, rest } = firstAgainstRest(readArtilleryReport(path.join(run.runDir, path.basename(run.scenarios[0]!.reportFile))));
      if (first !== null && rest !== null && rest > 0) ratios[side].push(first / rest);
      const msOf = (v: number | null): string => (v === null ? '–' : `${v.toFixed(1)} ms`);
      detail[`run ${i + 1}, ${side} warm-up: first period p95 / later periods' median p95`] = `${msOf(first)} / ${msOf(rest)}`;
    }
  }
  const f = (v: number[]): string => (v.length ? `${median(v).toFixed(2)}× (${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})` : '–');
  return {
    values: ratios.with,
    detail: { 'with the warm-up: first ÷ rest': f(ratios.with), 'without it: first ÷ rest': f(ratios.without), ...detail },
    notes: ['Alternating runs of scenario 1, quick profile; p95 of isolation.response_time.write (the judged figure) per 10-s period.'],
  };
}
