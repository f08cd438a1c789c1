/**
 * The whole path for one or more scenarios:
 *   start PostgreSQL → setup → start the reference API (unless a target is configured) →
 *   for each scenario: seed, run Artillery, check, verify → summary and GO/NO-GO.
 * Everything started is stopped at the end, on failure and on Ctrl-C (lib/lifecycle).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluate } from 'artillery-plugin-isolation';
import type { ApiMode, PackConfig } from '../lib/config';
import { startDatabaseServer } from '../db/embedded';
import { setupDatabase } from '../db/migrate';
import { seed } from '../seed/seed';
import { ensureSecret } from '../seed/secret';
import { Fixture, loadFixture } from '../seed/fixture';
import { IntegrityResult, formatIntegrity, judgeIntegrity, runIntegritySql } from '../verify/integrity';
import { runArtillery } from './artillery';
import { CheckRow, Decision, criterionRow, decide } from './judge';
import { RunningApi, startReferenceApi, waitForHealthy } from './reference-api';
import { loadScenario, plannedSeconds } from './scenario-config';
import type { ScenarioDef } from './scenarios';
import { formatSummary } from './summary';

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
  readonly reportFile: string;
  readonly artilleryExitCode: number | null;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly rows: readonly CheckRow[];
  readonly integrity: IntegrityResult;
}

export interface PlanOutcome {
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

const ECHO = /^(ok|fail): |^isolation (PASS|FAIL)|^\[isolation\]|^Error|^error|WARNING/;

export async function runPlan(config: PackConfig, opts: RunOptions): Promise<PlanOutcome> {
  const out = opts.out;
  const startedAt = new Date();
  const runId = runIdFor(opts.profile, startedAt);
  const runDir = path.join(config.reportsDir, runId);
  fs.mkdirSync(runDir, { recursive: true });
  out(`run ${runId}: ${opts.scenarios.length} scenario(s), profile ${opts.profile}; output in ${path.relative(process.cwd(), runDir) || runDir}`);

  // Validate every scenario file and profile before starting anything.
  const loaded = opts.scenarios.map((def) => ({ def, scenario: loadScenario(def.file, opts.profile) }));

  const server = await startDatabaseServer(config.db, (l) => out(`  db: ${l}`));
  const setup = await setupDatabase(server.url, config.db.database, { recreate: false });
  out(`  db: ${config.db.displayUrl} ready${setup.applied.length ? ` (applied ${setup.applied.join(', ')})` : ''}`);
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
      logFile: path.join(runDir, 'api.log'),
    });
    target = api.url;
    out(`  api: reference API on ${target} (mode ${opts.apiMode})`);
  }
  await waitForHealthy(target);

  const crashes: string[] = [];
  const scenarios: ScenarioOutcome[] = [];
  for (const [k, { def, scenario }] of loaded.entries()) {
    out('');
    out(`▶ scenario ${k + 1} of ${loaded.length}: ${def.id} ${def.title} — ${scenario.config.phases.length} phases, about ${plannedSeconds(scenario.config.phases)} s of load`);
    let fixture: Fixture;
    if (opts.seed) {
      fixture = (await seed({ databaseUrl: server.url, fixturePath: config.fixturePath, secretPath: config.secretPath, tokenTtlSeconds: config.tokenTtlSeconds })).fixture;
      out(`  seeded ${fixture.authorizations.length} authorizations; fixture ${path.relative(process.cwd(), config.fixturePath)}`);
    } else {
      fixture = loadFixture(config.fixturePath);
    }
    const reportFile = path.join(runDir, `${def.slug}.json`);
    const run = await runArtillery({
      root: config.root,
      scenarioFile: def.file,
      profile: opts.profile,
      target,
      reportFile,
      logFile: path.join(runDir, `${def.slug}.artillery.log`),
      env: { FIXTURE_PATH: config.fixturePath, ISOLATION_HISTORY_DIR: path.join(runDir, `${def.slug}.history`) },
      onLine: (line) => {
        if (ECHO.test(line)) out(`  ${line}`);
      },
    });
    if (run.exitCode !== 0 && run.exitCode !== 1) crashes.push(`${def.id}: artillery exited with code ${run.exitCode}`);
    if (api && api.child.process.exitCode !== null) crashes.push(`${def.id}: the reference API exited with code ${api.child.process.exitCode}`);

    const rows: CheckRow[] = evaluate(run.report.aggregate, scenario.criteria).map((r) => criterionRow(def.id, r));
    try {
      rows.push(...(await def.postChecks({ target, fixture })));
    } catch (err) {
      rows.push({ scenario: def.id, name: 'post-run checks through the API', limit: 'answered', measured: (err as Error).message, pass: false, kind: 'correctness', overBy: null });
    }
    const integrity = await runIntegritySql(server.url, config.verifySqlPath);
    const verdict = judgeIntegrity(integrity);
    rows.push({
      scenario: def.id,
      name: 'integrity check returns 0 rows (no overbooking)',
      limit: '0 rows',
      measured: `${integrity.rows.length} rows${verdict.valid ? '' : ` (${Object.entries(verdict.errors).map(([t, s]) => `${s.count} ${t}`).join(', ')})`}`,
      pass: verdict.valid === true,
      kind: 'correctness',
      overBy: null,
    });
    out(formatIntegrity(integrity).split('\n').map((l) => `  ${l}`).join('\n'));
    scenarios.push({
      id: def.id,
      title: def.title,
      reportFile,
      artilleryExitCode: run.exitCode,
      startedAt: run.startedAt.toISOString(),
      endedAt: run.endedAt.toISOString(),
      rows,
      integrity,
    });
  }

  if (api) await api.stop();
  await server.stop();

  const { decision, reasons } = decide(
    scenarios.flatMap((s) => s.rows),
    crashes,
  );
  const outcome: PlanOutcome = {
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
  return outcome;
}
