/**
 * The reference API: the system under test, and the contract that user APIs follow
 * (docs/reference/api-contract.md). `buildApp` builds it without a socket so tests can `inject()`;
 * `api/server.ts` listens. The routes are Fastify plugins, one file each in `api/routes/`; the
 * error answers are `api/problems.ts`, the authentication `api/auth.ts`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ApiConfig } from '../lib/config';
import { authenticator } from './auth';
import { CircuitBreaker } from './breaker';
import { HealthProbe } from './health';
import { LedgerService } from './ledger';
import { InstrumentedPool } from './pool';
import { answerProblems } from './problems';
import { OrganizationReports } from './reports';
import { authorizationRoutes } from './routes/authorizations';
import { healthRoutes } from './routes/health';
import { internalRoutes } from './routes/internal';
import { organizationRoutes } from './routes/organizations';

export { HEADERS } from './problems';
export { MAX_UNITS, serverTiming } from './routes/authorizations';
export type { Principal } from './auth';

export interface App {
  readonly app: FastifyInstance;
  readonly pool: InstrumentedPool;
  readonly ledger: LedgerService;
}

export async function buildApp(config: ApiConfig, opts: { logger?: boolean } = {}): Promise<App> {
  const health = new HealthProbe(config.databaseUrl);
  // The hang-on-db-loss negative control has neither: a lost database makes requests wait.
  const guarded = config.mode !== 'hang-on-db-loss';
  const breaker = guarded ? new CircuitBreaker(() => health.checkFresh()) : null;
  const pool = new InstrumentedPool(config.databaseUrl, config.poolMax, config.poolAcquireTimeoutMs, guarded ? config.queryTimeoutMs : null, breaker);
  const ledger = new LedgerService(pool, {
    mode: config.mode,
    maxAttempts: config.maxAttempts,
    unsafeRaceWindowMs: config.unsafeRaceWindowMs,
    faultEvery: config.faultEvery,
    slowAckMs: config.slowAckMs,
    foldAfter: config.foldAfter,
    batchMax: config.batchMax,
  });
  const reports = new OrganizationReports(pool, config.maxAttempts);
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: config.bodyLimitBytes,
    // Reject unknown properties instead of silently dropping them. The lax-input negative
    // control coerces ("5" becomes 5), as a careless API does.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: config.mode === 'lax-input', allErrors: true } },
  });
  // JSON only: Fastify's default text/plain parser would hand a string to the schema (a 400)
  // where the contract says 415.
  app.removeContentTypeParser('text/plain');
  app.addHook('onClose', async () => {
    breaker?.stop();
    await pool.end().catch(() => undefined);
    await health.end().catch(() => undefined);
  });
  answerProblems(app, config.bodyLimitBytes, breaker);

  await app.register(healthRoutes, { health, mode: config.mode, poolMax: pool.max });
  if (config.internalToken !== null) await app.register(internalRoutes, { token: config.internalToken, pool });
  const authenticate = authenticator(config.jwtSecret, config.mode);
  await app.register(async (api) => {
    api.addHook('onRequest', authenticate);
    await api.register(authorizationRoutes, { ledger });
    await api.register(organizationRoutes, { reports });
  });

  await ledger.prepareMode();
  return { app, pool, ledger };
}
