/**
 * npm run load-test:api [-- --mode <mode>] — runs the reference API in the foreground against
 * the load-test database (embedded by default) until Ctrl-C. Useful to debug or to aim the
 * scenarios at it by hand with LOADTEST_TARGET.
 *
 * Exit codes: 4 could not start, 130 interrupted, 254 bad arguments or configuration.
 */
import { loadApiConfig, loadPackConfig, parseApiMode } from '../lib/config';
import { EXIT } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { startDatabaseServer } from '../db/embedded';
import { readSecret } from '../seed/secret';
import { startApiServer } from '../api/server';
import { assertOwned } from '../db/ownership';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['mode'] });
  const config = loadPackConfig();
  assertOwned(config.db, 'the reference API (it keeps its own schema there)');
  const mode = args.options.has('mode') ? parseApiMode(args.options.get('mode'), '--mode') : config.apiMode;
  const db = await startDatabaseServer(config.db, (l) => console.log(l));
  // The API's own config, from the environment with what this command decided put over it.
  const apiConfig = loadApiConfig({
    ...process.env,
    DATABASE_URL: db.url,
    JWT_SECRET: readSecret(config.secretPath),
    API_PORT: String(config.apiPort),
    API_MODE: mode,
  });
  const { url } = await startApiServer(apiConfig);
  console.log(`reference API listening on ${url} (mode ${apiConfig.mode}); Ctrl-C stops it`);
  await new Promise<void>(() => undefined);
  return EXIT.OK;
});
