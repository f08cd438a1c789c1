/** GET /health: the database's state, never on the request pool (api/health.ts), so a flood of checks cannot starve requests. */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiMode } from '../../lib/config';
import type { HealthProbe } from '../health';

export const healthRoutes: FastifyPluginAsync<{ health: HealthProbe; mode: ApiMode; poolMax: number }> = async (app, { health, mode, poolMax }) => {
  app.get('/health', async (_req, reply) => {
    if (await health.check()) return reply.send({ status: 'ok', database: 'ok', mode, pool: { max: poolMax } });
    return reply.code(503).send({ status: 'unavailable', database: 'unreachable', mode, pool: { max: poolMax } });
  });
};
