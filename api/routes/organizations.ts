/**
 * The contract's optional report reads (api/reports.ts), the pressure of load-test:swarm:
 * GET /api/organizations/:orgId/balances and .../usage. Query strings are strings: the API does not
 * coerce them, so numbers are patterns.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HEADERS, HttpProblem, UUID_PATTERN } from '../problems';
import { MAX_BALANCES, MAX_USAGE_MS, PERIODS, type OrganizationReports, type Period } from '../reports';

export const organizationRoutes: FastifyPluginAsync<{ reports: OrganizationReports }> = async (api, { reports }) => {
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
};
