/**
 * The environment a run measures: PostgreSQL (embedded unless configured), the load-test schema,
 * and the API under test (the reference API, unless LOADTEST_TARGET names the user's), healthy
 * and ready to take load. `stop()` stops what was started; lib/lifecycle stops it on Ctrl-C too.
 */
import * as path from 'node:path';
import type { ApiMode, PackConfig } from '../lib/config';
import { startDatabaseServer } from '../db/embedded';
import { setupDatabase } from '../db/migrate';
import { withReadOnly } from '../db/connect';
import { assertOwned } from '../db/ownership';
import { ensureSecret } from '../seed/secret';
import { RunningApi, startReferenceApi, waitForHealthy } from './reference-api';

export interface Environment {
  readonly server: { readonly url: string; stop(): Promise<void> };
  readonly postgresVersion: string | null;
  readonly api: RunningApi | null;
  readonly apiPoolMax: number | null;
  readonly target: string;
  stop(): Promise<void>;
}

export async function startEnvironment(config: PackConfig, opts: { apiMode: ApiMode; runDir: string; out: (line: string) => void }): Promise<Environment> {
  const out = opts.out;
  if (!config.target) assertOwned(config.db, 'starting the reference API (it keeps its own schema there)');
  const server = await startDatabaseServer(config.db, (l) => out(`  db: ${l}`));
  if (config.db.owned) {
    const setup = await setupDatabase(server.url, config.db.database, { recreate: false, repair: true });
    out(
      `  db: ${config.db.displayUrl} ready${setup.applied.length ? ` (applied ${setup.applied.join(', ')})` : ''}${setup.repaired ? ` (${setup.repaired})` : ''}`,
    );
  } else {
    await withReadOnly(server.url, async (c) => c.query('SELECT 1'));
    out(`  db: ${config.db.displayUrl} (not the pack's: read only, no setup, no seeding)`);
  }
  const secret = ensureSecret(config.secretPath);
  let api: RunningApi | null = null;
  let target: string;
  if (config.target) {
    target = config.target;
    out(`  target: ${target} (LOADTEST_TARGET; the reference API is not started)`);
  } else {
    api = await startReferenceApi({
      root: config.root,
      databaseUrl: server.url,
      jwtSecret: secret,
      port: config.apiPort,
      mode: opts.apiMode,
      logFile: path.join(opts.runDir, 'api.log'),
    });
    target = api.url;
    out(`  api: reference API on ${target} (mode ${opts.apiMode})`);
  }
  const health = await waitForHealthy(target);
  const postgresVersion = await withReadOnly(
    server.url,
    async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version,
  ).catch(() => null);
  const poolMax = (health.pool as { max?: unknown } | undefined)?.max;
  return {
    server,
    postgresVersion,
    apiPoolMax: typeof poolMax === 'number' ? poolMax : null,
    api,
    target,
    stop: async () => {
      if (api) await api.stop();
      await server.stop();
    },
  };
}
