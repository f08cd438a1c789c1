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
import { checkRealTimeOfHistory, formatReconciliation, reconcileRun, replayStartOf, takeBaseline } from '../verify/reconciliation';
import { replayLedgerOffThread } from '../verify/off-thread';
import { historyFiles } from '../verify/history';
import { VerifySql, verifySqlFor } from '../verify/sql-source';
import { loadTarget } from '../target/load';
import type { BaselineFile } from '../formats/baseline';
import { Verdict, compose, exitCodeFor } from '../verify/verdict';

/**
 * The run that left the database as it is: the newest run on this database whose last scenario
 * ran on the data of the current fixture (so a reseed since then is noticed); without a fixture
 * file (data the pack does not seed, read by the target's fixture query), the newest run on this
 * database and this target.
 */
function runOfThisData(
  reportsDir: string,
  databaseUrl: string,
  fixture: Fixture | null,
  targetFile: string,
): { scenario: ScenarioOutcome; run: string } | null {
  for (const runDir of runFolders(reportsDir)) {
    let summary;
    try {
      summary = readRunSummary(path.join(runDir, SUMMARY_FILE));
    } catch {
      continue; // an unreadable summary is not ours to judge
    }
    const last = summary?.scenarios[summary.scenarios.length - 1];
    if (!last || summary?.meta.databaseUrl !== databaseUrl || (summary.meta.targetFile ?? targetFile) !== targetFile) continue;
    if (fixture === null || last.fixtureGeneratedAt === fixture.generatedAt) return { scenario: last, run: path.basename(runDir) };
  }
  return null;
}

/** A promise whose rejection is handled when it is awaited, not reported as unhandled before. */
function settleLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** What to reconcile with: the history and report given, or the last run's on this data, and the baseline before its load. */
function inputsOf(args: { options: Map<string, string> }, config: ReturnType<typeof loadPackConfig>) {
  // The data's fixture, when the pack seeded it or the user gave one; a target whose fixture is a
  // query has none to compare (its newest run on this database is the one).
  let fixture: Fixture | null = null;
  try {
    fixture = loadTarget(config.targetFile).description.fixture?.query ? null : loadFixture(config.fixturePath);
  } catch {
    fixture = null;
  }
  const explicit = args.options.has('history') || args.options.has('report');
  const auto = explicit ? null : runOfThisData(config.reportsDir, config.db.displayUrl, fixture, config.targetFile);
  const historyDir = args.options.get('history') ?? auto?.scenario.historyDir ?? null;
  const reportFile = args.options.get('report') ?? auto?.scenario.reportFile ?? null;
  const baselineFile =
    args.options.get('baseline') ??
    auto?.scenario.baselineFile ??
    (historyDir ? path.join(path.dirname(path.resolve(historyDir)), `${path.basename(historyDir).replace(/\.history$/, '')}.baseline.json`) : null);
  const baseline = baselineFile ? readBaselineFile(path.resolve(baselineFile)) : null;
  // The run's own records say it wrote a history: one that is gone now is missing, not absent.
  const recorded = auto?.scenario.historyDir ?? args.options.get('history') ?? null;
  const missingHistory = recorded !== null && historyFiles(path.resolve(recorded)).length === 0 ? path.resolve(recorded) : null;
  return { auto: auto?.run ?? null, historyDir, reportFile, baseline, missingHistory };
}

/** Reconciliation with the given history (or the last run's on this data); result null when there is nothing to reconcile with. */
async function reconcile(inputs: ReturnType<typeof inputsOf>, databaseUrl: string, sql: VerifySql): Promise<ReconciliationResult | null> {
  const { historyDir, reportFile, baseline } = inputs;
  if (!historyDir && !reportFile) return null;
  if (inputs.missingHistory) {
    const why = `the history ${inputs.missingHistory} that ${inputs.auto ? `run ${inputs.auto}` : '--history'} recorded is missing or empty: its writes cannot be reconciled (the counters cannot stand in for a history that was written and lost)`;
    return {
      mode: 'none',
      verdict: { checker: 'reconciliation', valid: 'unknown', errors: { history_missing: { count: 1, first: why, worst: why } }, note: why },
      counts: {},
      source: inputs.missingHistory,
    };
  }
  return reconcileRun({
    databaseUrl,
    historyDir: historyDir ? path.resolve(historyDir) : null,
    report: reportFile && fs.existsSync(reportFile) ? readArtilleryReport(reportFile) : null,
    baseline,
    sql,
  });
}

/** Pure: the replay's block. */
function formatReplay(replay: Verdict & { counts: Record<string, number> }): string {
  const lines = [
    '=== Ledger replay: every invariant at every moment ===',
    `${replay.counts.rows} ledger rows replayed${replay.counts.skipped ? `, after ${replay.counts.skipped} from before the load` : ''}`,
  ];
  for (const [type, e] of Object.entries(replay.errors))
    lines.push(`  ${type}: ${e.count} resource(s); first ${JSON.stringify(e.first)}; worst ${JSON.stringify(e.worst)}`);
  if ((replay.counts.starts_differ ?? 0) > 0)
    lines.push(
      `  note: ${replay.counts.starts_differ} resource(s) start from a balance their earlier ledger rows do not add up to (seeded without rows, or a pruned ledger)`,
    );
  if (Object.keys(replay.errors).length === 0) lines.push('  no invariant broken at any moment');
  return lines.join('\n');
}

/** Pure: the real-time check's block. */
function formatRealTime(rt: Verdict & { counts: Record<string, number> }, why: string, accepted: boolean): string {
  const lines = [
    "=== Every moment by the clients' real-time order (the ledger has no order to replay) ===",
    `${why}; ${rt.counts.operations} operations judged by when they were sent and acknowledged${rt.counts.unbounded ? `; ${rt.counts.unbounded} resource(s) not bounded` : ''}`,
  ];
  for (const [type, e] of Object.entries(rt.errors))
    lines.push(`  ${type}: ${e.count} resource(s); first ${JSON.stringify(e.first)}; worst ${JSON.stringify(e.worst)}`);
  if (Object.keys(rt.errors).length === 0)
    lines.push(
      (rt.counts.decreasing ?? 0) === 0
        ? '  no violation seen; only reservations, so the final-state check sees any overbooking'
        : accepted
          ? '  no violation seen (accepted by the target: database.order: realtime)'
          : "  no violation seen, which cannot rule out one shorter than its operations' overlap: unknown (database.order: realtime accepts this check)",
    );
  return lines.join('\n');
}

main(async (argv) => {
  const args = parseArgs(argv, { options: ['history', 'report', 'baseline', 'snapshot'], flags: ['integrity-only'] });
  const config = loadPackConfig();
  const sql = verifySqlFor(loadTarget(config.targetFile), config.verifySqlPath);
  const snapshot = args.options.get('snapshot');
  if (snapshot !== undefined && fs.existsSync(snapshot)) {
    throw new PackError('LT_USAGE', `--snapshot ${snapshot} exists already`, { hint: 'name a new file: a baseline is taken once, before the load' });
  }
  const server = await startDatabaseServer(config.db, (l) => console.error(l));
  if (snapshot !== undefined) {
    // The reconciliation inputs before a load the pack does not run (a distributed run): READ ONLY.
    const baseline = await takeBaseline(server.url, sql);
    writeBaselineFile(path.resolve(snapshot), baseline);
    console.log(
      `baseline of ${baseline.keys.length} key(s) and ${baseline.balances.length} authorization(s) written to ${snapshot}; run the load, then --baseline ${snapshot}`,
    );
    await server.stop();
    return EXIT.OK;
  }
  // The three reads run at once, each in its own READ ONLY transaction (PostgreSQL works on one
  // while this process parses another); they are printed in order.
  const inputs = args.flags.has('integrity-only') ? null : inputsOf(args, config);
  const replayed = settleLater(replayLedgerOffThread(server.url, sql, replayStartOf(inputs?.baseline ?? (null as BaselineFile | null))));
  const reconciled = settleLater(inputs ? reconcile(inputs, server.url, sql) : Promise.resolve(null));
  const result = await runIntegritySql(server.url, sql);
  console.log(formatIntegrity(result));
  const verdicts: Verdict[] = [judgeIntegrity(result)];
  const replay = await replayed;
  if (replay) {
    verdicts.push(replay);
    console.log(`\n${formatReplay(replay)}`);
  } else {
    // No order to replay: the clients' real-time order, when there is a history (verify/realtime.ts).
    const why = sql.orderWhy ?? 'the ledger has no order';
    const rt = inputs?.historyDir ? await checkRealTimeOfHistory(path.resolve(inputs.historyDir), inputs.baseline) : { why: 'no history given' };
    if ('why' in rt) console.log(`\n(ledger replay not made: ${why}; nor the real-time check: ${rt.why})`);
    else {
      console.log(`\n${formatRealTime(rt, why, sql.realTimeAccepted)}`);
      // A violation is certain; none found cannot rule out a short one unless the target accepts it.
      verdicts.push(rt.valid === true && !sql.realTimeAccepted && (rt.counts.decreasing ?? 0) > 0 ? { ...rt, valid: 'unknown' } : rt);
    }
  }

  const recon = inputs ? await reconciled : undefined;
  if (inputs) {
    if (inputs.auto) console.log(`\n(reconciling with what run ${inputs.auto} recorded, the last one on this data)`);
    if (recon) {
      console.log('');
      console.log(formatReconciliation(recon));
      verdicts.push(recon.verdict);
    } else {
      const why =
        'no operation history of a run on this data, so nothing was reconciled (pass --history reports/<run>/<scenario>.history, or --integrity-only to check the final state alone)';
      console.log(`\n(${why})`);
      verdicts.push({ checker: 'reconciliation', valid: 'unknown', errors: { not_reconciled: { count: 1, first: why, worst: why } } });
    }
  }
  const all = compose('verify', verdicts);
  // Counters mode agreeing is CONDITIONAL, as in the runner: a lost write and a duplicated one
  // cancel out unseen, so it never passes on its own (exit 1, docs/reference/exit-codes.md).
  if (all.valid === true && recon?.mode === 'counters') {
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
