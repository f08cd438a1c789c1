/**
 * The shape of Artillery's distributed runners (run-fargate, run-lambda), proved on one machine:
 * one scenario's load split over N Artillery processes aimed at one target, and their metrics
 * combined into one report the way the distributed leader combines its workers'.
 *
 * No Artillery internal is loaded: the script is prepared as `artillery run` prepares it (its
 * environment merged in, arrays index by index; its target set), split by Artillery's rules
 * (runner/split.ts), and the workers' period metrics (plugin/src/worker-metrics.ts) are combined
 * with the sketches library Artillery itself uses (runner/combine.ts). So the same code serves
 * every Artillery 2.x the pack runs, and unit tests prove both halves equal to the installed
 * Artillery's own.
 *
 * What each worker script loses, on purpose:
 * - `ensure` and the isolation plugin's `expect`: a third of the load cannot meet "exactly 50".
 *   The combined report is judged once, by the runner, as the distributed leader re-runs
 *   `ensure` on the combined report;
 * - payload rows already read: each worker reads the payload files itself, as a Fargate worker
 *   does with the bundled files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import L from 'lodash';
import YAML from 'yaml';
import { absolutizePaths } from './scenario-config';
import { writeJsonAtomic } from '../lib/atomic';
import { PackError } from '../lib/errors';
import { ArtilleryRun, CloudOptions, runArtillery } from './artillery';
import { readArtilleryReport } from '../formats/artillery-json';
import { combinePeriods, parseWorkerMetrics } from './combine';
import { splitPhases } from './split';

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

export type Script = { config: Record<string, unknown> & { phases?: Record<string, unknown>[]; plugins?: Record<string, unknown> }; [k: string]: unknown };

/**
 * Pure: a script as `artillery run --environment <profile> --target <target>` runs it: the
 * environment's configuration merged over the script's (lodash merge, arrays index by index, as
 * Artillery merges it), the target set, the environments gone.
 */
export function prepareScript(script: Script, profile: string | null, target: string): Script {
  const s = structuredClone(script);
  const envs = (s.config.environments ?? {}) as Record<string, Record<string, unknown> | null>;
  if (profile !== null) {
    if (!(profile in envs)) throw new PackError('LT_USAGE', `the scenario has no environment ${profile}`);
    L.merge(s.config, envs[profile] ?? {});
  }
  delete s.config.environments;
  s.config.target = target;
  return s;
}

/** Pure: the worker scripts of a prepared script (runner/split.ts), each made a worker's (workerScript). */
export function splitScript(prepared: Script, workers: number): Script[] {
  return splitPhases(prepared.config.phases ?? [], workers).map((phases) => workerScript({ ...prepared, config: { ...prepared.config, phases } }));
}

/**
 * Pure: a worker's script from one part of the split. The judging configuration goes (the
 * combined report is judged once), payload rows go (each worker reads the files), and keys
 * starting with `_` (Artillery's own bookkeeping) go.
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

/** Per second, the cores of the busiest worker: a generator is the limit when any one process is. */
function busiest(series: readonly (readonly number[])[]): number[] {
  const n = Math.max(0, ...series.map((s) => s.length));
  return Array.from({ length: n }, (_, i) => Math.max(0, ...series.map((s) => s[i] ?? 0)));
}

/**
 * Runs N Artillery processes at once, one per part of the split, and writes the combined report
 * to `reportFile`. Each worker keeps its own files in `<slug>.workers/`.
 */
export async function runDistributed(opts: {
  root: string;
  artilleryDir: string;
  scenarioFile: string;
  profile: string | null;
  target: string;
  reportFile: string;
  logFile: string;
  cpuProfileDir?: string | null;
  workers: number;
  env: NodeJS.ProcessEnv;
  cloud?: CloudOptions;
  onLine?: (line: string, worker: number) => void;
}): Promise<ArtilleryRun & { readonly workerReports: readonly string[] }> {
  const prepared = prepareScript(YAML.parse(fs.readFileSync(opts.scenarioFile, 'utf8')) as Script, opts.profile, opts.target);
  // The worker scripts live in the run folder.
  absolutizePaths(prepared.config, opts.scenarioFile);
  const parts = splitScript(prepared, opts.workers);
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
  writeJsonAtomic(opts.reportFile, combinePeriods(metrics));
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
