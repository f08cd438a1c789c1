/**
 * npm run load-test:compare -- <runA> <runB>
 *
 * Prints the headline metrics of each scenario of two runs side by side with B − A deltas, and
 * writes the same table as HTML to REPORTS_DIR/compare-<A>-vs-<B>.html. A run is a folder under
 * REPORTS_DIR (or its name).
 *
 * Exit codes: 0 written, 254 bad arguments or unreadable runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPackConfig } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { readArtilleryReport } from '../formats/artillery-json';
import { compareRuns, formatCompare, renderCompareHtml } from '../report/compare';
import { Headline, headline } from '../report/model';
import { writeFileAtomic } from '../lib/atomic';
import { table } from '../lib/text-table';
import { SUMMARY_FILE, readRunSummary } from '../formats/summary';
import { chartJsSource } from '../report/write';

function headlines(dir: string): Map<string, Headline> {
  const out = new Map<string, Headline>();
  const summary = readRunSummary(path.join(dir, SUMMARY_FILE));
  const names = summary
    ? summary.scenarios.map((s) => [s.id, path.basename(s.reportFile)] as const)
    : fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json') && f !== SUMMARY_FILE && f !== 'ladder.json')
        .map((f) => [path.basename(f, '.json'), f] as const);
  for (const [id, file] of names) out.set(id, headline(readArtilleryReport(path.join(dir, file))));
  if (out.size === 0) throw new PackError('LT_USAGE', `${dir} holds no Artillery JSON report`, { hint: 'pass two run folders under reports/' });
  return out;
}

main(async (argv) => {
  const args = parseArgs(argv, { positionals: 2 });
  if (args.positionals.length !== 2)
    throw new PackError('LT_USAGE', 'compare needs two runs', { hint: 'npm run load-test:compare -- reports/<runA> reports/<runB>' });
  const config = loadPackConfig();
  const resolve = (r: string): string => {
    const candidates = [path.resolve(r), path.join(config.reportsDir, r)];
    const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isDirectory());
    if (!found) throw new PackError('LT_USAGE', `run ${r} not found (looked in ${candidates.join(' and ')})`, { hint: 'list runs with `ls reports`' });
    return found;
  };
  const [a, b] = args.positionals.map(resolve) as [string, string];
  const nameA = path.basename(a);
  const nameB = path.basename(b);
  const rows = compareRuns(headlines(a), headlines(b));
  console.log(`A = ${nameA}\nB = ${nameB}\n`);
  console.log(table(['scenario', 'metric', 'A', 'B', 'B − A', ''], formatCompare(rows)));
  fs.mkdirSync(config.reportsDir, { recursive: true });
  const out = path.join(config.reportsDir, `compare-${nameA}-vs-${nameB}.html`);
  writeFileAtomic(out, renderCompareHtml(rows, nameA, nameB, chartJsSource()));
  console.log(`\nhtml: ${out}`);
  return EXIT.OK;
});
