/**
 * npm run load-test:verify [-- --history <dir>] [--report <artillery.json>]
 *
 * 1. Runs verify/verify-integrity.sql (or VERIFY_SQL) against the load-test database and prints
 *    the violating rows; zero rows is the pass.
 * 2. Reconciles the database with the operation history of the last run (or --history): lost,
 *    duplicated and unexpected writes fail; unknown outcomes are counted as recovered or not
 *    applied. Without a history it falls back to the plugin's counters (--report).
 *
 * Exit codes (Jepsen's): 0 valid, 1 invalid (violations, lost/duplicated/unexpected writes),
 * 2 unknown (could not check: database unreachable, not set up, SQL invalid), 4 embedded
 * PostgreSQL failed, 254 bad arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPackConfig } from '../lib/config';
import { main, parseArgs } from '../lib/main';
import { startDatabaseServer } from '../db/embedded';
import { Fixture, loadFixture } from '../seed/fixture';
import { readArtilleryReport } from '../report/artillery-json';
import { runFolders } from '../report/write';
import { formatIntegrity, judgeIntegrity, runIntegritySql } from '../verify/integrity';
import { formatReconciliation, reconcileRun } from '../verify/reconciliation';
import { Verdict, compose, exitCodeFor } from '../verify/verdict';

/**
 * The history of the run that left the database as it is: the newest run on this database whose
 * last scenario ran on the data of the current fixture (so a reseed since then is noticed).
 */
function historyOfThisData(reportsDir: string, databaseUrl: string, fixture: Fixture | null): { dir: string; report: string; run: string } | null {
  if (!fixture) return null;
  for (const runDir of runFolders(reportsDir)) {
    const file = path.join(runDir, 'summary.json');
    if (!fs.existsSync(file)) continue;
    try {
      const s = JSON.parse(fs.readFileSync(file, 'utf8')) as { meta?: { databaseUrl?: string }; scenarios: { reportFile: string; historyDir: string; fixtureGeneratedAt?: string }[] };
      const last = s.scenarios[s.scenarios.length - 1];
      if (s.meta?.databaseUrl === databaseUrl && last?.fixtureGeneratedAt === fixture.generatedAt) {
        return { dir: last.historyDir, report: last.reportFile, run: path.basename(runDir) };
      }
    } catch {
      /* an unreadable summary is not ours to judge */
    }
  }
  return null;
}

main(async (argv) => {
  const args = parseArgs(argv, { options: ['history', 'report'] });
  const config = loadPackConfig();
  const server = await startDatabaseServer(config.db, (l) => console.error(l));
  const result = await runIntegritySql(server.url, config.verifySqlPath);
  console.log(formatIntegrity(result));
  const verdicts: Verdict[] = [judgeIntegrity(result)];

  let fixture: Fixture | null = null;
  try {
    fixture = loadFixture(config.fixturePath);
  } catch {
    fixture = null;
  }
  const auto = args.options.has('history') || args.options.has('report') ? null : historyOfThisData(config.reportsDir, config.db.displayUrl, fixture);
  if (auto) console.log(`\n(reconciling with the history of run ${auto.run}, the last one on this data)`);
  const historyDir = args.options.get('history') ?? auto?.dir ?? null;
  const reportFile = args.options.get('report') ?? auto?.report ?? null;
  if (historyDir || reportFile) {
    const recon = await reconcileRun({
      databaseUrl: server.url,
      historyDir: historyDir ? path.resolve(historyDir) : null,
      report: reportFile && fs.existsSync(reportFile) ? readArtilleryReport(reportFile) : null,
      fixture,
      sqlDir: path.dirname(config.verifySqlPath),
    });
    console.log('');
    console.log(formatReconciliation(recon));
    verdicts.push(recon.verdict);
  } else {
    console.log('\n(no operation history of a run on this data: reconciliation skipped; pass --history reports/<run>/<scenario>.history)');
  }
  const all = compose('verify', verdicts);
  if (all.valid !== true) {
    console.log(`\n${all.valid === false ? 'FAIL' : 'UNKNOWN'}: ${Object.entries(all.errors).map(([t, s]) => `${s.count} ${t.replace(/^[a-z]+\./, '')}`).join(', ') || 'see above'}`);
  }
  await server.stop();
  return exitCodeFor(all.valid);
});
