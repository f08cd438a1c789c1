/**
 * The contract's unit operations: GET /api/authorizations/:id and POST .../:id/{reserve,release,consume}
 * with `{units}` and an optional Idempotency-Key. Under the /api scope's authentication hook.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { LedgerService, UnitOutcome } from '../ledger';
import { HEADERS, UUID_PATTERN, problem } from '../problems';
import { OPERATIONS, type Operation } from '../rules';

export const MAX_UNITS = 100_000;
const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

/** `pool;dur=0.41, db;dur=3.20, ...`: the W3C Server-Timing header. */
export function serverTiming(times: Readonly<Record<string, number>>): string {
  return Object.entries(times)
    .map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`)
    .join(', ');
}

function send(reply: FastifyReply, outcome: UnitOutcome, id: string): FastifyReply {
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
}

const bodySchema = {
  type: 'object',
  required: ['units'],
  additionalProperties: false,
  properties: { units: { type: 'integer', minimum: 1, maximum: MAX_UNITS } },
} as const;

export const authorizationRoutes: FastifyPluginAsync<{ ledger: LedgerService }> = async (api, { ledger }) => {
  api.get<{ Params: { id: string } }>('/api/authorizations/:id', async (req, reply) => {
    if (!UUID_PATTERN.test(req.params.id)) return send(reply, { kind: 'not_found' }, req.params.id);
    return send(reply, await ledger.read(req.params.id, req.principal!.organizationId), req.params.id);
  });

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
};
