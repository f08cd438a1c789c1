/**
 * Starts the reference API on the configured host and port and stops it cleanly on SIGINT/SIGTERM.
 * The pack's runner starts this file as a child process; `npm run load-test:api` runs it alone.
 */
import type { ApiConfig } from '../lib/config';
import { PackError } from '../lib/errors';
import { onCleanup } from '../lib/lifecycle';
import { buildApp } from './app';

export async function startApiServer(config: ApiConfig): Promise<{ url: string; close: () => Promise<void> }> {
  const { app } = await buildApp(config);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PackError('LT_PORT_IN_USE', `port ${config.port} (API_PORT) is already in use`, { cause: err });
    }
    throw err;
  }
  const close = async (): Promise<void> => {
    await app.close();
  };
  onCleanup('reference API', close);
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return { url: `http://${config.host}:${port}`, close };
}
