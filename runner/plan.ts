/**
 * The plan: one or more scenarios, as a list of steps.
 *
 *   1. read the target description and its SQL, load every scenario and check its capacity
 *      (preflight): nothing is started or written when one is refused;
 *   2. start the environment (runner/environment.ts), take the run's tokens and fixture, and
 *      warm the API up;
 *   3. for each scenario: seed (when the pack owns the data), measure (runner/measure.ts) with
 *      its expected numbers derived from the data it starts on;
 *   4. stop the environment, decide GO / CONDITIONAL / NO-GO / UNKNOWN, write summary.json and
 *      the reports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate } from 'artillery-plugin-isolation';
import type { ApiMode, PackConfig } from '../lib/config';
import { PackError } from '../lib/errors';
import { assertOwned } from '../db/ownership';
import { fixtureAuthorizations, seed } from '../seed/seed';
import { buildSeedData } from '../seed/plan';
import { Fixture, FixtureAuthorization, loadFixture } from '../seed/fixture';
import type { RunSummary, ScenarioOutcome } from '../formats/summary';
import { writeRunReports } from '../report/write';
import { Target, loadTarget } from '../target/load';
import { verifySqlFor } from '../verify/sql-source';
import { capabilitiesOf } from '../processors/shared';
import type { Capabilities } from '../processors/selection';
import type { ScenarioDef } from './catalog';
import { RunContext, startRun } from './context';
import { criterionRow, decide } from './judge';
import { measureStep } from './measure';
import { combineRepeats, shownRun } from './repeat';
import type { CloudOptions } from './artillery';
import type { Distribution } from './distributed';
import { FAULTS } from '../faults/registry';
import { postCheckRows } from './post-checks';
import { describeLine, formatPreflight, runPreflight } from './preflight';
import { formatProgress, parseProgressLine } from './progress';
import { artilleryVersion, createRunDir, pointLatest, runMeta, writeCiOutputs, writeSummary } from './run-folder';
import { ScenarioConfig, expectedSeconds, loadScenario } from './scenario-config';
import { seriesRow } from './series-criteria';
import { formatSummary } from './summary';
import { warmUp } from './warmup';
import { exercisePlan } from './exercise';
import { EXPECTED, ExpectedValues } from './expected';
import { warmupFor, writeRunScript } from './script';
import { heldInDatabase, takeBaseline } from '../verify/reconciliation';
import { assertTokensLast, fixtureSourceOf, takeRunFixture, writeRunFixture } from './fixture-source';

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
  /** The scenario as validated before its data exists (its expected numbers are stand-ins). */
  readonly scenario: ScenarioConfig;
  readonly notExercised: readonly string[];
}

/** Lines of Artillery's output worth showing live. */
const ECHO = /^(ok|fail): |^isolation (PASS|FAIL|CONTRACT)|^Error|^error|WARNING/;

/** The run's fixture and where Artillery's processors read it; per scenario when the pack seeds. */
interface RunFixture {
  readonly fixture: Fixture;
  readonly file: string;
}

/** What a run sends each scenario's preflight: the seeded data, or the run's fixture. */
function authorizationsFor(def: ScenarioDef, opts: RunOptions, fixture: Fixture | null): readonly FixtureAuthorization[] {
  return opts.seed ? fixtureAuthorizations(buildSeedData(undefined, def.seedProfile)) : fixture!.authorizations;
}

/** Step 1: every scenario's capacity preflight; the refusals, as lines. */
function preflight(loaded: readonly Loaded[], opts: RunOptions, api: Capabilities, fixture: Fixture | null): string[] {
  const refused: string[] = [];
  for (const { def, scenario, notExercised } of loaded) {
    const pf = runPreflight(def.id, scenario.checks.preflight, scenario, authorizationsFor(def, opts, fixture), api);
    const mix = exercisePlan(scenario, api).mix;
    opts.out(`${def.id} preflight (${opts.seed ? `seed profile ${def.seedProfile}` : 'existing data'}):`);
    if (mix) opts.out(`  mix: ${mix}`);
    if (pf.lines.length > 0) opts.out(formatPreflight(pf));
    for (const n of notExercised) opts.out(`  not exercised: ${n}`);
    for (const l of pf.lines.filter((x) => !x.ok)) refused.push(`${def.id}: ${describeLine(l)}`);
  }
  return refused;
}

/** The data cannot carry what the profile asks of it (runner/preflight.ts names each line). */
function preflightRefused(profile: string, refused: readonly string[]): PackError {
  return new PackError('LT_PREFLIGHT_REFUSED', `the data does not fit what the ${profile} profile asks of it: ${refused.join('; ')}`);
}

function refuse(opts: RunOptions, refused: readonly string[]): never {
  throw preflightRefused(opts.profile, refused);
}

async function seedFor(config: PackConfig, ctx: RunContext, profile: ScenarioDef['seedProfile']): Promise<Fixture> {
  return (
    await seed({
      databaseUrl: ctx.env.server.url,
      fixturePath: config.fixturePath,
      secretPath: config.secretPath,
      tokenTtlSeconds: config.tokenTtlSeconds,
      profile,
    })
  ).fixture;
}

/** Step 2b: the API warmed up (not measured), through the contract: writes on data the pack reseeds, else safe reads. */
async function warm(ctx: RunContext, opts: RunOptions, fixture: RunFixture | null): Promise<void> {
  if (ctx.config.warmupPairs === 0) return;
  const f = opts.seed ? await seedFor(ctx.config, ctx, 'plan') : fixture!.fixture;
  const t0 = Date.now();
  const r = await warmUp(ctx.env.target, ctx.target.contract, f, { count: ctx.config.warmupPairs, ownsData: opts.seed });
  if (r.skipped) return opts.out(`  warm-up: skipped (${r.skipped})`);
  const seen = Object.entries(r.statuses)
    .map(([s, n]) => `${n} × ${s}`)
    .join(', ');
  opts.out(`  warm-up: ${r.sent} in ${Date.now() - t0} ms (${seen}); not measured${opts.seed ? ', data reseeded' : ''}`);
}

/** The expected numbers of one run of a scenario, from the data it starts on (runner/expected.ts). */
function expectedFor(s: ScenarioConfig, fixture: Fixture, baseline: Awaited<ReturnType<typeof takeBaseline>>, api: Capabilities): ExpectedValues {
  if (!s.checks.expected) return {};
  return EXPECTED[s.checks.expected]!.derive({
    phases: s.config.phases,
    variables: s.config.variables ?? {},
    fixture,
    held: new Map(baseline.balances.map(([auth, reserved, consumed]) => [auth, reserved + consumed])),
    ...(baseline.capacity ? { capacity: new Map(baseline.capacity) } : {}),
    api,
  });
}

/** One run of a scenario: seed (when the pack owns the data), derive its expected numbers, measure. */
async function measureOnce(ctx: RunContext, opts: RunOptions, runFixture: RunFixture | null, l: Loaded, at: { index: number; of: number; slug: string }) {
  const { def } = l;
  const out = opts.out;
  const fixture = opts.seed ? await seedFor(ctx.config, ctx, def.seedProfile) : runFixture!.fixture;
  if (opts.seed) out(`  seeded profile ${def.seedProfile}: ${fixture.authorizations.length} authorizations`);
  const api = capabilitiesOf(ctx.target.contract);
  const baseline = await takeBaseline(ctx.env.server.url, ctx.sql);
  const values = expectedFor(l.scenario, fixture, baseline, api);
  const scenario = loadScenario(def.file, opts.profile, values);
  const warmup = warmupFor(ctx.config, ctx);
  const script = writeRunScript({ scenarioFile: def.file, runDir: ctx.runDir, slug: at.slug, values, profile: opts.profile, warmup });
  const started = Date.now();
  const expected = expectedSeconds(scenario) + (warmup?.seconds ?? 0);
  const m = await measureStep(ctx, {
    label: def.id,
    baseline,
    load: {
      scenarioFile: script,
      profile: null,
      slug: at.slug,
      env: { ISOLATION_PROGRESS: '1', FIXTURE_PATH: opts.seed ? ctx.config.fixturePath : runFixture!.file },
      ...(opts.cloud ? { cloud: opts.cloud } : {}),
      ...(opts.distribution ? { distribution: opts.distribution } : {}),
      onLine: (line) => {
        const progress = parseProgressLine(line);
        if (progress)
          out(`  ${formatProgress(progress, { index: at.index, of: at.of, elapsedSeconds: (Date.now() - started) / 1000, expectedSeconds: expected })}`);
        else if (ECHO.test(line)) out(`  ${line}`);
      },
    },
    checks: {
      judge: async ({ report }) => [
        ...evaluate(report.aggregate, scenario.criteria).map((r) => criterionRow(def.id, r)),
        ...scenario.checks.series.map((c) => seriesRow(def.id, c, report, scenario.config.phases, warmup?.seconds ?? 0)),
        ...(await postCheckRows(
          {
            scenario: def.id,
            target: ctx.env.target,
            contract: ctx.target.contract,
            reference: ctx.target.isReference,
            health: ctx.target.description.health === undefined ? '/health' : ctx.target.description.health,
            fixture,
            report,
            variables: scenario.config.variables ?? {},
            heldInDatabase: () => heldInDatabase(ctx.env.server.url, ctx.sql),
          },
          scenario.checks.postChecks,
        )),
      ],
      ...(scenario.checks.faults.length > 0 ? { faults: scenario.checks.faults } : {}),
      ...(scenario.checks.pressure ? { pressure: scenario.checks.pressure } : {}),
      print: 'always',
    },
  });
  return { m, fixture, script };
}

/** Step 3: one scenario, from its seed to its rows (N runs with --repeat). */
async function runScenario(ctx: RunContext, opts: RunOptions, runFixture: RunFixture | null, l: Loaded, index: number, of: number) {
  const { def, scenario } = l;
  const repeat = opts.repeat ?? 1;
  opts.out('');
  opts.out(
    `▶ scenario ${index} of ${of}: ${def.id} ${def.title} — ${scenario.config.phases.length} phases, about ${Math.round(expectedSeconds(scenario))} s` +
      (repeat > 1 ? `, ${repeat} times` : ''),
  );
  const runs: Awaited<ReturnType<typeof measureOnce>>[] = [];
  for (let r = 1; r <= repeat; r++) {
    if (repeat > 1) opts.out(`  run ${r} of ${repeat}`);
    runs.push(await measureOnce(ctx, opts, runFixture, l, { index, of, slug: repeat > 1 ? `${def.slug}.run${r}` : def.slug }));
  }
  const shown = shownRun(runs.map((x) => x.m.rows));
  return { crashes: runs.flatMap((x) => x.m.crashes), outcome: outcomeOf(l, opts, runs, shown) };
}

function outcomeOf(l: Loaded, opts: RunOptions, runs: readonly Awaited<ReturnType<typeof measureOnce>>[], shown: number): ScenarioOutcome {
  const { m, fixture, script } = runs[shown]!;
  const repeat = runs.length;
  return {
    id: l.def.id,
    title: l.def.title,
    seedProfile: opts.seed ? l.def.seedProfile : 'existing data',
    fixtureGeneratedAt: fixture.generatedAt,
    authorizations: fixture.authorizations.length,
    capacityUnits: fixture.authorizations.reduce((n, a) => n + a.capacityUnits, 0),
    pool: m.pool,
    reportFile: m.run.reportFile,
    artilleryExitCode: m.run.exitCode,
    startedAt: runs[0]!.m.run.startedAt.toISOString(),
    endedAt: runs[repeat - 1]!.m.run.endedAt.toISOString(),
    rows: combineRepeats(runs.map((x) => x.m.rows)),
    integrity: m.integrity,
    reconciliation: m.reconciliation,
    replay: m.replay,
    generator: m.generator,
    host: m.host ?? null,
    historyDir: m.historyDir,
    ...(m.faults ? { faults: m.faults } : {}),
    ...(m.database ? { database: m.database } : {}),
    ...(m.pressure ? { pressure: m.pressure } : {}),
    baselineFile: m.baselineFile,
    scriptFile: script,
    ...(l.notExercised.length > 0 ? { notExercised: l.notExercised } : {}),
    ...(repeat > 1 ? { repeats: { runs: repeat, reportFiles: runs.map((x) => x.m.run.reportFile), shown: shown + 1 } } : {}),
  };
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

/** Step 1: the target, its SQL and the scenarios, checked before anything starts. */
function prepare(config: PackConfig, opts: RunOptions): { target: Target; sql: ReturnType<typeof verifySqlFor>; loaded: Loaded[]; api: Capabilities } {
  const target = loadTarget(config.targetFile);
  const sql = verifySqlFor(target, config.verifySqlPath);
  if (opts.seed) {
    assertOwned(config.db, 'seeding before each scenario');
    if (!target.isReference)
      throw new PackError('LT_USAGE', `seeding writes the reference API's data set, and ${target.file} describes another API`, {
        hint: "run with --no-seed: the scenarios then use your data (the fixture, or the target description's fixture query)",
      });
  }
  const api = capabilitiesOf(target.contract);
  const loaded = opts.scenarios.map((def) => {
    const scenario = loadScenario(def.file, opts.profile);
    return { def, scenario, notExercised: exercisePlan(scenario, api).notExercised };
  });
  return { target, sql, loaded, api };
}

export async function runPlan(config: PackConfig, opts: RunOptions): Promise<RunSummary> {
  const out = opts.out;
  const startedAt = new Date();
  const { target, sql, loaded, api } = prepare(config, opts);
  out(`target: ${target.name} (${path.relative(process.cwd(), target.file) || target.file}); database checks: ${sql.origin}`);
  // With the data known before the start (seeded, or a fixture file without a login), the
  // preflight refuses before anything is started or written.
  const early = opts.seed || (fixtureSourceOf(config, target, false) === 'given' && target.description.auth?.kind !== 'login');
  const given = !opts.seed && early ? loadFixture(config.fixturePath) : null;
  if (given) {
    // The pack's own tokens too: a fixture written by hand may hold tokens about to expire.
    const needs = loaded.reduce((n, { scenario }) => n + expectedSeconds(scenario), 0) + 120;
    assertTokensLast(given, [], needs, Date.now());
  }
  if (early) {
    const refused = preflight(loaded, opts, api, given);
    if (refused.length > 0) refuse(opts, refused);
  }
  const { runId, runDir } = createRunDir(config.reportsDir, opts.profile, startedAt);
  out(
    `run ${runId}: ${loaded.length} scenario(s), profile ${opts.profile}; Artillery ${artilleryVersion(config)} on Node ${process.version}; output in ${path.relative(process.cwd(), runDir) || runDir}`,
  );
  const dist = opts.distribution;
  if (dist && (dist.workers > 1 || !dist.sharedHistory)) {
    out(
      `distributed shape: ${dist.workers} Artillery process(es) on one target (reports combined from each worker's sketches); ` +
        (dist.sharedHistory ? 'one shared history' : 'no shared history: reconciliation from the combined counters, CONDITIONAL at best'),
    );
  }
  // A proxy between the reference API and PostgreSQL, when a scenario injects faults through it.
  const faultProxy = loaded.some(({ scenario }) => scenario.checks.faults.some((f) => FAULTS[f.fault]!.needs === 'proxy'));
  const ctx = await startRun(config, target, sql, { apiMode: opts.apiMode, runDir, out, faultProxy });
  const env = ctx.env;
  let runFixture: RunFixture | null = null;
  if (!opts.seed) {
    // Nothing of this run stays behind when its fixture or its tokens are refused.
    const abandon = async (err: unknown): Promise<never> => {
      await env.stop();
      fs.rmSync(runDir, { recursive: true, force: true });
      throw err;
    };
    const needs = loaded.reduce((n, { scenario }) => n + expectedSeconds(scenario), 0) + 120;
    const taken = await takeRunFixture(config, target, env.target, env.server.url, needs).catch(abandon);
    if (!early) {
      const refused = preflight(loaded, opts, api, taken.fixture);
      if (refused.length > 0) await abandon(preflightRefused(opts.profile, refused));
    }
    out(`  ${taken.tokens}`);
    runFixture = { fixture: taken.fixture, file: taken.changed ? writeRunFixture(runDir, taken.fixture) : config.fixturePath };
  }
  await warm(ctx, opts, runFixture);
  const crashes: string[] = [];
  const scenarios: ScenarioOutcome[] = [];
  for (const [k, l] of loaded.entries()) {
    const r = await runScenario(ctx, opts, runFixture, l, k + 1, loaded.length);
    scenarios.push(r.outcome);
    crashes.push(...r.crashes);
  }
  await env.stop();
  return finish(ctx, opts, { runId, startedAt, scenarios, crashes });
}

/** Step 4: the verdict, summary.json, the CI outputs, the reports. */
function finish(ctx: RunContext, opts: RunOptions, r: { runId: string; startedAt: Date; scenarios: ScenarioOutcome[]; crashes: string[] }): RunSummary {
  const { config, env, runDir, out } = ctx;
  const { decision, reasons } = decide(
    r.scenarios.flatMap((s) => s.rows),
    r.crashes,
  );
  const summary: RunSummary = {
    meta: { ...runMeta(config, env), targetName: ctx.target.name, targetFile: ctx.target.file },
    runId: r.runId,
    runDir,
    profile: opts.profile,
    target: env.target,
    apiMode: env.api ? opts.apiMode : 'external',
    startedAt: r.startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    ...(opts.distribution ? { distribution: opts.distribution } : {}),
    scenarios: r.scenarios,
    crashes: r.crashes,
    decision,
    reasons,
    warnings: [
      ...r.scenarios
        .filter((s) => s.generator.saturated)
        .map((s) => `${s.id}: the load generator was the limit (${s.generator.reasons.join('; ')}): its latency figures are partly the client's`),
      ...r.scenarios.flatMap((s) => (s.notExercised ?? []).map((n) => `${s.id}: not exercised: ${n}`)),
    ],
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
