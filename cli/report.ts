/**
 * npm run load-test:report [-- <reports/run folder | artillery.json>]
 *
 * Turns a run's Artillery JSON into self-contained HTML (one page per scenario and an index)
 * and PERFORMANCE_TEST_RESULTS.md. Without an argument: the newest run in REPORTS_DIR.
 * Any Artillery 2 JSON file renders, with or without this pack's metrics.
 *
 * Exit codes: 0 written, 254 bad argument or unreadable / malformed input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPackConfig } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { runFolders, writeFileReport, writeRunReports } from '../report/write';

main(async (argv) => {
  const args = parseArgs(argv, { positionals: 1 });
  const config = loadPackConfig();
  const target = args.positionals[0] ?? runFolders(config.reportsDir)[0];
  if (!target)
    throw new PackError('LT_USAGE', `no run in ${config.reportsDir}`, {
      hint: 'run a scenario first (npm run load-test:scenario1), or pass an Artillery JSON file',
    });
  const full = path.resolve(target);
  if (!fs.existsSync(full)) throw new PackError('LT_USAGE', `${target} does not exist`, { hint: 'pass reports/<run> or an Artillery JSON file' });
  if (fs.statSync(full).isFile()) {
    console.log(`report: ${writeFileReport(full)}`);
    return EXIT.OK;
  }
  const w = writeRunReports(full);
  console.log(`index:   ${w.index}`);
  for (const p of w.pages) console.log(`report:  ${p}`);
  if (w.results) console.log(`results: ${w.results}`);
  return EXIT.OK;
});
