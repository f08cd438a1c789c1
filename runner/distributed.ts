/**
 * The shape of Artillery's distributed runners (run-fargate, run-lambda), proved on one machine:
 * one scenario's load split over N Artillery processes aimed at one target, and their metrics
 * combined into one report the way the distributed leader combines its workers'.
 *
 * Nothing here re-derives Artillery: the split is Artillery's own `divideWork` (lib/dist.js, what
 * its local runner does for worker threads) over the script as `artillery run` prepares it
 * (`prepareTestExecutionPlan`: environment, target, TypeScript processor); the combination is
 * Artillery's own `SSMS.deserializeMetrics`, `mergeBuckets`, `pack` and `summarizeHistogram` over
 * the serialized period metrics each process writes (plugin/src/worker-metrics.ts: the messages
 * a Fargate worker's sqs-reporter sends). Histograms are merged as sketches, so the combined
 * percentiles are what one process would have measured, never an average of percentiles.
 *
 * What each worker script loses, on purpose:
 * - `ensure` and the isolation plugin's `expect`: a third of the load cannot meet "exactly 50".
 *   The combined report is judged once, by the runner, as the distributed leader re-runs
 *   `ensure` on the combined report;
 * - payload rows already read: each worker reads the payload files itself, as a Fargate worker
 *   does with the bundled files.
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { absolutizePaths } from './scenario-config';
import type { WorkerMetricsLine } from 'artillery-plugin-isolation';
import { writeJsonAtomic } from '../lib/atomic';
import { PackError } from '../lib/errors';
import { ArtilleryRun, CloudOptions, runArtillery } from './artillery';
import { readArtilleryReport } from '../formats/artillery-json';

/** At most this many processes on one machine (each is a whole Artillery). */
export const MAX_WORKERS = 16;

/** How the runner spreads a scenario: one process (Artillery's default), or N as distributed workers. */
export interface Distribution {
  readonly workers: number;
  /**
   * true: the workers write to one history folder (possible on one machine), and the verdict
   * reconciles every request. false: as on a cloud runner, no history is shared, and the
   * reconciliation uses the combined report's counters (counters mode: CONDITIONAL at best).
   */
  readonly sharedHistory: boolean;
}

/** A histogram sketch (DDSketch), opaque here. */
type Sketch = object;
interface RawPeriod {
  period?: number | string;
  counters?: Record<string, number>;
  rates?: Record<string, number>;
  histograms?: Record<string, Sketch | Record<string, number>>;
  summaries?: Record<string, Record<string, number>>;
  [k: string]: unknown;
}
/** The parts of Artillery's SSMS (@artilleryio/int-core) the combination uses. */
export interface Ssms {
  deserializeMetrics(serialized: string): RawPeriod;
  mergeBuckets(periods: RawPeriod[]): Record<string, RawPeriod>;
  pack(periods: RawPeriod[]): RawPeriod;
  summarizeHistogram(h: Sketch): Record<string, number>;
}
type Script = { config: Record<string, unknown> & { phases?: unknown[]; plugins?: Record<string, unknown> }; [k: string]: unknown };
interface Internals {
  readonly ssms: Ssms;
  prepare(file: string, flags: { environment?: string; target: string }): Promise<Script>;
  divideWork(script: Script, workers: number): Script[];
}

/** Artillery's own modules, from the Artillery the pack pins (its package folder). */
export function artilleryInternals(artilleryPackageDir: string): Internals {
  const req = createRequire(path.join(artilleryPackageDir, 'package.json'));
  const prepare = req('./lib/util/prepare-test-execution-plan') as (files: string[], flags: object, args: unknown[]) => Promise<Script>;
  const divideWork = req('./lib/dist') as (script: Script, n: number) => Script[];
  const { SSMS } = (req('@artilleryio/int-core') as { ssms: { SSMS: Ssms } }).ssms;
  return { ssms: SSMS, prepare: (file, flags) => prepare([file], flags, []), divideWork };
}

/** The worker scripts of a prepared script: Artillery's divideWork, constant rates split in whole numbers, then workerScript. */
export function splitScript(divideWork: Internals['divideWork'], prepared: Script, workers: number): Script[] {
  const { script, constant } = asConstantRates(prepared);
  return divideWork(script, workers).map((p) => workerScript(backToRamps(p, constant)));
}

/**
 * Pure: a worker's script from one of divideWork's parts. The judging configuration goes (the
 * combined report is judged once), payload rows go (each worker reads the files), and the keys
 * Artillery's preparation added for itself (`_scriptPath`, ...) go.
 */
export function workerScript(part: Script): Script {
  const script = structuredClone(part);
  for (const k of Object.keys(script)) if (k.startsWith('_')) delete script[k];
  const config = script.config;
  delete config.ensure;
  delete config.environments;
  if (config.plugins) {
    const { ensure: _ensure, ...plugins } = config.plugins;
    const isolation = plugins.isolation as Record<string, unknown> | undefined;
    if (isolation) {
      const { expect: _expect, ...rest } = isolation;
      plugins.isolation = rest;
    }
    config.plugins = plugins;
  }
  if (Array.isArray(config.payload)) config.payload = (config.payload as Record<string, unknown>[]).map(({ data: _data, ...spec }) => spec);
  return script;
}

/** Pure: the metrics a worker wrote, or why they cannot be combined (a missing `done` line: the file is not whole). */
export function parseWorkerMetrics(text: string, source: string): string[] {
  const stats: string[] = [];
  let done = false;
  for (const [i, raw] of text.split('\n').entries()) {
    if (!raw.trim()) continue;
    let line: WorkerMetricsLine;
    try {
      line = JSON.parse(raw) as WorkerMetricsLine;
    } catch {
      throw new PackError('LT_ARTILLERY_FAILED', `${source}, line ${i + 1}: not a worker-metrics line`);
    }
    if (line.event === 'workerStats') stats.push(line.stats);
    else if (line.event === 'done') done = true;
  }
  if (!done) throw new PackError('LT_ARTILLERY_FAILED', `${source} has no "done" line: that worker did not finish, and its metrics are not whole`);
  return stats;
}

/**
 * The combined report, as the distributed leader builds it (Artillery's sqs-reporter.js): each
 * period merged over the workers that reported it, every period packed into the aggregate, and
 * the histograms summarized; then written as `artillery run --output` writes it (histograms
 * replaced by their summaries).
 */
export function combineWorkerMetrics(ssms: Ssms, workers: readonly (readonly string[])[]): { aggregate: RawPeriod; intermediate: RawPeriod[] } {
  const byPeriod = new Map<string, RawPeriod[]>();
  for (const serialized of workers.flat()) {
    const p = ssms.deserializeMetrics(serialized);
    const key = String(p.period);
    byPeriod.set(key, [...(byPeriod.get(key) ?? []), p]);
  }
  const summarize = (p: RawPeriod): RawPeriod => {
    const summaries: Record<string, Record<string, number>> = {};
    for (const [name, h] of Object.entries(p.histograms ?? {})) summaries[name] = ssms.summarizeHistogram(h);
    return { ...p, summaries };
  };
  const merged = [...byPeriod.entries()].sort((a, b) => Number(a[0]) - Number(b[0])).map(([key, list]) => ssms.mergeBuckets(list)[key]!);
  const intermediate = merged.map(summarize);
  const aggregate = summarize(ssms.pack(merged));
  const asWritten = (p: RawPeriod): RawPeriod => ({ ...p, histograms: p.summaries });
  return { aggregate: asWritten(aggregate), intermediate: intermediate.map(asWritten) };
}

/** Per second, the cores of the busiest worker: a generator is the limit when any one process is. */
function busiest(series: readonly (readonly number[])[]): number[] {
  const n = Math.max(0, ...series.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => Math.max(0, ...series.map((s) => s[i] ?? 0)));
}

type Phase = Record<string, unknown>;
/**
 * divideWork splits `arrivalRate` into whole rates (its `distribute`) but a ramp into fractions,
 * and a fraction of a rate rounds up in every worker (50 over 3 workers became 3 × 17 = 51
 * arrivals). The pack writes constant rates as `arrivalRate: N, rampTo: N` (Artillery 2.0.21's
 * timers: README "Measured here"), so such a phase goes to divideWork as the constant rate it is
 * and comes back as a ramp: the same arrivals in all, split in whole numbers.
 */
function asConstantRates(script: Script): { script: Script; constant: Set<number> } {
  const constant = new Set<number>();
  const phases = (script.config.phases ?? []).map((p, i) => {
    const phase = p as Phase;
    if (phase.rampTo === undefined || phase.rampTo !== phase.arrivalRate) return phase;
    constant.add(i);
    const { rampTo: _rampTo, ...rest } = phase;
    return rest;
  });
  return { script: { ...script, config: { ...script.config, phases } }, constant };
}

function backToRamps(part: Script, constant: Set<number>): Script {
  const phases = (part.config.phases ?? []).map((p, i) => {
    const phase = p as Phase;
    return constant.has(i) && typeof phase.arrivalRate === 'number' && phase.arrivalRate > 0 ? { ...phase, rampTo: phase.arrivalRate } : phase;
  });
  return { ...part, config: { ...part.config, phases } };
}

/**
 * Runs N Artillery processes at once, one per part of the split, and writes the combined report
 * to `reportFile`. Each worker keeps its own files in `<slug>.workers/`.
 */
export async function runDistributed(opts: {
  root: string;
  artilleryDir: string;
  scenarioFile: string;
  profile: string;
  target: string;
  reportFile: string;
  logFile: string;
  cpuProfileDir?: string | null;
  workers: number;
  env: NodeJS.ProcessEnv;
  cloud?: CloudOptions;
  onLine?: (line: string, worker: number) => void;
}): Promise<ArtilleryRun & { readonly workerReports: readonly string[] }> {
  // The split and the combination use the Artillery the pack pins (its lockfile), whichever
  // Artillery runs the workers (ARTILLERY_DIR): the serialized format is the same.
  const internals = artilleryInternals(path.dirname(require.resolve('artillery/package.json', { paths: [opts.root] })));
  const prepared = await internals.prepare(opts.scenarioFile, { environment: opts.profile, target: opts.target });
  // The worker scripts live in the run folder.
  absolutizePaths(prepared.config, opts.scenarioFile);
  const parts = splitScript(internals.divideWork, prepared, opts.workers);
  const dir = opts.reportFile.replace(/\.json$/, '.workers');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const started = new Date();
  const runs = await Promise.all(
    parts.map((part, i) => {
      const name = `worker-${i + 1}`;
      const scriptFile = path.join(dir, `${name}.json`);
      writeJsonAtomic(scriptFile, part);
      return runArtillery({
        root: opts.root,
        artilleryDir: opts.artilleryDir,
        scenarioFile: scriptFile,
        profile: null,
        target: opts.target,
        reportFile: path.join(dir, `${name}.report.json`),
        logFile: path.join(dir, `${name}.artillery.log`),
        cpuProfileDir: opts.cpuProfileDir ? path.join(opts.cpuProfileDir, name) : null,
        env: { ...opts.env, ISOLATION_METRICS_FILE: path.join(dir, `${name}.metrics.ndjson`), ...(i === 0 ? {} : { ISOLATION_PROGRESS: '0' }) },
        ...(opts.cloud ? { cloud: opts.cloud } : {}),
        onLine: (line) => opts.onLine?.(line, i + 1),
      });
    }),
  );
  const metrics = parts.map((_, i) => {
    const file = path.join(dir, `worker-${i + 1}.metrics.ndjson`);
    if (!fs.existsSync(file)) throw new PackError('LT_ARTILLERY_FAILED', `worker ${i + 1} wrote no metrics (${file}); see ${runs[i]!.logFile}`);
    return parseWorkerMetrics(fs.readFileSync(file, 'utf8'), file);
  });
  writeJsonAtomic(opts.reportFile, combineWorkerMetrics(internals.ssms, metrics));
  fs.writeFileSync(
    opts.logFile,
    runs.map((r, i) => `=== worker ${i + 1} of ${runs.length}: ${r.logFile} (exit ${r.exitCode}) ===\n${fs.readFileSync(r.logFile, 'utf8')}`).join('\n'),
  );
  const codes = runs.map((r) => r.exitCode ?? -1);
  return {
    // The worst worker's code: 0 and 1 (a per-worker check) are judged on the combined report.
    exitCode: codes.find((c) => ![0, 1, 21].includes(c)) ?? Math.max(...codes),
    missingPlugins: [...new Set(runs.flatMap((r) => r.missingPlugins))],
    report: readArtilleryReport(opts.reportFile),
    reportFile: opts.reportFile,
    logFile: opts.logFile,
    startedAt: started,
    endedAt: new Date(Math.max(...runs.map((r) => r.endedAt.getTime()))),
    cpu: busiest(runs.map((r) => r.cpu)),
    workerReports: runs.map((r) => r.reportFile),
  };
}
