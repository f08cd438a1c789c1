/**
 * npm run load-test:ladder [-- --steps 100,200,500] [--api-mode <mode>]
 *
 * The exact-count ladder (seeds/003): 100/200/500 concurrent claims of 1 unit against a stock of
 * 10/20/50. Prints succeeded/refused/remaining, burst time and pool usage per step.
 *
 * Exit codes: 0 every step exact, 1 a step failed, 2 could not check, 4 a part could not start,
 * 130 interrupted, 254 bad arguments.
 */
import { API_MODES, ApiMode, loadPackConfig } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { LADDER_STEPS, runLadder } from '../runner/ladder';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['steps', 'api-mode'] });
  const valid = LADDER_STEPS.map((s) => s.claims) as number[];
  const steps = (args.options.get('steps') ?? valid.join(',')).split(',').map((s) => Number(s.trim()));
  const bad = steps.filter((s) => !valid.includes(s));
  if (bad.length > 0 || steps.length === 0) throw new PackError('LT_USAGE', `--steps takes a comma-separated list of ${valid.join(', ')}; got ${args.options.get('steps')}`);
  const apiMode = (args.options.get('api-mode') ?? 'safe') as ApiMode;
  if (!API_MODES.includes(apiMode)) throw new PackError('LT_USAGE', `--api-mode ${apiMode} is not one of ${API_MODES.join(', ')}`);
  const r = await runLadder(loadPackConfig(), { steps, apiMode, out: (l) => console.log(l) });
  return r.decision === 'GO' ? EXIT.OK : EXIT.FAILED;
});
