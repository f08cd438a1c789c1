/**
 * The API's error answers: `{error, reason, message}` with a precise status
 * (docs/reference/api-contract.md), and the error handler that maps every failure to one.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isUnreachable } from '../db/connect';
import { DatabaseUnavailable, type CircuitBreaker } from './breaker';
import { isConnectionBroken } from './ledger';
import { RetriesExhausted } from './retry';

/** Response headers of the contract. */
export const HEADERS = {
  attempts: 'x-serialization-attempts',
  replayed: 'idempotent-replayed',
  idempotencyKey: 'idempotency-key',
  /** Request header for /internal/* (the value of API_INTERNAL_TOKEN). */
  internalToken: 'x-internal-token',
} as const;

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A failure thrown from a hook or a handler, answered as it says. */
export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function problem(reply: FastifyReply, status: number, error: string, reason: string, message: string): FastifyReply {
  return reply.code(status).send({ error, reason, message });
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

/** Unknown routes, invalid input, conflicts past the retry budget and a lost database, each its own answer. */
export function answerProblems(app: FastifyInstance, bodyLimitBytes: number, breaker: CircuitBreaker | null): void {
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
      return problem(reply, 413, 'payload_too_large', 'body_too_large', `request body exceeds ${bodyLimitBytes} bytes`);
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
}
