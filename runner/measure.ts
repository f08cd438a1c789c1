/**
 * Measuring one step of a run, the same way for every kind of run (a plan scenario, a ladder
 * step): snapshot the reconciliation inputs (the baseline), reset the API's pool counters, run
 * Artillery, read the pool counters, judge the report, then the integrity check, the ledger
 * replay and the reconciliation against the operation history. The database is only read.
 */
import * as path from 'node:path';
import type { PackConfig } from '../lib/config';
import { reasonOf } from '../lib/errors';
import type { ArtilleryReport } from '../formats/artillery-json';
import { METRICS } from 'artillery-plugin-isolation';
import type { CheckRow, PoolStats, PressureOutcome, ReplayResult, ScenarioOutcome } from '../formats/summary';
import { summaryOf } from '../formats/artillery-json';
import { judgeGenerator } from './generator';
import { writeBaselineFile } from '../formats/baseline';
import { formatIntegrity, runIntegritySql } from '../verify/integrity';
import { formatReconciliation, reconcileRun, takeBaseline } from '../verify/reconciliation';
import { replayLedgerOffThread } from '../verify/off-thread';
import { poolStats } from './api-client';
import { ArtilleryRun, CloudOptions, runArtillery } from './artillery';
import { Distribution, runDistributed } from './distributed';
import { FaultSpec, scheduleFaults } from '../faults/registry';
import { analyzeFaults, exchangesOf } from '../faults/analysis';
import { faultRows } from '../faults/rows';
import { readHistoryEvents } from '../verify/history';
import { startSampler } from '../db/sampler';
import { PressureSpec, pressureEffect, pressureRows } from './pressure';
import { dbHeadline, writeDbSamplesFile } from '../formats/db-samples';
import type { Environment } from './environment';
import { integrityRow, reconciliationRow, replayRow } from './judge';

export interface StepOptions {
  readonly config: PackConfig;
  readonly env: Environment;
  /** The label of the rows ("scenario1", "ladder 100"). */
  readonly label: string;
  readonly scenarioFile: string;
  /** The Artillery environment (`--environment`); null for a script written for this step alone (load-test:breakpoint). */
  readonly profile: string | null;
  /** Files: <runDir>/<slug>.json, <slug>.history/, <slug>.artillery.log */
  readonly slug: string;
  readonly runDir: string;
  readonly artilleryEnv?: Readonly<Record<string, string>>;
  readonly cloud?: CloudOptions;
  /** N processes as distributed workers, with or without a shared history (runner/distributed.ts); one process by default. */
  readonly distribution?: Distribution;
  /** Faults to inject while the load runs, on the timeline from the first phase's start (load-test:faults). */
  readonly faults?: readonly FaultSpec[];
  /** Measure what the pressure reads cost the writers (load-test:swarm). */
  readonly pressure?: PressureSpec;
  readonly onLine?: (line: string) => void;
  /** The rows judged from Artillery's report (and the pool) before integrity and reconciliation. */
  readonly judge: (m: { readonly report: ArtilleryReport; readonly pool: PoolStats | null }) => Promise<CheckRow[]>;
  /** Print the integrity and reconciliation blocks always, or only when a row failed. */
  readonly print: 'always' | 'on-failure';
  readonly out: (line: string) => void;
}

/** What one step measured: the fields of a scenario's outcome (formats/summary.ts) it fills, plus the run and what crashed. */
export type Measurement = Pick<
  ScenarioOutcome,
  'pool' | 'rows' | 'integrity' | 'reconciliation' | 'replay' | 'generator' | 'historyDir' | 'baselineFile' | 'faults' | 'database' | 'pressure'
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

export async function measureStep(o: StepOptions): Promise<Measurement> {
  const { env, config } = o;
  const historyDir = path.join(o.runDir, `${o.slug}.history`);
  const baselineFile = path.join(o.runDir, `${o.slug}.baseline.json`);
  const sqlDir = path.dirname(config.verifySqlPath);
  const baseline = await takeBaseline(env.server.url, sqlDir);
  writeBaselineFile(baselineFile, baseline);
  if (env.api) await poolStats(env.target, 'reset', env.api.internalToken);
  // What PostgreSQL does meanwhile, once a second, read-only (db/sampler.ts).
  const sampler = await startSampler(env.server.url).catch((err: unknown) => {
    o.out(`  warning: the database sampler could not start (${reasonOf(err)}): no Database section`);
    return null;
  });
  const dist = o.distribution ?? { workers: 1, sharedHistory: true };
  const faults = o.faults && o.faults.length > 0 ? scheduleFaults(o.faults, env.faultTargets, o.out) : null;
  // The timeline starts with the load: Artillery's first "Phase started" line.
  const onLine = (line: string): void => {
    if (faults && /^Phase started/.test(line)) faults.begin();
    o.onLine?.(line);
  };
  const common = {
    root: config.root,
    artilleryDir: config.artilleryDir,
    scenarioFile: o.scenarioFile,
    profile: o.profile,
    target: env.target,
    reportFile: path.join(o.runDir, `${o.slug}.json`),
    logFile: path.join(o.runDir, `${o.slug}.artillery.log`),
    cpuProfileDir: config.profileGenerator ? path.join(o.runDir, `${o.slug}.generator-cpu`) : null,
    // Without a shared history (as on a cloud runner) reconciliation falls back to the counters.
    env: { FIXTURE_PATH: config.fixturePath, ...(dist.sharedHistory ? { ISOLATION_HISTORY_DIR: historyDir } : {}), ...o.artilleryEnv },
    ...(o.cloud ? { cloud: o.cloud } : {}),
  };
  let run: ArtilleryRun;
  try {
    run = await (
      dist.workers > 1 ? runDistributed({ ...common, profile: o.profile ?? 'full', workers: dist.workers, onLine }) : runArtillery({ ...common, onLine })
    ).finally(() => faults?.finish());
  } catch (err) {
    // Artillery failed: the sampler's connection goes too (its samples mean nothing without a run).
    await sampler?.stop().catch(() => undefined);
    throw err;
  }
  const timeline = faults ? await faults.finish() : null;
  const dbFile = path.join(o.runDir, `${o.slug}.db.json`);
  const samples = sampler ? await sampler.stop() : null;
  if (samples) writeDbSamplesFile(dbFile, samples);
  const crashes: string[] = [];
  // 1: a check failed (ensure, the plugin's expectations); 21: artillery-plugin-expect saw an
  // answer off the contract. Both are judged by their own rows, not as a crash.
  if (![0, 1, 21].includes(run.exitCode ?? -1)) crashes.push(`${o.label}: artillery exited with code ${run.exitCode}`);
  // A plugin the scenario names but Artillery could not load leaves its checks unmeasured: say so by name.
  for (const line of run.missingPlugins) crashes.push(`${o.label}: ${line.replace(/\s+warn$/, '')}`);
  if (env.api && env.api.child.process.exitCode !== null) crashes.push(`${o.label}: the reference API exited with code ${env.api.child.process.exitCode}`);
  const pool = env.api ? await poolStats(env.target, 'read', env.api.internalToken) : null;

  const rows = await o.judge({ report: run.report, pool });
  // The three checks read at once, each in its own READ ONLY transaction.
  const [integrity, replayed, reconciliation] = await Promise.all([
    runIntegritySql(env.server.url, config.verifySqlPath),
    replayLedgerOffThread(env.server.url, sqlDir),
    reconcileRun({ databaseUrl: env.server.url, historyDir: dist.sharedHistory ? historyDir : null, report: run.report, baseline, sqlDir }),
  ]);
  let faultOutcome: Measurement['faults'];
  if (timeline) {
    const findings = analyzeFaults(timeline, exchangesOf(readHistoryEvents(historyDir)));
    faultOutcome = { timeline, findings };
    rows.push(...faultRows(o.label, timeline, findings));
  }
  const headline = samples ? dbHeadline(samples) : null;
  let pressure: PressureOutcome | undefined;
  if (o.pressure) {
    pressure = pressureEffect(o.pressure, dist.sharedHistory ? exchangesOf(readHistoryEvents(historyDir)) : null, run.report, headline);
    rows.push(...pressureRows(o.label, o.pressure, pressure));
  }
  rows.push(integrityRow(o.label, integrity));
  const replay: ReplayResult = { checked: replayed !== null, verdict: replayed, counts: replayed?.counts ?? {} };
  rows.push(replayRow(o.label, replay));
  rows.push(reconciliationRow(o.label, reconciliation));
  if (o.print === 'always' || !rows.every((r) => r.pass)) {
    o.out(indent(formatIntegrity(integrity)));
    o.out(indent(formatReconciliation(reconciliation)));
  }
  const generator = judgeGenerator(run.cpu, summaryOf(run.report.aggregate, METRICS.loopDelay));
  if (generator.saturated) o.out(`  warning: the load generator was the limit (${generator.reasons.join('; ')}): the latency measured is partly the client's`);
  return {
    run,
    pool,
    rows,
    integrity,
    reconciliation,
    replay,
    generator,
    historyDir: dist.sharedHistory ? historyDir : null,
    baselineFile,
    crashes,
    ...(faultOutcome ? { faults: faultOutcome } : {}),
    ...(samples && headline ? { database: { file: dbFile, headline, statementsNote: samples.statementsNote, failedSamples: samples.failedSamples } } : {}),
    ...(pressure ? { pressure } : {}),
  };
}
