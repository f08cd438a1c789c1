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
import { formatIntegrity, judgeIntegrity, runIntegritySql } from '../verify/integrity';
import { formatReconciliation, reconcileRun } from '../verify/reconciliation';
import { Verdict, compose, exitCodeFor } from '../verify/verdict';

/** The newest reports/<run>/<scenario>.history folder, unless the database was reseeded since. */
function latestHistory(reportsDir: string, fixture: Fixture | null): { dir: string; report: string } | null {
  if (!fs.existsSync(reportsDir)) return null;
  const found: { dir: string; mtime: number }[] = [];
  for (const run of fs.readdirSync(reportsDir)) {
    const runDir = path.join(reportsDir, run);
    if (!fs.statSync(runDir).isDirectory()) continue;
    for (const f of fs.readdirSync(runDir)) {
      if (f.endsWith('.history')) found.push({ dir: path.join(runDir, f), mtime: fs.statSync(path.join(runDir, f)).mtimeMs });
    }
  }
  const newest = found.sort((a, b) => b.mtime - a.mtime)[0];
  if (!newest) return null;
  if (fixture && Date.parse(fixture.generatedAt) > newest.mtime) return null;
  return { dir: newest.dir, report: newest.dir.replace(/\.history$/, '.json') };
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
  const auto = args.options.has('history') || args.options.has('report') ? null : latestHistory(config.reportsDir, fixture);
  const historyDir = args.options.get('history') ?? auto?.dir ?? null;
  const reportFile = args.options.get('report') ?? auto?.report ?? null;
  if (historyDir || reportFile) {
    const recon = await reconcileRun({
      databaseUrl: server.url,
      historyDir: historyDir ? path.resolve(historyDir) : null,
      report: reportFile && fs.existsSync(reportFile) ? readArtilleryReport(reportFile) : null,
      fixture,
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
