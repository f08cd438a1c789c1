/**
 * npm run load-test:breakpoint [-- --profile quick|full] [--api-mode <mode>] [--no-seed] [--expect-rate N]
 *
 * The knee (breakpoint/run.ts): a stepped ramp smoke → baseline → stress of the mix in
 * scenarios/breakpoint.yml, one Artillery run per step, until a budget breaks (p95 read, p95
 * write, p99, non-2xx) or the load generator is the limit. Prints each step, the highest rate that
 * held every SLO and the first criterion to break; writes breakpoint.json and breakpoint.html.
 * --expect-rate N fails the run when fewer than N arrivals/s held every SLO.
 *
 * Exit codes: 0 the knee was measured and correctness held at every rate, 1 a correctness check
 * failed at some rate or --expect-rate was missed, 4 a part could not start, 130 interrupted,
 * 254 bad arguments or configuration, 255 bug.
 */
import { loadPackConfig, parseApiMode } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { runBreakpoint } from '../breakpoint/run';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['profile', 'api-mode', 'expect-rate'], flags: ['no-seed'] });
  const raw = args.options.get('expect-rate');
  const expectRate = raw === undefined ? null : Number(raw);
  if (expectRate !== null && !(Number.isFinite(expectRate) && expectRate > 0))
    throw new PackError('LT_USAGE', `--expect-rate takes a positive number of arrivals per second; got ${raw}`);
  const config = loadPackConfig();
  const r = await runBreakpoint(config, {
    profile: args.options.get('profile') ?? config.profile,
    apiMode: args.options.has('api-mode') ? parseApiMode(args.options.get('api-mode'), '--api-mode') : config.apiMode,
    seed: !args.flags.has('no-seed'),
    expectRate,
    out: (line) => console.log(line),
  });
  return r.exitOk ? EXIT.OK : EXIT.FAILED;
});
