/**
 * npm run load-test:all | load-test:scenario1 | scenario2 | scenario3 [-- --profile quick|full] [--api-mode <mode>] [--no-seed]
 *
 * Starts PostgreSQL (embedded unless DATABASE_URL / PG* say otherwise), sets up and seeds the
 * load-test database, starts the reference API (unless LOADTEST_TARGET is set), runs the
 * scenario with the real Artillery CLI, checks the criteria and the database, prints the summary
 * and stops everything it started.
 *
 * Exit codes: 0 GO, 1 NO-GO or CONDITIONAL (a check failed), 2 could not check,
 * 3 the capacity preflight refused the plan, 4 a part could not start, 130 interrupted, 254 bad arguments or configuration, 255 bug.
 */
import { API_MODES, ApiMode, loadPackConfig } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { runPlan } from '../runner/pipeline';
import { scenarioDefs } from '../runner/scenarios';

const USAGE = 'usage: node dist/cli/run.js <all|scenario1|scenario2|scenario3> [--profile full|quick] [--api-mode safe|unsafe-read-committed|...] [--no-seed]';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['profile', 'api-mode'], flags: ['no-seed', 'help'], positionals: 1 });
  if (args.flags.has('help')) {
    console.log(USAGE);
    return EXIT.OK;
  }
  const which = args.positionals[0];
  const config = loadPackConfig();
  const defs = scenarioDefs(config.scenariosDir);
  const selected = which === 'all' ? defs : defs.filter((d) => d.id === which);
  if (!which || selected.length === 0) {
    throw new PackError('LT_USAGE', `name a scenario: ${[...defs.map((d) => d.id), 'all'].join(', ')}${which ? ` (got "${which}")` : ''}`, { hint: USAGE });
  }
  const apiMode = (args.options.get('api-mode') ?? process.env.API_MODE ?? 'safe') as ApiMode;
  if (!API_MODES.includes(apiMode)) throw new PackError('LT_USAGE', `--api-mode ${apiMode} is not one of ${API_MODES.join(', ')}`);
  const outcome = await runPlan(config, {
    profile: args.options.get('profile') ?? process.env.LOADTEST_PROFILE ?? 'full',
    scenarios: selected,
    apiMode,
    seed: !args.flags.has('no-seed'),
    out: (line) => console.log(line),
  });
  return outcome.decision === 'GO' ? EXIT.OK : EXIT.FAILED;
});
