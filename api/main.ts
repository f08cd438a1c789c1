/**
 * Child-process entry of the reference API, started by the pack's runner with DATABASE_URL,
 * JWT_SECRET, API_PORT and API_MODE in its environment. Prints one READY line when listening.
 */
import { loadApiConfig } from '../lib/config';
import { EXIT } from '../lib/errors';
import { exitWithParent } from '../lib/lifecycle';
import { main } from '../lib/main';
import { startApiServer } from './server';

main(async () => {
  // Never outlive the runner that started us, whatever killed it (no orphan API).
  exitWithParent();
  const { url } = await startApiServer(loadApiConfig());
  process.stdout.write(`READY ${url}\n`);
  await new Promise<void>(() => undefined);
  return EXIT.OK;
});
