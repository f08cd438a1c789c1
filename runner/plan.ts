/**
 * The plan: one or more scenarios, as a list of steps.
 *
 *   1. load every scenario and check its capacity (preflight) — nothing is started or written
 *      when one is refused;
 *   2. start the environment (runner/environment.ts) and warm the API up;
 *   3. for each scenario: seed, measure (runner/measure.ts), post-checks;
 *   4. stop the environment, decide GO / CONDITIONAL / NO-GO, write summary.json and reports.
 */
import * as path from 'node:path';
import { evaluate } from 'artillery-plugin-isolation';
import type { ApiMode, PackConfig } from '../lib/config';
import { PackError } from '../lib/errors';
import { assertOwned } from '../db/ownership';
import { fixtureAuthorizations, seed } from '../seed/seed';
import { buildSeedData } from '../seed/plan';
import { Fixture, loadFixture, secondsUntilTokensExpire } from '../seed/fixture';
import type { RunSummary, ScenarioOutcome } from '../formats/summary';
import { writeRunReports } from '../report/write';
import type { ScenarioDef } from './catalog';
import { Environment, startEnvironment } from './environment';
import { criterionRow, decide } from './judge';
import { measureStep } from './measure';
import { combineRepeats, shownRun } from './repeat';
import type { CloudOptions } from './artillery';
import type { Distribution } from './distributed';
import { FAULTS } from '../faults/registry';
import { postCheckRows } from './post-checks';
import { describeLine, formatPreflight, runPreflight } from './preflight';
import { formatProgress, parseProgressLine } from './progress';
import { createRunDir, pointLatest, runMeta, writeCiOutputs, writeSummary } from './run-folder';
import { ScenarioConfig, expectedSeconds, loadScenario } from './scenario-config';
import { seriesRow } from './series-criteria';
import { formatSummary } from './summary';
import { warmUp } from './warmup';

export interface RunOptions {
  readonly profile: string;
  readonly scenarios: readonly ScenarioDef[];
  readonly apiMode: ApiMode;
  /** Seed before each scenario (reference schema). Off when aiming at a user's own database. */
  readonly seed: boolean;
  /** Passed through to `artillery run` (Artillery Cloud): --record, --tags, --note; the key goes by environment. */
  readonly cloud?: CloudOptions;
  /** Run each scenario this many times (runner/repeat.ts): latency on the median, correctness in every run. */
  readonly repeat?: number;
  /** N Artillery processes as distributed workers, and whether they share a history (runner/distributed.ts). */
  readonly distribution?: Distribution;
  readonly out: (line: string) => void;
}

interface Loaded {
  readonly def: ScenarioDef;
  readonly scenario: ScenarioConfig;
}

/** Lines of Artillery's output worth showing live. */
const ECHO = /^(ok|fail): |^isolation (PASS|FAIL)|^Error|^error|WARNING/;

/** Step 1: every scenario loaded and its capacity checked; throws LT_PREFLIGHT_REFUSED before anything starts. */
function preflight(config: PackConfig, opts: RunOptions, startedAt: Date): Loaded[] {
  const out = opts.out;
  const loaded = opts.scenarios.map((def) => ({ def, scenario: loadScenario(def.file, opts.profile) }));
  const refused: string[] = [];
  for (const { def, scenario } of loaded) {
    const authorizations = opts.seed ? fixtureAuthorizations(buildSeedData(undefined, def.seedProfile)) : loadFixture(config.fixturePath).authorizations;
    const pf = runPreflight(def.id, scenario.checks.preflight, scenario, authorizations);
    out(`${def.id} preflight (${opts.seed ? `seed profile ${def.seedProfile}` : 'existing fixture'}):`);
    if (pf.lines.length > 0) out(formatPreflight(pf));
    for (const l of pf.lines.filter((x) => !x.ok)) refused.push(`${def.id}: ${describeLine(l)}`);
  }
  if (!opts.seed) {
    // A hand-written fixture's tokens must outlive the run, or the tail of the run is all 401s.
    const f = loadFixture(config.fixturePath);
    const needs = loaded.reduce((n, { scenario }) => n + expectedSeconds(scenario), 0) + 120;
    const left = secondsUntilTokensExpire(f, startedAt.getTime());
    out(
      `fixture tokens: valid for ${Number.isFinite(left) ? `${Math.round(left)} s` : 'an unknown time (no tokensExpireAt)'}; the run needs about ${Math.round(needs)} s`,
    );
    if (left < needs)
      refused.push(
        `the fixture's tokens expire in ${Math.round(left)} s, before the run ends (about ${Math.round(needs)} s): write a fixture with fresher tokens`,
      );
  }
  if (refused.length > 0)
    throw new PackError('LT_PREFLIGHT_REFUSED', `the ${opts.profile} profile would exhaust capacity the scenario does not mean to: ${refused.join('; ')}`);
  return loaded;
}

async function seedFor(config: PackConfig, env: Environment, profile: ScenarioDef['seedProfile']): Promise<Fixture> {
  return (
    await seed({
      databaseUrl: env.server.url,
      fixturePath: config.fixturePath,
      secretPath: config.secretPath,
      tokenTtlSeconds: config.tokenTtlSeconds,
      profile,
    })
  ).fixture;
}

/** Step 2b: a burst of reserve/release pairs so that the first scenario does not measure a cold API. */
async function warm(config: PackConfig, env: Environment, opts: RunOptions): Promise<void> {
  if (!opts.seed || config.warmupPairs === 0) return;
  const f = await seedFor(config, env, 'plan');
  const t0 = Date.now();
  const seen = await warmUp(env.target, f, config.warmupPairs);
  opts.out(
    `  warm-up: ${config.warmupPairs} reserve/release pairs in ${Date.now() - t0} ms (${Object.entries(seen)
      .map(([s, n]) => `${n} × ${s}`)
      .join(', ')}); not measured, data reseeded`,
  );
}

/** Step 3: one scenario, from its seed to its rows. */
async function runScenario(
  config: PackConfig,
  env: Environment,
  opts: RunOptions,
  runDir: string,
  { def, scenario }: Loaded,
  index: number,
  of: number,
): Promise<{ outcome: ScenarioOutcome; crashes: readonly string[] }> {
  const out = opts.out;
  const expected = expectedSeconds(scenario);
  const repeat = opts.repeat ?? 1;
  out('');
  out(
    `▶ scenario ${index} of ${of}: ${def.id} ${def.title} — ${scenario.config.phases.length} phases, about ${Math.round(expected)} s` +
      (repeat > 1 ? `, ${repeat} times` : ''),
  );
  const runs: Awaited<ReturnType<typeof measureOnce>>[] = [];
  for (let r = 1; r <= repeat; r++) {
    if (repeat > 1) out(`  run ${r} of ${repeat}`);
    runs.push(await measureOnce(config, env, opts, runDir, { def, scenario }, { index, of, expected, slug: repeat > 1 ? `${def.slug}.run${r}` : def.slug }));
  }
  const rows = combineRepeats(runs.map((x) => x.m.rows));
  const shown = shownRun(runs.map((x) => x.m.rows));
  const { m, fixture } = runs[shown]!;
  return {
    crashes: runs.flatMap((x) => x.m.crashes),
    outcome: {
      id: def.id,
      title: def.title,
      seedProfile: opts.seed ? def.seedProfile : 'existing fixture',
      fixtureGeneratedAt: fixture.generatedAt,
      authorizations: fixture.authorizations.length,
      capacityUnits: fixture.authorizations.reduce((n, a) => n + a.capacityUnits, 0),
      pool: m.pool,
      reportFile: m.run.reportFile,
      artilleryExitCode: m.run.exitCode,
      startedAt: runs[0]!.m.run.startedAt.toISOString(),
      endedAt: runs[runs.length - 1]!.m.run.endedAt.toISOString(),
      rows,
      integrity: m.integrity,
      reconciliation: m.reconciliation,
      replay: m.replay,
      generator: m.generator,
      historyDir: m.historyDir,
      ...(m.faults ? { faults: m.faults } : {}),
      ...(m.database ? { database: m.database } : {}),
      ...(m.pressure ? { pressure: m.pressure } : {}),
      baselineFile: m.baselineFile,
      ...(repeat > 1 ? { repeats: { runs: repeat, reportFiles: runs.map((x) => x.m.run.reportFile), shown: shown + 1 } } : {}),
    },
  };
}

/** One run of a scenario: seed (when the pack owns the data), then measure. */
async function measureOnce(
  config: PackConfig,
  env: Environment,
  opts: RunOptions,
  runDir: string,
  { def, scenario }: Loaded,
  at: { index: number; of: number; expected: number; slug: string },
) {
  const { index, of, expected } = at;
  const out = opts.out;
  let fixture: Fixture;
  if (opts.seed) {
    fixture = await seedFor(config, env, def.seedProfile);
    out(`  seeded profile ${def.seedProfile}: ${fixture.authorizations.length} authorizations; fixture ${path.relative(process.cwd(), config.fixturePath)}`);
  } else {
    fixture = loadFixture(config.fixturePath);
  }
  const started = Date.now();
  const m = await measureStep({
    config,
    env,
    label: def.id,
    scenarioFile: def.file,
    profile: opts.profile,
    slug: at.slug,
    runDir,
    artilleryEnv: { ISOLATION_PROGRESS: '1' },
    ...(opts.cloud ? { cloud: opts.cloud } : {}),
    ...(opts.distribution ? { distribution: opts.distribution } : {}),
    ...(scenario.checks.faults.length > 0 ? { faults: scenario.checks.faults } : {}),
    ...(scenario.checks.pressure ? { pressure: scenario.checks.pressure } : {}),
    onLine: (line) => {
      const progress = parseProgressLine(line);
      if (progress) out(`  ${formatProgress(progress, { index, of, elapsedSeconds: (Date.now() - started) / 1000, expectedSeconds: expected })}`);
      else if (ECHO.test(line)) out(`  ${line}`);
    },
    judge: async ({ report }) => [
      ...evaluate(report.aggregate, scenario.criteria).map((r) => criterionRow(def.id, r)),
      ...scenario.checks.series.map((c) => seriesRow(def.id, c, report, scenario.config.phases)),
      ...(await postCheckRows({ scenario: def.id, target: env.target, fixture, report }, scenario.checks.postChecks)),
    ],
    print: 'always',
    out,
  });
  return { m, fixture };
}

/** Step 4b: the HTML reports and PERFORMANCE_TEST_RESULTS.md; a failure here leaves the verdict standing. */
function reports(runDir: string, out: (line: string) => void): void {
  try {
    const written = writeRunReports(runDir);
    out('');
    out('reports (open in a browser; they work offline):');
    out(`  index:   ${written.index}`);
    for (const p of written.pages) out(`  report:  ${p}`);
    if (written.results) out(`  results: ${written.results}`);
  } catch (err) {
    out(`warning: could not write the HTML reports: ${(err as Error).message} (write them again with \`npm run load-test:report\`)`);
  }
}

export async function runPlan(config: PackConfig, opts: RunOptions): Promise<RunSummary> {
  const out = opts.out;
  const startedAt = new Date();
  if (opts.seed) assertOwned(config.db, 'seeding before each scenario');
  const loaded = preflight(config, opts, startedAt);
  const { runId, runDir } = createRunDir(config.reportsDir, opts.profile, startedAt);
  out(`run ${runId}: ${loaded.length} scenario(s), profile ${opts.profile}; output in ${path.relative(process.cwd(), runDir) || runDir}`);
  const dist = opts.distribution;
  if (dist && (dist.workers > 1 || !dist.sharedHistory)) {
    out(
      `distributed shape: ${dist.workers} Artillery process(es) on one target (Artillery's divideWork; reports combined with its SSMS); ` +
        (dist.sharedHistory ? 'one shared history' : 'no shared history: reconciliation from the combined counters, CONDITIONAL at best'),
    );
  }

  // A proxy between the reference API and PostgreSQL, when a scenario injects faults through it.
  const faultProxy = loaded.some(({ scenario }) => scenario.checks.faults.some((f) => FAULTS[f.fault]!.needs === 'proxy'));
  const env = await startEnvironment(config, { apiMode: opts.apiMode, runDir, out, faultProxy });
  await warm(config, env, opts);
  const crashes: string[] = [];
  const scenarios: ScenarioOutcome[] = [];
  for (const [k, l] of loaded.entries()) {
    const r = await runScenario(config, env, opts, runDir, l, k + 1, loaded.length);
    scenarios.push(r.outcome);
    crashes.push(...r.crashes);
  }
  await env.stop();

  const { decision, reasons } = decide(
    scenarios.flatMap((s) => s.rows),
    crashes,
  );
  const summary: RunSummary = {
    meta: runMeta(config, env),
    runId,
    runDir,
    profile: opts.profile,
    target: env.target,
    apiMode: config.target ? 'external' : opts.apiMode,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    ...(dist ? { distribution: dist } : {}),
    scenarios,
    crashes,
    decision,
    reasons,
    warnings: scenarios
      .filter((s) => s.generator.saturated)
      .map((s) => `${s.id}: the load generator was the limit (${s.generator.reasons.join('; ')}): its latency figures are partly the client's`),
  };
  writeSummary(runDir, summary);
  const ci = writeCiOutputs(config, runDir, summary);
  out('');
  out(formatSummary(summary));
  out(`ci: ${ci.join(', ')}`);
  pointLatest(config.reportsDir, runDir);
  reports(runDir, out);
  return summary;
}
