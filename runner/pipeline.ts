/**
 * The whole path for one or more scenarios:
 *   start PostgreSQL → setup → start the reference API (unless a target is configured) →
 *   for each scenario: seed, run Artillery, check, verify → summary and GO/NO-GO.
 * Everything started is stopped at the end, on failure and on Ctrl-C (lib/lifecycle).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate } from 'artillery-plugin-isolation';
import type { ApiMode, PackConfig } from '../lib/config';
import { startDatabaseServer } from '../db/embedded';
import { setupDatabase } from '../db/migrate';
import { withClient } from '../db/connect';
import { PoolStats, poolStats } from './api-client';
import { fixtureAuthorizations, seed } from '../seed/seed';
import { buildSeedData } from '../seed/plan';
import { PackError } from '../lib/errors';
import { describeLine, formatPreflight } from './preflight';
import { formatProgress, parseProgressLine } from './progress';
import { ensureSecret } from '../seed/secret';
import { Fixture, loadFixture, secondsUntilTokensExpire } from '../seed/fixture';
import { IntegrityResult, formatIntegrity, runIntegritySql } from '../verify/integrity';
import { ReconciliationResult, formatReconciliation, reconcileRun } from '../verify/reconciliation';
import { runArtillery } from './artillery';
import { CheckRow, Decision, criterionRow, decide, integrityRow, reconciliationRow } from './judge';
import { RunningApi, startReferenceApi, waitForHealthy } from './reference-api';
import { loadScenario } from './scenario-config';
import type { ScenarioDef } from './scenarios';
import { formatSummary } from './summary';
import { warmUp } from './warmup';
import { writeRunReports } from '../report/write';

export interface RunOptions {
  readonly profile: string;
  readonly scenarios: readonly ScenarioDef[];
  readonly apiMode: ApiMode;
  /** Seed before each scenario (reference schema). Off when aiming at a user's own database. */
  readonly seed: boolean;
  readonly out: (line: string) => void;
}

export interface ScenarioOutcome {
  readonly id: string;
  readonly title: string;
  readonly seedProfile: string;
  /** When the fixture (and the data) this scenario ran on was seeded. */
  readonly fixtureGeneratedAt: string;
  readonly authorizations: number;
  readonly capacityUnits: number;
  readonly pool: PoolStats | null;
  readonly reportFile: string;
  readonly artilleryExitCode: number | null;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly rows: readonly CheckRow[];
  readonly integrity: IntegrityResult;
  readonly reconciliation: ReconciliationResult;
  readonly historyDir: string;
}

export interface RunMeta {
  readonly commit: string | null;
  readonly node: string;
  readonly artillery: string;
  readonly plugin: string;
  readonly postgres: string | null;
  readonly database: string;
  /** The load-test database, password masked: load-test:verify matches a run to it. */
  readonly databaseUrl: string;
  readonly apiPoolMax: number | null;
}

export interface PlanOutcome {
  readonly meta: RunMeta;
  readonly runId: string;
  readonly runDir: string;
  readonly profile: string;
  readonly target: string;
  readonly apiMode: ApiMode | 'external';
  readonly startedAt: string;
  readonly endedAt: string;
  readonly scenarios: readonly ScenarioOutcome[];
  readonly crashes: readonly string[];
  readonly decision: Decision;
  readonly reasons: readonly string[];
}

function runIdFor(profile: string, now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-')}-${profile}`;
}

const ECHO = /^(ok|fail): |^isolation (PASS|FAIL)|^Error|^error|WARNING/;

export interface Environment {
  readonly server: { readonly url: string; stop(): Promise<void> };
  readonly postgresVersion: string | null;
  readonly api: RunningApi | null;
  readonly apiPoolMax: number | null;
  readonly target: string;
  stop(): Promise<void>;
}

/** PostgreSQL (embedded unless configured), setup, and the API under test, ready to take load. */
export async function startEnvironment(config: PackConfig, opts: { apiMode: ApiMode; runDir: string; out: (line: string) => void }): Promise<Environment> {
  const out = opts.out;
  const server = await startDatabaseServer(config.db, (l) => out(`  db: ${l}`));
  const setup = await setupDatabase(server.url, config.db.database, { recreate: false, repair: true });
  out(`  db: ${config.db.displayUrl} ready${setup.applied.length ? ` (applied ${setup.applied.join(', ')})` : ''}${setup.repaired ? ` (${setup.repaired})` : ''}`);
  const secret = ensureSecret(config.secretPath);
  let api: RunningApi | null = null;
  let target: string;
  if (config.target) {
    target = config.target;
    out(`  target: ${target} (LOADTEST_TARGET; the reference API is not started)`);
  } else {
    api = await startReferenceApi({
      root: config.root,
      databaseUrl: server.url,
      jwtSecret: secret,
      port: config.apiPort,
      mode: opts.apiMode,
      logFile: path.join(opts.runDir, 'api.log'),
    });
    target = api.url;
    out(`  api: reference API on ${target} (mode ${opts.apiMode})`);
  }
  const health = await waitForHealthy(target);
  const postgresVersion = await withClient(server.url, async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version).catch(() => null);
  return {
    server,
    postgresVersion,
    apiPoolMax: typeof (health.pool as { max?: unknown } | undefined)?.max === 'number' ? ((health.pool as { max: number }).max) : null,
    api,
    target,
    stop: async () => {
      if (api) await api.stop();
      await server.stop();
    },
  };
}

/** reports/latest → the newest run (best effort: a symlink). */
function pointLatest(reportsDir: string, runDir: string): void {
  const link = path.join(reportsDir, 'latest');
  try {
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.basename(runDir), link, 'dir');
  } catch {
    /* a file system without symlinks: the run folder is printed anyway */
  }
}

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function runMeta(config: PackConfig, env: Environment): RunMeta {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: config.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    commit = null;
  }
  return {
    commit,
    node: process.version,
    artillery: packageVersion('artillery'),
    plugin: packageVersion('artillery-plugin-isolation'),
    postgres: env.postgresVersion,
    database: config.db.mode === 'embedded' ? `embedded (${config.db.displayUrl})` : config.db.displayUrl,
    databaseUrl: config.db.displayUrl,
    apiPoolMax: env.apiPoolMax,
  };
}

export async function runPlan(config: PackConfig, opts: RunOptions): Promise<PlanOutcome> {
  const out = opts.out;
  const startedAt = new Date();
  const runId = runIdFor(opts.profile, startedAt);
  const runDir = path.join(config.reportsDir, runId);

  // Validate every scenario and its capacity before starting anything (and writing anything).
  const loaded = opts.scenarios.map((def) => ({ def, scenario: loadScenario(def.file, opts.profile) }));
  const refused: string[] = [];
  for (const { def, scenario } of loaded) {
    const authorizations = opts.seed ? fixtureAuthorizations(buildSeedData(undefined, def.seedProfile)) : loadFixture(config.fixturePath).authorizations;
    const pf = def.preflight(scenario, authorizations);
    out(`${def.id} preflight (${opts.seed ? `seed profile ${def.seedProfile}` : 'existing fixture'}):`);
    out(formatPreflight(pf));
    for (const l of pf.lines.filter((x) => !x.ok)) refused.push(`${def.id}: ${describeLine(l)}`);
  }
  if (!opts.seed) {
    // A hand-written fixture's tokens must outlive the run, or the tail of the run is all 401s.
    const f = loadFixture(config.fixturePath);
    const needs = loaded.reduce((n, { def, scenario }) => n + def.expectedSeconds(scenario), 0) + 120;
    const left = secondsUntilTokensExpire(f, startedAt.getTime());
    out(`fixture tokens: valid for ${Number.isFinite(left) ? `${Math.round(left)} s` : 'an unknown time (no tokensExpireAt)'}; the run needs about ${Math.round(needs)} s`);
    if (left < needs) refused.push(`the fixture's tokens expire in ${Math.round(left)} s, before the run ends (about ${Math.round(needs)} s): write a fixture with fresher tokens`);
  }
  if (refused.length > 0) {
    throw new PackError('LT_PREFLIGHT_REFUSED', `the ${opts.profile} profile would exhaust capacity the scenario does not mean to: ${refused.join('; ')}`);
  }

  fs.mkdirSync(runDir, { recursive: true });
  out(`run ${runId}: ${opts.scenarios.length} scenario(s), profile ${opts.profile}; output in ${path.relative(process.cwd(), runDir) || runDir}`);

  const env = await startEnvironment(config, { apiMode: opts.apiMode, runDir, out });
  const { server, api, target } = env;

  if (opts.seed && config.warmupPairs > 0) {
    const f = (await seed({ databaseUrl: server.url, fixturePath: config.fixturePath, secretPath: config.secretPath, tokenTtlSeconds: config.tokenTtlSeconds })).fixture;
    const t0 = Date.now();
    const seen = await warmUp(target, f, config.warmupPairs);
    out(`  warm-up: ${config.warmupPairs} reserve/release pairs in ${Date.now() - t0} ms (${Object.entries(seen).map(([s, n]) => `${n} × ${s}`).join(', ')}); not measured, data reseeded`);
  }

  const crashes: string[] = [];
  const scenarios: ScenarioOutcome[] = [];
  for (const [k, { def, scenario }] of loaded.entries()) {
    out('');
    const expected = def.expectedSeconds(scenario);
    out(`▶ scenario ${k + 1} of ${loaded.length}: ${def.id} ${def.title} — ${scenario.config.phases.length} phases, about ${Math.round(expected)} s`);
    let fixture: Fixture;
    if (opts.seed) {
      fixture = (await seed({ databaseUrl: server.url, fixturePath: config.fixturePath, secretPath: config.secretPath, tokenTtlSeconds: config.tokenTtlSeconds, profile: def.seedProfile })).fixture;
      out(`  seeded profile ${def.seedProfile}: ${fixture.authorizations.length} authorizations; fixture ${path.relative(process.cwd(), config.fixturePath)}`);
    } else {
      fixture = loadFixture(config.fixturePath);
    }
    const reportFile = path.join(runDir, `${def.slug}.json`);
    const historyDir = path.join(runDir, `${def.slug}.history`);
    if (api) await poolStats(target, 'reset');
    const scenarioStart = Date.now();
    const run = await runArtillery({
      root: config.root,
      scenarioFile: def.file,
      profile: opts.profile,
      target,
      reportFile,
      logFile: path.join(runDir, `${def.slug}.artillery.log`),
      env: { FIXTURE_PATH: config.fixturePath, ISOLATION_HISTORY_DIR: historyDir, ISOLATION_PROGRESS: '1' },
      onLine: (line) => {
        const progress = parseProgressLine(line);
        if (progress) out(`  ${formatProgress(progress, { index: k + 1, of: loaded.length, elapsedSeconds: (Date.now() - scenarioStart) / 1000, expectedSeconds: expected })}`);
        else if (ECHO.test(line)) out(`  ${line}`);
      },
    });
    if (run.exitCode !== 0 && run.exitCode !== 1) crashes.push(`${def.id}: artillery exited with code ${run.exitCode}`);
    if (api && api.child.process.exitCode !== null) crashes.push(`${def.id}: the reference API exited with code ${api.child.process.exitCode}`);

    const pool = api ? await poolStats(target, 'read') : null;
    const rows: CheckRow[] = evaluate(run.report.aggregate, scenario.criteria).map((r) => criterionRow(def.id, r));
    try {
      rows.push(...(await def.postChecks({ target, fixture, report: run.report, scenario })));
    } catch (err) {
      rows.push({ scenario: def.id, name: 'post-run checks through the API', limit: 'answered', measured: (err as Error).message, pass: false, kind: 'correctness', overBy: null });
    }
    const integrity = await runIntegritySql(server.url, config.verifySqlPath);
    rows.push(integrityRow(def.id, integrity));
    out(formatIntegrity(integrity).split('\n').map((l) => `  ${l}`).join('\n'));
    const reconciliation = await reconcileRun({ databaseUrl: server.url, historyDir, report: run.report, fixture, sqlDir: path.dirname(config.verifySqlPath) });
    rows.push(reconciliationRow(def.id, reconciliation));
    out(formatReconciliation(reconciliation).split('\n').map((l) => `  ${l}`).join('\n'));
    scenarios.push({
      id: def.id,
      title: def.title,
      seedProfile: opts.seed ? def.seedProfile : 'existing fixture',
      fixtureGeneratedAt: fixture.generatedAt,
      authorizations: fixture.authorizations.length,
      capacityUnits: fixture.authorizations.reduce((n, a) => n + a.capacityUnits, 0),
      pool,
      reportFile,
      artilleryExitCode: run.exitCode,
      startedAt: run.startedAt.toISOString(),
      endedAt: run.endedAt.toISOString(),
      rows,
      integrity,
      reconciliation,
      historyDir,
    });
  }

  await env.stop();

  const { decision, reasons } = decide(
    scenarios.flatMap((s) => s.rows),
    crashes,
  );
  const outcome: PlanOutcome = {
    meta: runMeta(config, env),
    runId,
    runDir,
    profile: opts.profile,
    target,
    apiMode: config.target ? 'external' : opts.apiMode,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    scenarios,
    crashes,
    decision,
    reasons,
  };
  const tmp = path.join(runDir, `.summary.json.${process.pid}`);
  fs.writeFileSync(tmp, `${JSON.stringify(outcome, null, 2)}\n`);
  fs.renameSync(tmp, path.join(runDir, 'summary.json'));
  out('');
  out(formatSummary(outcome));
  pointLatest(config.reportsDir, runDir);
  try {
    const written = writeRunReports(runDir);
    out('');
    out('reports (open in a browser; they work offline):');
    out(`  index:   ${written.index}`);
    for (const p of written.pages) out(`  report:  ${p}`);
    if (written.results) out(`  results: ${written.results}`);
  } catch (err) {
    // The verdict above stands; the reports can be written again with `npm run load-test:report`.
    out(`warning: could not write the HTML reports: ${(err as Error).message}`);
  }
  return outcome;
}
