/**
 * The benchmarks of `npm run bench`, in one table (B1-B11). Each measures one figure
 * against its ceiling, with the pack's real commands or the same parts they use, `repeats` times
 * side by side. Adding a benchmark is one entry here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { METRICS, serverTimingMetric } from 'artillery-plugin-isolation';
import type { BenchGoal } from '../formats/bench';
import { readArtilleryReport, type ArtilleryReport } from '../formats/artillery-json';
import { readRunSummary, type RunSummary } from '../formats/summary';
import { median } from '../runner/repeat';
import type { BenchContext } from './context';
import { apiVersusDatabase, describedTargetCost, generatorCpu } from './load';
import { reconcileAtSize } from './ledger-size';
import { firstWave, firstPlanOnFreshClone } from './first-run';

export interface BenchOutcome {
  readonly values: number[];
  readonly detail: Record<string, string>;
  readonly notes: string[];
}

export interface Benchmark {
  readonly id: string;
  readonly title: string;
  readonly measure: string;
  readonly unit: string;
  readonly goal: BenchGoal | null;
  /** The command that measures this figure alone. */
  readonly command: string;
  /** At most this many repeats (a benchmark whose one run takes minutes). */
  readonly maxRepeats?: number;
  run(ctx: BenchContext): Promise<BenchOutcome>;
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v.toFixed(1)} ms`);
const fmtRange = (vs: readonly number[], f: (v: number) => string): string =>
  vs.length === 0 ? '–' : vs.length === 1 ? f(vs[0]!) : `${f(median(vs))} (${f(Math.min(...vs))}–${f(Math.max(...vs))})`;

function latestSummary(ctx: BenchContext): RunSummary {
  const s = readRunSummary(path.join(ctx.config.reportsDir, 'latest', 'summary.json'));
  if (!s) throw new Error(`no summary.json under ${ctx.config.reportsDir}/latest`);
  return s;
}

function must(r: { code: number | null; output: string[] }, what: string, okCodes: readonly number[] = [0, 1]): void {
  if (r.code === null || !okCodes.includes(r.code)) throw new Error(`${what} exited with ${r.code}: ${r.output.slice(-3).join(' | ')}`);
}

/** The reports of every run of a scenario in a summary (all repeats). */
function reportsOf(summary: RunSummary, id: string): ArtilleryReport[] {
  const s = summary.scenarios.find((x) => x.id === id);
  if (!s) throw new Error(`${id} is not in run ${summary.runId}`);
  const files = s.repeats?.reportFiles ?? [s.reportFile];
  return files.map((f) => readArtilleryReport(path.join(summary.runDir, path.basename(f))));
}

const summaryValue = (r: ArtilleryReport, name: string, stat: string): number | null => r.aggregate.summaries[name]?.[stat] ?? null;
const counter = (r: ArtilleryReport, name: string): number => r.aggregate.counters[name] ?? 0;

/** Server-Timing medians (the reference API's pool, db, retry, app), each as median over runs. */
function serverBreakdown(reports: readonly ArtilleryReport[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of ['pool', 'db', 'retry', 'app']) {
    const p50 = reports.map((r) => summaryValue(r, serverTimingMetric(part), 'median')).filter((v): v is number => v !== null);
    const p95 = reports.map((r) => summaryValue(r, serverTimingMetric(part), 'p95')).filter((v): v is number => v !== null);
    if (p50.length > 0) out[`server ${part} p50 / p95`] = `${ms(median(p50))} / ${ms(median(p95))}`;
  }
  return out;
}

export const BENCHMARKS: readonly Benchmark[] = [
  {
    id: 'B1',
    title: 'Generator cost of the pack',
    measure: 'Artillery CPU-ms per request, pack plugin + processors ÷ bare Artillery',
    unit: '×',
    goal: { op: 'lte', limit: 1.1, text: '≤ 1.1 (issue goal; 1.05 ideal)' },
    command: 'npm run bench -- --only B1',
    run: (ctx) => generatorCpu(ctx),
  },
  {
    id: 'B9',
    title: 'Generator cost on a described target',
    measure: 'B1 on the booking API (examples/booking-api, through its target description) ÷ B1 on the reference target, same run',
    unit: '×',
    goal: { op: 'lte', limit: 1.05, text: '≤ 1.05 (issue 23: a description costs the hot path nothing)' },
    command: 'npm run bench -- --only B9',
    run: (ctx) => describedTargetCost(ctx),
  },
  {
    id: 'B2',
    title: 'Reference API against its database',
    measure: 'highest reserve/release rate with p95 < 150 ms, API ÷ the same SQL straight at PostgreSQL',
    unit: '×',
    goal: { op: 'gte', limit: 0.5, text: '≥ 0.5 × PostgreSQL alone' },
    command: 'npm run bench -- --only B2',
    run: (ctx) => apiVersusDatabase(ctx),
  },
  {
    id: 'B3',
    title: 'Scenario 1 latency',
    measure: 'p95 of scenario 1 (full profile), one value per run',
    unit: 'ms',
    goal: { op: 'lte', limit: 60, text: '≤ 60 ms (the plan’s 200 ms with 3× margin)' },
    command: 'npm run load-test:scenario1 -- --repeat 3',
    async run(ctx) {
      const r = await ctx.pack('run.js', ['scenario1', '--profile', 'full', '--repeat', String(ctx.repeats)]);
      must(r, 'load-test:scenario1');
      const summary = latestSummary(ctx);
      const reports = reportsOf(summary, 'scenario1');
      const p95 = reports.map((x) => summaryValue(x, METRICS.writeTime, 'p95')).filter((v): v is number => v !== null);
      const p99 = reports.map((x) => summaryValue(x, METRICS.writeTime, 'p99')).filter((v): v is number => v !== null);
      const p50 = reports.map((x) => summaryValue(x, METRICS.writeTime, 'median')).filter((v): v is number => v !== null);
      return {
        values: p95,
        detail: {
          verdict: summary.decision,
          'p50 per run': p50.map((v) => ms(v)).join(', '),
          'p99 per run': p99.map((v) => ms(v)).join(', '),
          ...serverBreakdown(reports),
          'generator loop delay p99': fmtRange(
            reports.map((x) => summaryValue(x, METRICS.loopDelay, 'p99')).filter((v): v is number => v !== null),
            ms,
          ),
        },
        notes: [
          'The 50 requests of a wave hit one authorization at once: under SERIALIZABLE they serialize on its row, so a wave is a queue (server pool + db above).',
        ],
      };
    },
  },
  {
    id: 'B4',
    title: 'Exact-count ladder burst',
    measure: 'worst step: burst (first claim sent to last answer) ÷ seed 003’s time (73/98/192 ms for 100/200/500)',
    unit: '×',
    goal: { op: 'lte', limit: 2, text: '≤ 2 × seed 003' },
    command: 'npm run bench:ladder',
    async run(ctx) {
      const r = await ctx.pack('ladder.js', ['--repeat', String(ctx.repeats)]);
      must(r, 'load-test:ladder');
      const runDir = /output in (\S+)/.exec(r.output.find((l) => l.startsWith('ladder:')) ?? '')?.[1];
      if (!runDir) throw new Error('the ladder did not print its output folder');
      const dir = path.resolve(ctx.config.root, runDir);
      const ladder = JSON.parse(fs.readFileSync(path.join(dir, 'ladder.json'), 'utf8')) as {
        steps: { claims: number; burstMs: number | null }[];
        decision: string;
      };
      const reference: Record<number, number> = { 100: 73, 200: 98, 500: 192 };
      const detail: Record<string, string> = { verdict: ladder.decision };
      const worstPerRound: number[] = [];
      const byClaims = new Map<number, number[]>();
      for (const s of ladder.steps) if (s.burstMs !== null) byClaims.set(s.claims, [...(byClaims.get(s.claims) ?? []), s.burstMs]);
      for (const [claims, bursts] of byClaims) {
        detail[`burst ${claims} (seed 003: ${reference[claims]} ms)`] = fmtRange(bursts, ms);
        const files = fs.readdirSync(dir).filter((f) => new RegExp(`^ladder-${claims}(-r\\d+)?\\.json$`).test(f));
        const reports = files.map((f) => readArtilleryReport(path.join(dir, f)));
        for (const [k, v] of Object.entries(serverBreakdown(reports))) detail[`${claims}: ${k}`] = v;
      }
      for (let round = 0; round < ctx.repeats; round++) {
        const ratios = [...byClaims].map(([claims, bursts]) => (bursts[round] ?? NaN) / reference[claims]!).filter(Number.isFinite);
        if (ratios.length > 0) worstPerRound.push(Math.max(...ratios));
      }
      return { values: worstPerRound, detail, notes: [] };
    },
  },
  {
    id: 'B5',
    title: 'Verify and reconcile at size',
    measure: 'seconds for load-test:verify (integrity, ledger replay, reconciliation) at 1M ledger rows with their history',
    unit: 's',
    goal: { op: 'lt', limit: 10, text: '< 10 s at 1M rows, linear, memory bounded' },
    command: 'npm run bench -- --only B5',
    run: (ctx) => reconcileAtSize(ctx, [10_000, 100_000, 1_000_000]),
  },
  {
    id: 'B6',
    title: 'Seeding at size',
    measure: 'seconds to seed 100,000 authorizations (npm run load-test:seed -- --authorizations 100000)',
    unit: 's',
    goal: { op: 'lt', limit: 10, text: '< 10 s' },
    command: 'npm run load-test:seed -- --authorizations 100000',
    async run(ctx) {
      const values: number[] = [];
      for (let i = 0; i < ctx.repeats; i++) {
        const r = await ctx.pack('seed.js', ['--authorizations', '100000']);
        must(r, 'load-test:seed', [0]);
        const m = /in (\d+) ms/.exec(r.output.find((l) => l.startsWith('seeded ')) ?? '');
        if (!m) throw new Error('load-test:seed did not print its time');
        values.push(Number(m[1]) / 1000);
      }
      return { values, detail: {}, notes: ['Time inside the command (data built, rows inserted, fixture written); PostgreSQL start-up excluded.'] };
    },
  },
  {
    id: 'B7',
    title: 'Operation cost does not grow with the ledger',
    measure: 'scenario 2, full profile (300 s) ÷ quick (30 s): attempts per request',
    unit: '×',
    goal: { op: 'lte', limit: 1.2, text: '≤ 1.2' },
    command: 'npm run load-test:scenario2 -- --profile quick; npm run load-test:scenario2',
    // One pair: the full profile alone runs 300 s.
    maxRepeats: 1,
    async run(ctx) {
      const measureProfile = async (profile: string): Promise<{ attempts: number; p95: number | null; requests: number }> => {
        const r = await ctx.pack('run.js', ['scenario2', '--profile', profile]);
        must(r, `load-test:scenario2 --profile ${profile}`);
        const [report] = reportsOf(latestSummary(ctx), 'scenario2');
        const requests = counter(report!, METRICS.requests);
        return {
          attempts: requests === 0 ? NaN : 1 + counter(report!, METRICS.retries) / requests,
          p95: summaryValue(report!, METRICS.writeTime, 'p95'),
          requests,
        };
      };
      const values: number[] = [];
      const detail: Record<string, string> = {};
      for (let i = 0; i < ctx.repeats; i++) {
        const quick = await measureProfile('quick');
        const full = await measureProfile('full');
        values.push(full.attempts / quick.attempts);
        detail[`run ${i + 1}: attempts per request, 30 s / 300 s`] = `${quick.attempts.toFixed(3)} / ${full.attempts.toFixed(3)}`;
        detail[`run ${i + 1}: p95, 30 s / 300 s`] =
          `${ms(quick.p95)} / ${ms(full.p95)} (p95 ratio ${quick.p95 && full.p95 ? (full.p95 / quick.p95).toFixed(2) : '–'})`;
        detail[`run ${i + 1}: requests, 30 s / 300 s`] = `${quick.requests} / ${full.requests}`;
      }
      return { values, detail, notes: ['Attempts per request = 1 + serialization retries per request (X-Serialization-Attempts).'] };
    },
  },
  {
    id: 'B8',
    title: 'The quick plan, end to end',
    measure: 'seconds for npm run load-test:all -- --profile quick (start to exit)',
    unit: 's',
    goal: { op: 'lt', limit: 120, text: '< 120 s' },
    command: 'npm run load-test:all -- --profile quick',
    async run(ctx) {
      const values: number[] = [];
      const verdicts: string[] = [];
      for (let i = 0; i < ctx.repeats; i++) {
        const r = await ctx.pack('run.js', ['all', '--profile', 'quick']);
        must(r, 'load-test:all');
        values.push(r.seconds);
        verdicts.push(latestSummary(ctx).decision);
      }
      return { values, detail: { verdicts: verdicts.join(', ') }, notes: [] };
    },
  },
  {
    id: 'B10',
    title: 'The first quick plan on a fresh clone',
    measure: 'GO verdicts in 5 tries of: git clone, npm ci, npm run load-test:all -- --profile quick (scenario 1 p95 of each)',
    unit: 'GO',
    goal: { op: 'gte', limit: 5, text: '5 of 5 on a quiet machine' },
    command: 'npm run bench -- --only B10',
    maxRepeats: 1,
    run: (ctx) => firstPlanOnFreshClone(ctx),
  },
  {
    id: 'B11',
    title: 'The first wave, warmed',
    measure: "scenario 1 quick: the first wave's p95 ÷ the later waves' median p95, with the generator warm-up (without it in the detail)",
    unit: '×',
    goal: { op: 'lte', limit: 1.5, text: '≤ 1.5' },
    command: 'npm run bench -- --only B11',
    run: (ctx) => firstWave(ctx),
  },
];
