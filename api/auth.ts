/**
 * Who is asking: the bearer JWT (HS256) checked once and kept verified (api/token-cache.ts), its
 * claims checked for shape so that a malformed claim is a 401 and never reaches the database.
 */
import type { FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';
import type { ApiMode } from '../lib/config';
import { hmacKey } from '../lib/jwt-key';
import { HttpProblem, UUID_PATTERN } from './problems';
import { TokenCache } from './token-cache';

/** Tokens kept verified; the pack's fixtures use a few hundred at most. */
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

/** The onRequest hook of every /api route: sets `req.principal`, or answers 401 with the reason. */
export function authenticator(jwtSecret: string, mode: ApiMode): (req: FastifyRequest) => Promise<void> {
  const jwtKey = hmacKey(jwtSecret);
  const verified = new TokenCache<Principal>(TOKEN_CACHE_MAX);
  return async (req) => {
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
      if (typeof claims.org !== 'string' || !UUID_PATTERN.test(claims.org)) throw new Error('the org claim is not a UUID');
      if (claims.sub !== undefined && (typeof claims.sub !== 'string' || !UUID_PATTERN.test(claims.sub))) throw new Error('the sub claim is not a UUID');
      // The lax-input negative control accepts tokens that never expire.
      if (typeof claims.exp !== 'number' && mode !== 'lax-input') throw new Error('the token has no exp claim');
      req.principal = { practitionerId: claims.sub ?? null, organizationId: claims.org.toLowerCase() };
      verified.set(token, req.principal, claims);
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      throw new HttpProblem(401, 'unauthorized', expired ? 'token_expired' : 'invalid_token', expired ? 'the token has expired' : 'the token is not valid');
    }
  };
}
