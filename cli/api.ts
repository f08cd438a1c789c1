/**
 * npm run load-test:api [-- --mode <mode>] — runs the reference API in the foreground against
 * the load-test database (embedded by default) until Ctrl-C. Useful to debug or to aim the
 * scenarios at it by hand with LOADTEST_TARGET.
 *
 * Exit codes: 4 could not start, 130 interrupted, 254 bad arguments or configuration.
 */
import { API_MODES, loadPackConfig } from '../lib/config';
import { EXIT, PackError } from '../lib/errors';
import { main, parseArgs } from '../lib/main';
import { startDatabaseServer } from '../db/embedded';
import { readSecret } from '../seed/secret';
import { startApiServer } from '../api/server';

main(async (argv) => {
  const args = parseArgs(argv, { options: ['mode'] });
  const mode = args.options.get('mode');
  if (mode !== undefined) {
    if (!(API_MODES as readonly string[]).includes(mode)) throw new PackError('LT_USAGE', `--mode ${mode} is not one of ${API_MODES.join(', ')}`);
    process.env.API_MODE = mode;
  }
  const config = loadPackConfig();
  const db = await startDatabaseServer(config.db, (l) => console.log(l));
  process.env.DATABASE_URL = db.url;
  process.env.JWT_SECRET = readSecret(config.secretPath);
  process.env.API_PORT = process.env.API_PORT ?? String(config.apiPort);
  const { url } = await startApiServer();
  console.log(`reference API listening on ${url} (mode ${process.env.API_MODE || 'safe'}); Ctrl-C stops it`);
  await new Promise<void>(() => undefined);
  return EXIT.OK;
});
