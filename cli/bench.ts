/**
 * npm run bench [-- --only B1,B3] [--repeat N]
 *
 * Every figure of the pack against its ceiling (bench/benchmarks.ts: B1-B11), each repeated N
 * times side by side (default 3), written to benchmarks/results.json and benchmarks/results.md.
 * A benchmark, not a test: it takes about 25 minutes for all eight at N = 3, and it needs the
 * machine to itself.
 *
 * Exit codes: 0 every selected figure measured (goals met or not: the table says), 1 a figure could
 * not be measured, 130 interrupted, 254 bad arguments.
 */
import * as path from 'node:path';
import { loadPackConfig } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { BENCHMARKS } from '../bench/benchmarks';
import { runBenchmarks } from '../bench/run';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['only', 'repeat'] });
  const ids = BENCHMARKS.map((b) => b.id);
  const only = args.options.has('only')
    ? args.options
        .get('only')!
        .split(',')
        .map((s) => s.trim().toUpperCase())
    : null;
  const unknown = (only ?? []).filter((id) => !ids.includes(id));
  if (unknown.length > 0 || (only && only.length === 0))
    throw new PackError('LT_USAGE', `--only takes a comma-separated list of ${ids.join(', ')}; got ${args.options.get('only')}`);
  const repeats = Number(args.options.get('repeat') ?? 3);
  if (!(Number.isInteger(repeats) && repeats >= 1 && repeats <= 20))
    throw new PackError('LT_USAGE', `--repeat takes an integer from 1 to 20; got ${args.options.get('repeat')}`);
  const config = loadPackConfig();
  const outDir = path.join(config.root, 'benchmarks');
  const r = await runBenchmarks(config, {
    only,
    repeats,
    outDir,
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    out: (l) => console.log(l),
  });
  console.log(`results: ${path.join(outDir, 'results.md')} and results.json`);
  return r.figures.some((f) => f.error) ? EXIT.FAILED : EXIT.OK;
});
