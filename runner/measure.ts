/**
 * Measuring one step of a run, the same way for every kind of run (a plan scenario, a ladder
 * step): snapshot the reconciliation inputs (the baseline), reset the API's pool counters, run
 * Artillery while the database is sampled (and faults are injected, when the step has them),
 * then the checks of runner/step-checks.ts. The database is only read.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { reasonOf } from '../lib/errors';
import type { CheckRow, ScenarioOutcome } from '../formats/summary';
import { writeBaselineFile } from '../formats/baseline';
import { dbHeadline, writeDbSamplesFile } from '../formats/db-samples';
import { takeBaseline } from '../verify/reconciliation';
import { startSampler } from '../db/sampler';
import { FaultSpec, scheduleFaults } from '../faults/registry';
import { poolStats } from './api-client';
import { ArtilleryRun, CloudOptions, runArtillery } from './artillery';
import type { RunContext } from './context';
import { Distribution, runDistributed } from './distributed';
import type { PressureSpec } from './pressure';
import { AfterLoad, Judge, OutcomePart, STEP_CHECKS } from './step-checks';
import type { BaselineFile } from '../formats/baseline';
import { startHostWatch } from './host-sampler';
import { HostLoad, describeHost, judgeHost } from './host';
import { withHost } from './judge';

/** What Artillery runs, and where its files go. */
export interface LoadSpec {
  /** The script (runner/script.ts writes a scenario's into the run folder). */
  readonly scenarioFile: string;
  /** The Artillery environment (`--environment`); null for a script written for this step alone. */
  readonly profile: string | null;
  /** Files: <runDir>/<slug>.json, <slug>.history/, <slug>.artillery.log */
  readonly slug: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cloud?: CloudOptions;
  /** N processes as distributed workers, with or without a shared history (runner/distributed.ts); one process by default. */
  readonly distribution?: Distribution;
  readonly onLine?: (line: string) => void;
}

/** What is judged after the load. */
export interface StepChecks {
  readonly judge: Judge;
  /** Faults to inject while the load runs, on the timeline from the first phase's start (load-test:faults). */
  readonly faults?: readonly FaultSpec[];
  /** Measure what the pressure reads cost the writers (load-test:swarm). */
  readonly pressure?: PressureSpec;
  /** Print the integrity and reconciliation blocks always, or only when a row failed. */
  readonly print: 'always' | 'on-failure';
}

export interface StepOptions {
  /** The label of the rows ("scenario1", "ladder 100"). */
  readonly label: string;
  readonly load: LoadSpec;
  readonly checks: StepChecks;
  /** The baseline, when the caller took it already (to derive the step's expected numbers from it). */
  readonly baseline?: BaselineFile;
}

/** What one step measured: the fields of a scenario's outcome (formats/summary.ts) it fills, plus the run and what crashed. */
export type Measurement = Pick<
  ScenarioOutcome,
  'pool' | 'rows' | 'integrity' | 'reconciliation' | 'replay' | 'generator' | 'historyDir' | 'baselineFile' | 'faults' | 'database' | 'pressure' | 'host'
> & {
  readonly run: ArtilleryRun;
  /** What crashed during the step (Artillery, the reference API). */
  readonly crashes: readonly string[];
};

const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

/** Runs Artillery (one process, or N as distributed workers) with the run's files and environment. */
async function load(ctx: RunContext, o: StepOptions, historyDir: string, onLine: (line: string) => void): Promise<ArtilleryRun> {
  const { config, env } = ctx;
  const dist = o.load.distribution ?? { workers: 1, sharedHistory: true };
  const common = {
    root: config.root,
    artilleryDir: config.artilleryDir,
    scenarioFile: o.load.scenarioFile,
    profile: o.load.profile,
    target: env.target,
    reportFile: path.join(ctx.runDir, `${o.load.slug}.json`),
    logFile: path.join(ctx.runDir, `${o.load.slug}.artillery.log`),
    cpuProfileDir: config.profileGenerator ? path.join(ctx.runDir, `${o.load.slug}.generator-cpu`) : null,
    // Without a shared history (as on a cloud runner) reconciliation falls back to the counters.
    env: {
      FIXTURE_PATH: config.fixturePath,
      ISOLATION_CONTRACT_FILE: ctx.contractFile,
      LOADTEST_REFERENCE_TARGET: ctx.target.isReference ? '1' : '0',
      ...(dist.sharedHistory ? { ISOLATION_HISTORY_DIR: historyDir } : {}),
      ...o.load.env,
    },
    ...(o.load.cloud ? { cloud: o.load.cloud } : {}),
  };
  return dist.workers > 1 ? runDistributed({ ...common, profile: o.load.profile, workers: dist.workers, onLine }) : runArtillery({ ...common, onLine });
}

export async function measureStep(ctx: RunContext, o: StepOptions): Promise<Measurement> {
  const { env } = ctx;
  const historyDir = path.join(ctx.runDir, `${o.load.slug}.history`);
  const baselineFile = path.join(ctx.runDir, `${o.load.slug}.baseline.json`);
  const baseline = o.baseline ?? (await takeBaseline(env.server.url, ctx.sql));
  writeBaselineFile(baselineFile, baseline);
  if (env.api) await poolStats(env.target, 'reset', env.api.internalToken);
  // What PostgreSQL does meanwhile, once a second, read-only (db/sampler.ts).
  const sampler = await startSampler(env.server.url).catch((err: unknown) => {
    ctx.out(`  warning: the database sampler could not start (${reasonOf(err)}): no Database section`);
    return null;
  });
  const faults = o.checks.faults && o.checks.faults.length > 0 ? scheduleFaults(o.checks.faults, env.faultTargets, ctx.out) : null;
  // The whole machine meanwhile: whose work was it (runner/host.ts).
  const local = localPorts([env.target, env.server.url]);
  const watch = startHostWatch({ localPorts: local.ports });
  // The timeline starts with the load: Artillery's first "Phase started" line.
  const onLine = (line: string): void => {
    if (faults && /^Phase started/.test(line)) faults.begin();
    o.load.onLine?.(line);
  };
  let run: ArtilleryRun;
  try {
    run = await load(ctx, o, historyDir, onLine).finally(() => faults?.finish());
  } catch (err) {
    // Artillery failed: the sampler's connection goes too (its samples mean nothing without a run).
    await sampler?.stop().catch(() => undefined);
    watch?.stop();
    throw err;
  }
  const hostSamples = watch?.stop() ?? null;
  const host: HostLoad | null = hostSamples ? judgeHost(hostSamples, os.cpus().length, !local.targetLocal) : null;
  if (host) ctx.out(`  ${describeHost(host)}${host.busy ? ` (${host.reasons.join('; ')})` : ''}`);
  const timeline = faults ? await faults.finish() : null;
  const dbFile = path.join(ctx.runDir, `${o.load.slug}.db.json`);
  const samples = sampler ? await sampler.stop() : null;
  if (samples) writeDbSamplesFile(dbFile, samples);
  const crashes = crashesOf(o.label, run, env);
  const sharedHistory = o.load.distribution?.sharedHistory ?? true;
  const headline = samples ? dbHeadline(samples) : null;
  const after: AfterLoad = {
    ctx,
    label: o.label,
    run,
    baseline,
    historyDir: sharedHistory ? historyDir : null,
    pool: env.api ? await poolStats(env.target, 'read', env.api.internalToken) : null,
    timeline,
    dbHeadline: headline,
    judge: o.checks.judge,
    pressure: o.checks.pressure ?? null,
    print: o.checks.print,
  };
  const results = await Promise.all(STEP_CHECKS.map((c) => c.run(after)));
  const rows: CheckRow[] = withHost(
    results.flatMap((r) => r.rows),
    host,
  );
  const outcome: OutcomePart = Object.assign({}, ...results.map((r) => r.outcome ?? {})) as OutcomePart;
  if (o.checks.print === 'always' || !rows.every((r) => r.pass || r.notChecked !== undefined)) for (const r of results) if (r.text) ctx.out(indent(r.text));
  for (const w of results.flatMap((r) => r.warnings ?? [])) ctx.out(`  warning: ${w}`);
  return {
    run,
    pool: after.pool,
    rows,
    integrity: outcome.integrity!,
    reconciliation: outcome.reconciliation!,
    replay: outcome.replay!,
    generator: outcome.generator!,
    historyDir: after.historyDir,
    baselineFile,
    crashes,
    ...(outcome.faults ? { faults: outcome.faults } : {}),
    ...(samples && headline ? { database: { file: dbFile, headline, statementsNote: samples.statementsNote, failedSamples: samples.failedSamples } } : {}),
    ...(outcome.pressure ? { pressure: outcome.pressure } : {}),
    host,
  };
}

/** What crashed during a step: Artillery, a plugin it could not load, the reference API. */
function crashesOf(label: string, run: ArtilleryRun, env: RunContext['env']): string[] {
  const crashes: string[] = [];
  // 1: a check failed (ensure, the plugin's expectations). Judged by its own rows, not as a crash.
  if (![0, 1].includes(run.exitCode ?? -1)) crashes.push(`${label}: artillery exited with code ${run.exitCode}`);
  // A plugin the scenario names but Artillery could not load leaves its checks unmeasured: say so by name.
  for (const line of run.missingPlugins) crashes.push(`${label}: ${line.replace(/\s+warn$/, '')}`);
  if (env.api && env.api.child.process.exitCode !== null) crashes.push(`${label}: the reference API exited with code ${env.api.child.process.exitCode}`);
  return crashes;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** The ports of these URLs that are on this machine, and whether the first (the target) is. */
function localPorts(urls: readonly string[]): { ports: number[]; targetLocal: boolean } {
  const ports: number[] = [];
  let targetLocal = false;
  urls.forEach((u, i) => {
    try {
      const url = new URL(u);
      if (!LOCAL_HOSTS.has(url.hostname)) return;
      ports.push(Number(url.port || (url.protocol === 'https:' ? 443 : url.protocol.startsWith('postgres') ? 5432 : 80)));
      if (i === 0) targetLocal = true;
    } catch {
      /* not a URL: nothing to watch */
    }
  });
  return { ports, targetLocal };
}
