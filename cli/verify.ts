/**
 * npm run load-test:verify [-- --history <dir>] [--report <artillery.json>] [--baseline <file>] [--integrity-only]
 * npm run load-test:verify -- --snapshot <file>   (only write the baseline, before a load the pack does not run)
 *
 * 1. Runs verify/verify-integrity.sql (or VERIFY_SQL) against the database and prints the
 *    violating rows; zero rows is the pass. Replays the ledger in order (ledger-order.sql) for
 *    overbooking that a later release hid.
 * 2. Reconciles the database with the operation history of the last run on this data (or
 *    --history), against the baseline that run took before its load (or --baseline): lost,
 *    duplicated, unexpected, mismatched and contradicted writes fail; unknown outcomes are counted
 *    as recovered or not applied. Without a history it falls back to the plugin's counters
 *    (--report), which cannot give a pass on their own.
 *
 * Never valid by default: with nothing to reconcile against the verdict is unknown (exit 2),
 * unless --integrity-only asks for the final-state checks alone. Every query is READ ONLY.
 *
 * Exit codes (Jepsen's): 0 valid, 1 invalid (violations, lost/duplicated/unexpected writes) or
 * conditional (counters mode agreeing: no history to prove it), 2 unknown (could not check: no history, database unreachable, not set up, SQL invalid), 4
 * embedded PostgreSQL failed, 254 bad arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPackConfig } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { startDatabaseServer } from '../db/embedded';
import { Fixture, loadFixture } from '../seed/fixture';
import { readArtilleryReport } from '../formats/artillery-json';
import { readBaselineFile, writeBaselineFile } from '../formats/baseline';
import { SUMMARY_FILE, ScenarioOutcome, readRunSummary, type ReconciliationResult } from '../formats/summary';
import { runFolders } from '../report/write';
import { formatIntegrity, judgeIntegrity, runIntegritySql } from '../verify/integrity';
import { formatReconciliation, reconcileRun, takeBaseline } from '../verify/reconciliation';
import { replayLedgerOffThread } from '../verify/off-thread';
import { Verdict, compose, exitCodeFor } from '../verify/verdict';

/**
 * The run that left the database as it is: the newest run on this database whose last scenario
 * ran on the data of the current fixture (so a reseed since then is noticed).
 */
function runOfThisData(reportsDir: string, databaseUrl: string, fixture: Fixture | null): { scenario: ScenarioOutcome; run: string } | null {
  if (!fixture) return null;
  for (const runDir of runFolders(reportsDir)) {
    let summary;
    try {
      summary = readRunSummary(path.join(runDir, SUMMARY_FILE));
    } catch {
      continue; // an unreadable summary is not ours to judge
    }
    const last = summary?.scenarios[summary.scenarios.length - 1];
    if (summary?.meta.databaseUrl === databaseUrl && last?.fixtureGeneratedAt === fixture.generatedAt) return { scenario: last, run: path.basename(runDir) };
  }
  return null;
}

/** A promise whose rejection is handled when it is awaited, not reported as unhandled before. */
function settleLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Reconciliation with the given history (or the last run's on this data); result null when there is nothing to reconcile with. */
async function reconcile(
  args: { options: Map<string, string> },
  config: ReturnType<typeof loadPackConfig>,
  databaseUrl: string,
  sqlDir: string,
): Promise<{ auto: string | null; result: ReconciliationResult | null }> {
  let fixture: Fixture | null = null;
  try {
    fixture = loadFixture(config.fixturePath);
  } catch {
    fixture = null;
  }
  const explicit = args.options.has('history') || args.options.has('report');
  const auto = explicit ? null : runOfThisData(config.reportsDir, config.db.displayUrl, fixture);
  const historyDir = args.options.get('history') ?? auto?.scenario.historyDir ?? null;
  const reportFile = args.options.get('report') ?? auto?.scenario.reportFile ?? null;
  const baselineFile =
    args.options.get('baseline') ??
    auto?.scenario.baselineFile ??
    (historyDir ? path.join(path.dirname(path.resolve(historyDir)), `${path.basename(historyDir).replace(/\.history$/, '')}.baseline.json`) : null);
  if (!historyDir && !reportFile) return { auto: auto?.run ?? null, result: null };
  const result = await reconcileRun({
    databaseUrl,
    historyDir: historyDir ? path.resolve(historyDir) : null,
    report: reportFile && fs.existsSync(reportFile) ? readArtilleryReport(reportFile) : null,
    baseline: baselineFile ? readBaselineFile(path.resolve(baselineFile)) : null,
    sqlDir,
  });
  return { auto: auto?.run ?? null, result };
}

main(async (argv) => {
  const args = parseArgs(argv, { options: ['history', 'report', 'baseline', 'snapshot'], flags: ['integrity-only'] });
  const config = loadPackConfig();
  const sqlDir = path.dirname(config.verifySqlPath);
  const snapshot = args.options.get('snapshot');
  if (snapshot !== undefined && fs.existsSync(snapshot)) {
    throw new PackError('LT_USAGE', `--snapshot ${snapshot} exists already`, { hint: 'name a new file: a baseline is taken once, before the load' });
  }
  const server = await startDatabaseServer(config.db, (l) => console.error(l));
  if (snapshot !== undefined) {
    // The reconciliation inputs before a load the pack does not run (a distributed run): READ ONLY.
    const baseline = await takeBaseline(server.url, sqlDir);
    writeBaselineFile(path.resolve(snapshot), baseline);
    console.log(
      `baseline of ${baseline.keys.length} key(s) and ${baseline.balances.length} authorization(s) written to ${snapshot}; run the load, then --baseline ${snapshot}`,
    );
    await server.stop();
    return EXIT.OK;
  }
  // The three reads run at once, each in its own READ ONLY transaction (PostgreSQL works on one
  // while this process parses another); they are printed in order.
  const replayed = settleLater(replayLedgerOffThread(server.url, sqlDir));
  const reconciled = settleLater(args.flags.has('integrity-only') ? Promise.resolve(null) : reconcile(args, config, server.url, sqlDir));
  const result = await runIntegritySql(server.url, config.verifySqlPath);
  console.log(formatIntegrity(result));
  const verdicts: Verdict[] = [judgeIntegrity(result)];
  const replay = await replayed;
  if (replay) {
    verdicts.push(replay);
    const worst = Object.values(replay.errors)[0];
    console.log(
      `\n=== Ledger replay: overbooking at any moment ===\n${replay.counts.rows} ledger rows replayed; ${worst ? `${worst.count} authorization(s) overbooked at some point; worst ${JSON.stringify(worst.worst)}` : 'never overbooked'}`,
    );
  } else {
    console.log('\n(ledger replay not made: no ledger-order.sql beside VERIFY_SQL)');
  }

  const recon = await reconciled;
  if (recon) {
    if (recon.auto) console.log(`\n(reconciling with what run ${recon.auto} recorded, the last one on this data)`);
    if (recon.result) {
      console.log('');
      console.log(formatReconciliation(recon.result));
      verdicts.push(recon.result.verdict);
    } else {
      const why =
        'no operation history of a run on this data, so nothing was reconciled (pass --history reports/<run>/<scenario>.history, or --integrity-only to check the final state alone)';
      console.log(`\n(${why})`);
      verdicts.push({ checker: 'reconciliation', valid: 'unknown', errors: { not_reconciled: { count: 1, first: why, worst: why } } });
    }
  }
  const all = compose('verify', verdicts);
  // Counters mode agreeing is CONDITIONAL, as in the runner: a lost write and a duplicated one
  // cancel out unseen, so it never passes on its own (exit 1, README "Never valid by default").
  if (all.valid === true && recon?.result?.mode === 'counters') {
    console.log('\nCONDITIONAL: every check made passed, but reconciliation ran on counters only (no operation history): not a pass on its own');
    await server.stop();
    return EXIT.FAILED;
  }
  if (all.valid !== true) {
    console.log(
      `\n${all.valid === false ? 'FAIL' : 'UNKNOWN'}: ${
        Object.entries(all.errors)
          .map(([t, s]) => `${s.count} ${t.replace(/^[a-z]+\./, '')}`)
          .join(', ') || 'see above'
      }`,
    );
  }
  await server.stop();
  return exitCodeFor(all.valid);
});
