/**
 * B10 and B11 (issue 26): what a user's first run looks like.
 *
 * B10: the first quick plan after `npm ci` on a fresh clone, several tries, each from its own
 * clone (git clone of this checkout's HEAD, npm ci, npm run load-test:all -- --profile quick):
 * how many come out GO, and scenario 1's p95 in each.
 *
 * B11: the first wave of a run against the rest, with and without the generator's warm-up
 * (LOADTEST_GENERATOR_WARMUP), in alternating runs of scenario 1's quick profile: the first wave's
 * p95 (from the run's history) divided by the median of the later waves' p95.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultEmbeddedDir } from '../lib/config';
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
      const reasons = summary && summary.decision !== 'GO' ? ` (${summary.reasons.join('; ').slice(0, 300)})` : '';
      detail[`try ${i}`] = summary
        ? `${summary.decision}${reasons}, scenario 1 p95 ${p95}; npm ci ${installed.toFixed(0)} s`
        : `no summary (exit ${run.status}: ${why.slice(0, 200)}); npm ci ${installed.toFixed(0)} s`;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(defaultEmbeddedDir(dir), { recursive: true, force: true });
    }
  }
  return { values: [go], detail, notes: [`${tries} tries, each from its own clone of HEAD with npm ci (npm's cache warm): GO count out of ${tries}.`] };
}

interface WaveEvent {
  readonly type: string;
  readonly time: number;
  readonly key?: string;
  readonly probe?: string;
}

/**
 * Pure: scenario 1's waves from its history, in order, each as the p95 of its requests' latency
 * (the answer's arrival − the request's start, ms). A wave is a run of requests started less than
 * `gapMs` apart; probes of reused keys are left out.
 */
export function waveP95s(events: readonly WaveEvent[], gapMs = 500): number[] {
  const started = new Map<string, number>();
  for (const e of events) if (e.type === 'invoke' && e.key && !e.probe) started.set(e.key, e.time);
  const answered = new Map<string, number>();
  for (const e of events) if (e.type !== 'invoke' && e.key && started.has(e.key) && !answered.has(e.key)) answered.set(e.key, e.time);
  const requests = [...answered].map(([key, at]) => ({ start: started.get(key)!, latency: at - started.get(key)! })).sort((a, b) => a.start - b.start);
  const waves: number[][] = [];
  let last = -Infinity;
  for (const r of requests) {
    if (r.start - last > gapMs) waves.push([]);
    waves[waves.length - 1]!.push(r.latency);
    last = r.start;
  }
  return waves.map((w) => {
    const sorted = [...w].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
  });
}

/** Every event of a history folder (one NDJSON file per worker). */
function historyEvents(dir: string): WaveEvent[] {
  return fs
    .readdirSync(dir)
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as WaveEvent);
}

export async function firstWave(ctx: BenchContext): Promise<BenchOutcome> {
  const ratios: Record<'with' | 'without', number[]> = { with: [], without: [] };
  const detail: Record<string, string> = {};
  const msOf = (v: number | undefined): string => (v === undefined ? '–' : `${v.toFixed(0)} ms`);
  for (let i = 0; i < ctx.repeats; i++) {
    for (const side of i % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
      const r = await ctx.pack('run.js', ['scenario1', '--profile', 'quick'], { LOADTEST_GENERATOR_WARMUP: side === 'with' ? '2' : '0' });
      if (r.code !== 0 && r.code !== 1) throw new Error(`load-test:scenario1 exited with ${r.code}`);
      const run = readRunSummary(path.join(ctx.config.reportsDir, 'latest', 'summary.json'))!;
      const historyDir = run.scenarios[0]?.historyDir;
      const waves = historyDir ? waveP95s(historyEvents(historyDir)) : [];
      const rest = waves.length > 1 ? median(waves.slice(1)) : null;
      if (waves.length > 1 && rest !== null && rest > 0) ratios[side].push(waves[0]! / rest);
      detail[`run ${i + 1}, ${side} warm-up: first wave p95 / later waves' median p95 (${waves.length} waves)`] =
        `${msOf(waves[0])} / ${msOf(rest ?? undefined)}`;
    }
  }
  const f = (v: number[]): string => (v.length ? `${median(v).toFixed(2)}× (${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)})` : '–');
  return {
    values: ratios.with,
    detail: { 'with the warm-up: first wave ÷ the rest': f(ratios.with), 'without it: first wave ÷ the rest': f(ratios.without), ...detail },
    notes: [
      "Alternating runs of scenario 1, quick profile (10 waves of 50 claims at one instant). Each wave's p95 of its requests' latency (answer − start) from the run's history; Artillery's 10-s periods are not used, because where they cut the run moves with the warm-up.",
    ],
  };
}
