/**
 * npm run load-test:all | load-test:scenarioN | load-test:run -- <id>
 *   [-- --profile quick|full] [--api-mode <mode>] [--no-seed] [--repeat N] [--workers N] [--no-history]
 *
 * Starts PostgreSQL (embedded unless DATABASE_URL / PG* say otherwise), sets up and seeds the
 * load-test database, starts the reference API (unless LOADTEST_TARGET is set), runs the
 * scenario with the real Artillery CLI, checks the criteria and the database, prints the summary
 * and stops everything it started. --repeat N runs each scenario N times from the same seed:
 * latency criteria are judged on the median, correctness must hold in every run.
 * --workers N splits each scenario over N Artillery processes as distributed workers would
 * (runner/distributed.ts); --no-history runs without the shared operation history, as a cloud
 * runner does, so reconciliation uses the combined counters (CONDITIONAL at best). The scenarios are the YAML files in SCENARIOS_DIR with a
 * `config.pack` block (runner/catalog.ts).
 *
 * Exit codes: 0 GO, 1 NO-GO or CONDITIONAL (a check failed), 2 UNKNOWN (a correctness check could not be made),
 * 3 the capacity preflight refused the plan, 4 a part could not start, 130 interrupted, 254 bad arguments or configuration, 255 bug.
 */
import { API_MODES, loadPackConfig, parseApiMode } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { discoverScenarios, selectScenarios } from '../runner/catalog';
import { runPlan } from '../runner/plan';
import { MAX_WORKERS } from '../runner/distributed';

const MAX_REPEAT = 50;

main(async (argv) => {
  const args = parseArgs(argv, {
    options: ['profile', 'api-mode', 'tags', 'note', 'key', 'repeat', 'workers'],
    flags: ['no-seed', 'help', 'record', 'no-history'],
    positionals: 1,
  });
  const config = loadPackConfig();
  const defs = discoverScenarios(config.scenariosDir);
  if (args.flags.has('help')) {
    console.log(
      `usage: node dist/cli/run.js <${[...defs.map((d) => d.id), 'all'].join('|')}> [--profile full|quick] [--api-mode ${API_MODES.join('|')}] [--no-seed] [--repeat N] [--workers N] [--no-history] [--record] [--key <key>] [--tags <k:v,...>] [--note <text>]`,
    );
    return EXIT.OK;
  }
  const selected = selectScenarios(defs, args.positionals[0]);
  const repeat = Number(args.options.get('repeat') ?? 1);
  if (!(Number.isInteger(repeat) && repeat >= 1 && repeat <= MAX_REPEAT)) {
    throw new PackError('LT_USAGE', `--repeat must be an integer from 1 to ${MAX_REPEAT}, got ${args.options.get('repeat')}`);
  }
  const workers = Number(args.options.get('workers') ?? 1);
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= MAX_WORKERS)) {
    throw new PackError('LT_USAGE', `--workers must be an integer from 1 to ${MAX_WORKERS}, got ${args.options.get('workers')}`);
  }
  const outcome = await runPlan(config, {
    profile: args.options.get('profile') ?? config.profile,
    scenarios: selected,
    apiMode: args.options.has('api-mode') ? parseApiMode(args.options.get('api-mode'), '--api-mode') : config.apiMode,
    seed: !args.flags.has('no-seed'),
    repeat,
    ...(workers > 1 || args.flags.has('no-history') ? { distribution: { workers, sharedHistory: !args.flags.has('no-history') } } : {}),
    cloud: {
      record: args.flags.has('record'),
      ...(args.options.has('tags') ? { tags: args.options.get('tags')! } : {}),
      ...(args.options.has('note') ? { note: args.options.get('note')! } : {}),
      ...(args.options.has('key') ? { key: args.options.get('key')! } : {}),
    },
    out: (line) => console.log(line),
  });
  return outcome.decision === 'GO' ? EXIT.OK : outcome.decision === 'UNKNOWN' ? EXIT.UNKNOWN : EXIT.FAILED;
});
