/**
 * /internal/pool: pool usage since start (or since the last reset), for the runner that started
 * this API. Registered only with API_INTERNAL_TOKEN set, and answered only to a request that carries it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { InstrumentedPool } from '../pool';
import { HEADERS, HttpProblem } from '../problems';

export const internalRoutes: FastifyPluginAsync<{ token: string; pool: InstrumentedPool }> = async (app, { token, pool }) => {
  const expected = Buffer.from(token);
  app.addHook('onRequest', async (req) => {
    const given = Buffer.from(String(req.headers[HEADERS.internalToken] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpProblem(401, 'unauthorized', 'internal_token', `send ${HEADERS.internalToken}: <API_INTERNAL_TOKEN>`);
    }
  });
  app.get('/internal/pool', async () => pool.stats());
  app.post('/internal/pool/reset', async () => {
    pool.resetStats();
    return pool.stats();
  });
};
