/**
 * The reference API: the system under test, and the contract that user APIs follow
 * (docs/reference/api-contract.md). `buildApp` builds it without a socket so tests can `inject()`;
 * `api/server.ts` listens.
 */
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import { timingSafeEqual } from 'node:crypto';
import type { ApiConfig } from '../lib/config';
import { hmacKey } from '../lib/jwt-key';
import { isUnreachable } from '../db/connect';
import { InstrumentedPool } from './pool';
import { HealthProbe } from './health';
import { CircuitBreaker, DatabaseUnavailable } from './breaker';
import { LedgerService, UnitOutcome, isConnectionBroken } from './ledger';
import { OPERATIONS, Operation } from './rules';
import { RetriesExhausted } from './retry';
import { TokenCache } from './token-cache';
import { MAX_BALANCES, MAX_USAGE_MS, OrganizationReports, PERIODS, Period } from './reports';

/** Response headers of the contract. */
export const HEADERS = {
  attempts: 'x-serialization-attempts',
  replayed: 'idempotent-replayed',
  idempotencyKey: 'idempotency-key',
  /** Request header for /internal/* (the value of API_INTERNAL_TOKEN). */
  internalToken: 'x-internal-token',
} as const;

export const MAX_UNITS = 100_000;
const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Tokens kept verified (api/token-cache.ts); the pack's fixtures use a few hundred at most. */
const TOKEN_CACHE_MAX = 10_000;

export interface Principal {
  readonly practitionerId: string | null;
  readonly organizationId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** performance.now() when the request arrived (Server-Timing's `app`). */
    receivedAt?: number;
  }
}

class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function problem(reply: FastifyReply, status: number, error: string, reason: string, message: string): FastifyReply {
  return reply.code(status).send({ error, reason, message });
}

/** `pool;dur=0.41, db;dur=3.20, ...`: the W3C Server-Timing header. */
export function serverTiming(times: Readonly<Record<string, number>>): string {
  return Object.entries(times)
    .map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`)
    .join(', ');
}

/**
 * Lingering close (RFC 9112 §9.6): when the API answers before it has read the body (a 413), and
 * the connection is to close, Node destroys the socket as soon as the answer is written. Bytes the
 * client is still sending then make the kernel reset the connection, and a reset discards the
 * answer before the client reads it: the client sees a dropped connection, not a 413. Here the
 * socket ends its writing side, reads and discards for up to 2 s, then closes.
 */
function lingerOnClose(socket: import('node:net').Socket): void {
  const s = socket as import('node:net').Socket & { destroySoon?: () => void };
  s.destroySoon = () => {
    s.end();
    s.on('data', () => undefined);
    s.resume();
    setTimeout(() => s.destroy(), 2000).unref();
    s.once('end', () => s.destroy());
  };
}

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

  app.setNotFoundHandler((req, reply) => problem(reply, 404, 'not_found', 'route_not_found', `no route ${req.method} ${req.url}`));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpProblem) return problem(reply, err.statusCode, err.error, err.reason, err.message);
    if (err.validation)
      return problem(
        reply,
        400,
        'bad_request',
        err.validationContext === 'querystring' ? 'invalid_query' : 'invalid_body',
        `${err.validationContext ?? 'body'}: ${err.message}`,
      );
    if (err.statusCode === 413) {
      lingerOnClose(req.raw.socket);
      return problem(reply, 413, 'payload_too_large', 'body_too_large', `request body exceeds ${config.bodyLimitBytes} bytes`);
    }
    if (err.statusCode === 415) return problem(reply, 415, 'unsupported_media_type', 'unsupported_media_type', 'send Content-Type: application/json');
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return problem(reply, err.statusCode, 'bad_request', err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'empty_body' : 'invalid_json', err.message);
    }
    if (err instanceof RetriesExhausted) {
      reply.header(HEADERS.attempts, String(err.attempts));
      return problem(reply, 409, 'conflict', 'serialization_conflict', err.message);
    }
    if (err instanceof DatabaseUnavailable) return problem(reply, 503, 'unavailable', 'database_unavailable', 'the database is unavailable; retry later');
    if (isUnreachable(err) || isConnectionBroken(err)) {
      // A connection-level failure: stop sending requests to the pool until a probe answers.
      breaker?.trip(err.message);
      return problem(reply, 503, 'unavailable', 'database_unavailable', 'the database is unavailable; retry later');
    }
    if (/timeout exceeded when trying to connect/i.test(err.message)) {
      return problem(reply, 503, 'unavailable', 'database_unavailable', 'no database connection within API_POOL_ACQUIRE_TIMEOUT_MS; retry later');
    }
    req.log.error(err);
    return problem(reply, 500, 'internal_error', 'internal_error', 'unexpected server error');
  });

  // Never on the request pool (api/health.ts): a flood of health checks cannot starve requests.
  app.get('/health', async (_req, reply) => {
    if (await health.check()) return reply.send({ status: 'ok', database: 'ok', mode: config.mode, pool: { max: pool.max } });
    return reply.code(503).send({ status: 'unavailable', database: 'unreachable', mode: config.mode, pool: { max: pool.max } });
  });

  // Pool usage since start (or since the last reset), for the runner that started this API: only
  // with API_INTERNAL_TOKEN set, and only to a request that carries it.
  if (config.internalToken !== null) {
    const expected = Buffer.from(config.internalToken);
    await app.register(async (internal) => {
      internal.addHook('onRequest', async (req) => {
        const given = Buffer.from(String(req.headers[HEADERS.internalToken] ?? ''));
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          throw new HttpProblem(401, 'unauthorized', 'internal_token', `send ${HEADERS.internalToken}: <API_INTERNAL_TOKEN>`);
        }
      });
      internal.get('/internal/pool', async () => pool.stats());
      internal.post('/internal/pool/reset', async () => {
        pool.resetStats();
        return pool.stats();
      });
    });
  }

  const jwtKey = hmacKey(config.jwtSecret);
  const verified = new TokenCache<Principal>(TOKEN_CACHE_MAX);
  const authenticate = async (req: FastifyRequest): Promise<void> => {
    req.receivedAt = performance.now();
    const header = req.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) throw new HttpProblem(401, 'unauthorized', 'missing_token', 'send Authorization: Bearer <JWT>');
    const token = header.slice(7);
    const known = verified.get(token);
    if (known !== undefined) {
      req.principal = known;
      return;
    }
    try {
      const claims = jwt.verify(token, jwtKey, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      // Claims are checked for shape here, so that a token with a malformed claim is a 401 and never
      // reaches the database as a value it cannot store (a 500).
      if (typeof claims.org !== 'string' || !UUID_PATTERN.test(claims.org)) throw new Error('the org claim is not a UUID');
      if (claims.sub !== undefined && (typeof claims.sub !== 'string' || !UUID_PATTERN.test(claims.sub))) throw new Error('the sub claim is not a UUID');
      // The lax-input negative control accepts tokens that never expire.
      if (typeof claims.exp !== 'number' && config.mode !== 'lax-input') throw new Error('the token has no exp claim');
      req.principal = { practitionerId: claims.sub ?? null, organizationId: claims.org.toLowerCase() };
      verified.set(token, req.principal, claims);
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      throw new HttpProblem(401, 'unauthorized', expired ? 'token_expired' : 'invalid_token', expired ? 'the token has expired' : 'the token is not valid');
    }
  };

  const send = (reply: FastifyReply, outcome: UnitOutcome, id: string): FastifyReply => {
    switch (outcome.kind) {
      case 'not_found':
        return problem(reply, 404, 'not_found', 'authorization_not_found', `authorization ${id} does not exist`);
      case 'forbidden':
        return problem(reply, 403, 'forbidden', 'other_organization', `authorization ${id} belongs to another organization`);
      case 'key_reused':
        return problem(reply, 422, 'unprocessable', 'idempotency_key_reused', 'this Idempotency-Key was used for a different request');
      default:
        if (outcome.kind === 'replayed') reply.header(HEADERS.replayed, 'true');
        return reply.code(outcome.status).send(outcome.body);
    }
  };

  await app.register(async (api) => {
    api.addHook('onRequest', authenticate);

    api.get<{ Params: { id: string } }>('/api/authorizations/:id', async (req, reply) => {
      if (!UUID_PATTERN.test(req.params.id)) return send(reply, { kind: 'not_found' }, req.params.id);
      return send(reply, await ledger.read(req.params.id, req.principal!.organizationId), req.params.id);
    });

    // The contract's optional report reads (api/reports.ts): the pressure of load-test:swarm.
    const organization = (req: FastifyRequest<{ Params: { orgId: string } }>): string => {
      const id = req.params.orgId;
      if (!UUID_PATTERN.test(id)) throw new HttpProblem(404, 'not_found', 'organization_not_found', `organization ${id} does not exist`);
      if (id.toLowerCase() !== req.principal!.organizationId)
        throw new HttpProblem(403, 'forbidden', 'other_organization', `organization ${id} is not the token's organization`);
      return id.toLowerCase();
    };
    const missing = async (id: string): Promise<void> => {
      if (!(await reports.exists(id))) throw new HttpProblem(404, 'not_found', 'organization_not_found', `organization ${id} does not exist`);
    };
    // Query strings are strings: the API does not coerce (see ajv above), so numbers are patterns.
    api.get<{ Params: { orgId: string }; Querystring: { limit: string } }>(
      '/api/organizations/:orgId/balances',
      {
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { limit: { type: 'string', pattern: '^[1-9][0-9]{0,5}$', default: '1000' } },
          },
        },
      },
      async (req, reply) => {
        const id = organization(req);
        const limit = Number(req.query.limit);
        if (limit > MAX_BALANCES) throw new HttpProblem(400, 'bad_request', 'invalid_query', `limit must be from 1 to ${MAX_BALANCES}`);
        const { value, attempts } = await reports.balances(id, limit);
        if (value.balances.length === 0) await missing(id);
        reply.header(HEADERS.attempts, String(attempts));
        return reply.send({ organizationId: id, authorizations: value.balances.length, totals: value.totals, balances: value.balances });
      },
    );
    api.get<{ Params: { orgId: string }; Querystring: { period: Period; from?: string; to?: string } }>(
      '/api/organizations/:orgId/usage',
      {
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              period: { type: 'string', enum: [...PERIODS], default: 'hour' },
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
            },
          },
        },
      },
      async (req, reply) => {
        const id = organization(req);
        const to = req.query.to ? new Date(req.query.to) : new Date();
        const from = req.query.from ? new Date(req.query.from) : new Date(to.getTime() - 24 * 3600 * 1000);
        if (!(from < to) || to.getTime() - from.getTime() > MAX_USAGE_MS)
          throw new HttpProblem(400, 'bad_request', 'invalid_query', 'from must be before to, and the window at most 366 days');
        const { value, attempts } = await reports.usage(id, req.query.period, from, to);
        if (value.length === 0) await missing(id);
        reply.header(HEADERS.attempts, String(attempts));
        return reply.send({ organizationId: id, period: req.query.period, from: from.toISOString(), to: to.toISOString(), buckets: value });
      },
    );

    const bodySchema = {
      type: 'object',
      required: ['units'],
      additionalProperties: false,
      properties: { units: { type: 'integer', minimum: 1, maximum: MAX_UNITS } },
    } as const;

    for (const operation of OPERATIONS) {
      api.post<{ Params: { id: string }; Body: { units: number } }>(
        `/api/authorizations/:id/${operation}`,
        { schema: { body: bodySchema } },
        async (req, reply) => {
          const id = req.params.id;
          const rawKey = req.headers[HEADERS.idempotencyKey];
          const key = typeof rawKey === 'string' ? rawKey : null;
          if (key !== null && !KEY_PATTERN.test(key)) {
            return problem(reply, 400, 'bad_request', 'invalid_idempotency_key', 'Idempotency-Key must be 1-200 characters of A-Z a-z 0-9 . _ : -');
          }
          if (!UUID_PATTERN.test(id)) return send(reply, { kind: 'not_found' }, id);
          const { outcome, attempts, times } = await ledger.run({
            authorizationId: id,
            operation: operation as Operation,
            units: req.body.units,
            idempotencyKey: key,
            organizationId: req.principal!.organizationId,
            practitionerId: req.principal!.practitionerId,
          });
          reply.header(HEADERS.attempts, String(attempts));
          reply.header('server-timing', serverTiming({ ...times, app: performance.now() - (req.receivedAt ?? performance.now()) }));
          return send(reply, outcome, id);
        },
      );
    }
  });

  await ledger.prepareMode();
  return { app, pool, ledger };
}
