/**
 * The environment a run measures: PostgreSQL (embedded unless configured), the load-test schema,
 * and the API under test (the reference API, unless the target description or LOADTEST_TARGET
 * names another), healthy and ready to take load. `stop()` stops what was started; lib/lifecycle
 * stops it on Ctrl-C too.
 */
import * as path from 'node:path';
import type { ApiMode, PackConfig } from '../lib/config';
import { startDatabaseServer } from '../db/embedded';
import { setupDatabase } from '../db/migrate';
import { withReadOnly } from '../db/connect';
import { assertOwned } from '../db/ownership';
import { ensureSecret } from '../seed/secret';
import { RunningApi, startReferenceApi, waitForHealthy } from './reference-api';
import { FaultProxy } from '../faults/proxy';
import type { FaultTargets } from '../faults/registry';
import { onCleanup } from '../lib/lifecycle';
import { PackError } from '../lib/errors';
import type { Target } from '../target/load';

/**
 * Where the API under test is: LOADTEST_TARGET, else the target description's baseUrl; null means
 * the pack starts its reference API (only for the reference API's own description).
 */
export function targetUrlOf(config: Pick<PackConfig, 'target'>, target: Pick<Target, 'file' | 'isReference' | 'description'>): string | null {
  const url = config.target ?? target.description.baseUrl?.replace(/\/+$/, '') ?? null;
  if (url === null && !target.isReference)
    throw new PackError('LT_TARGET_INVALID', `${target.file} says no baseUrl, and LOADTEST_TARGET is not set: where is the API?`, {
      hint: 'add baseUrl: http://host:port to the target description, or set LOADTEST_TARGET',
    });
  return url;
}

export interface Environment {
  readonly server: { readonly url: string; stop(): Promise<void> };
  readonly postgresVersion: string | null;
  /** The reference API this run started (a new one after the api-kill fault), or null. */
  readonly api: RunningApi | null;
  readonly apiPoolMax: number | null;
  readonly target: string;
  /** What the faults may break: only what this run started (faults/registry.ts). */
  readonly faultTargets: FaultTargets;
  stop(): Promise<void>;
}

/** The database: started (or reached), set up when the pack owns it, only read when it does not. */
async function startDatabase(config: PackConfig, out: (line: string) => void): Promise<Environment['server'] & { pausable?: unknown }> {
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
  return server;
}

/** For the faults: a proxy between the reference API and PostgreSQL; the URL the API is given. */
async function startFaultProxy(serverUrl: string, out: (line: string) => void): Promise<{ proxy: FaultProxy; apiDatabaseUrl: string }> {
  const pgUrl = new URL(serverUrl);
  const proxy = new FaultProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const port = await proxy.start();
  onCleanup('fault proxy', () => proxy.stop());
  pgUrl.hostname = '127.0.0.1';
  pgUrl.port = String(port);
  out(`  proxy: the API reaches PostgreSQL through the fault proxy on 127.0.0.1:${port}`);
  return { proxy, apiDatabaseUrl: pgUrl.toString() };
}

/** The reference API, started, with what the faults may do to it (kill it, start it again). */
async function startApi(
  config: PackConfig,
  opts: { apiMode: ApiMode; runDir: string; out: (line: string) => void },
  apiDatabaseUrl: string,
): Promise<{ current: () => RunningApi; control: NonNullable<FaultTargets['api']> }> {
  const secret = ensureSecret(config.secretPath);
  const start = (internalToken?: string) =>
    startReferenceApi({
      root: config.root,
      databaseUrl: apiDatabaseUrl,
      jwtSecret: secret,
      port: config.apiPort,
      mode: opts.apiMode,
      logFile: path.join(opts.runDir, 'api.log'),
      ...(internalToken ? { internalToken } : {}),
    });
  let api = await start();
  opts.out(`  api: reference API on ${api.url} (mode ${opts.apiMode})`);
  return {
    current: () => api,
    control: {
      kill: async () => {
        try {
          process.kill(-api.child.process.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await api.child.exited;
      },
      restart: async () => {
        api = await start(api.internalToken);
      },
    },
  };
}

export async function startEnvironment(
  config: PackConfig,
  opts: { apiMode: ApiMode; runDir: string; out: (line: string) => void; faultProxy?: boolean; target: Target },
): Promise<Environment> {
  const out = opts.out;
  const url = targetUrlOf(config, opts.target);
  if (url === null) assertOwned(config.db, 'starting the reference API (it keeps its own schema there)');
  const server = await startDatabase(config, out);
  ensureSecret(config.secretPath);
  let proxy: FaultProxy | null = null;
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  if (url !== null) out(`  target: ${opts.target.name} on ${url} (${config.target ? 'LOADTEST_TARGET' : 'baseUrl'}; the reference API is not started)`);
  else {
    const routed = opts.faultProxy ? await startFaultProxy(server.url, out) : null;
    proxy = routed?.proxy ?? null;
    api = await startApi(config, opts, routed?.apiDatabaseUrl ?? server.url);
  }
  const target = url ?? api!.current().url;
  const healthPath = opts.target.description.health === undefined ? '/health' : opts.target.description.health;
  const health = healthPath === null ? {} : await waitForHealthy(target, healthPath);
  const postgresVersion = await withReadOnly(
    server.url,
    async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version,
  ).catch(() => null);
  const poolMax = (health.pool as { max?: unknown } | undefined)?.max;
  const ownsBoth = url === null && config.db.owned;
  return {
    server,
    postgresVersion,
    apiPoolMax: typeof poolMax === 'number' ? poolMax : null,
    get api() {
      return api?.current() ?? null;
    },
    target,
    faultTargets: {
      proxy,
      db: ownsBoth && 'pausable' in server && server.pausable ? (server.pausable as FaultTargets['db']) : null,
      api: api?.control ?? null,
    },
    stop: async () => {
      await api?.current().stop();
      await proxy?.stop();
      await server.stop();
    },
  };
}
