/**
 * npm run load-test:ladder [-- --steps 100,200,500] [--repeat N] [--api-mode <mode>]
 * npm run bench:ladder   (the benchmark: every step 5 times, burst time as median and range)
 *
 * The exact-count ladder (seeds/003): 100/200/500 concurrent claims of 1 unit against a stock of
 * 10/20/50. Prints succeeded/refused/remaining, burst time and pool usage per step.
 *
 * Exit codes: 0 every step exact, 1 a step failed, 2 could not check, 4 a part could not start,
 * 130 interrupted, 254 bad arguments.
 */
import { loadPackConfig, parseApiMode } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { runLadder } from '../runner/ladder';
import { LADDER_STEPS } from '../runner/ladder-checks';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['steps', 'api-mode', 'repeat'] });
  const repeat = Number(args.options.get('repeat') ?? 1);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20)
    throw new PackError('LT_USAGE', `--repeat takes an integer from 1 to 20; got ${args.options.get('repeat')}`);
  const valid = LADDER_STEPS.map((s) => s.claims) as number[];
  const steps = (args.options.get('steps') ?? valid.join(',')).split(',').map((s) => Number(s.trim()));
  const bad = steps.filter((s) => !valid.includes(s));
  if (bad.length > 0 || steps.length === 0)
    throw new PackError('LT_USAGE', `--steps takes a comma-separated list of ${valid.join(', ')}; got ${args.options.get('steps')}`);
  const config = loadPackConfig();
  const apiMode = args.options.has('api-mode') ? parseApiMode(args.options.get('api-mode'), '--api-mode') : config.apiMode;
  const r = await runLadder(config, { steps, apiMode, repeat, out: (l) => console.log(l) });
  return r.decision === 'GO' ? EXIT.OK : EXIT.FAILED;
});
