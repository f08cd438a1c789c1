/**
 * The Artillery functions of `load-test:edge` (scenarios/edge-cases.yml). A VU picks an
 * authorization and primes an idempotency key with one good reserve (an Artillery request, so the
 * isolation plugin records it), then sends every bad-input class of edge/classes.ts over raw
 * sockets (Artillery's HTTP client cannot send malformed HTTP, and repairs headers) and counts
 * how each was answered.
 *
 * Counters (all seeded with 0, so that a check on them always has a value):
 *   edge.sent, edge.expected, edge.off_contract, edge.server_errors, edge.dropped, edge.skipped
 *   edge.class.<name>.expected | .off | .skipped          per class
 *   edge.got.<name>.<status|none>.<reason|none>           what an off-contract class got
 * Histogram: edge.response_time (ms).
 */
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import { lastRequest } from 'artillery-plugin-isolation';
import { loadPackConfig } from '../lib/config';
import type { FixtureAuthorization } from '../seed/fixture';
import { EDGE_CLASSES, EdgeContext, expectedFor, judgeAnswer, reasonOf, skipReason } from '../edge/classes';
import { EDGE_COUNTERS, EDGE_METRICS, gotMetric } from '../edge/metrics';
import { sendRaw } from '../edge/send';
import { RequestShape, requestShape } from '../edge/shape';
import { pickUniform, spreadTargets, tokenFor } from './selection';
import { getContract, getFixture } from './shared';

interface Context {
  vars: Record<string, unknown>;
}
interface Events {
  emit(event: 'counter', name: string, value: number): void;
  emit(event: 'histogram', name: string, value: number): void;
}

let secret: string | null | undefined;
let counter = 0;
let shape: RequestShape | null = null;

/** How the API under test spells a good request (its contract); the reference API's reasons are known only for it. */
function shapeOf(): RequestShape {
  shape ??= requestShape(getContract(), { reference: process.env.LOADTEST_REFERENCE_TARGET === '1' });
  return shape;
}

/** The signing secret, only if it signed the fixture's tokens (else the classes that need it are skipped). */
function signingSecret(token: string): string | null {
  if (secret !== undefined) return secret;
  secret = null;
  try {
    const candidate = fs.readFileSync(loadPackConfig().secretPath, 'utf8').trim();
    const [h, p, s] = token.split('.');
    if (createHmac('sha256', candidate).update(`${h}.${p}`).digest('base64url') === s) secret = candidate;
  } catch {
    /* no secret file: the classes that need it are skipped and named */
  }
  return secret;
}

/** Picks the VU's authorization (an organization with two) and another organization's token; the next step primes a key on it. */
export function prepareEdge(context: Context, events: Events, done: () => void): void {
  const f = getFixture();
  const spread = spreadTargets(f);
  const byOrg = new Map<string, FixtureAuthorization[]>();
  for (const a of spread) byOrg.set(a.organizationId, [...(byOrg.get(a.organizationId) ?? []), a]);
  const candidates = spread.filter((a) => (byOrg.get(a.organizationId)?.length ?? 0) >= 2);
  const a = pickUniform(candidates, Math.random);
  const same = pickUniform(
    byOrg.get(a.organizationId)!.filter((x) => x.id !== a.id),
    Math.random,
  );
  const other = f.authorizations.find((x) => x.organizationId !== a.organizationId);
  if (!other) throw new Error('the edge scenario needs authorizations of two organizations in the fixture');
  context.vars.resource = a.id;
  context.vars.organization = a.organizationId;
  context.vars.sameOrgAuthorizationId = same.id;
  context.vars.token = tokenFor(f, a, counter++);
  context.vars.otherOrgToken = tokenFor(f, other, counter);
  for (const m of EDGE_COUNTERS) events.emit('counter', m, 0);
  done();
}

/** Sends every class once, in turn, and counts the answers. */
export function sendEdgeClasses(context: Context, events: Events, done: (err?: Error) => void): void {
  const v = context.vars;
  const target = new URL(String(v.target));
  const ctx: EdgeContext = {
    host: target.host,
    shape: shapeOf(),
    authorizationId: String(v.resource),
    sameOrgAuthorizationId: String(v.sameOrgAuthorizationId),
    token: String(v.token),
    otherOrgToken: String(v.otherOrgToken),
    secret: signingSecret(String(v.token)),
    // The key the previous step primed (its reserve, in the operation history).
    primedKey: lastRequest(v)?.key ?? '',
    primedUnits: Number(v.primedUnits ?? 1),
    bodyLimitBytes: Number(v.bodyLimitBytes ?? 4096),
  };
  const timeoutMs = Number(v.classTimeoutMs ?? 15_000);
  const run = async (): Promise<void> => {
    for (const c of EDGE_CLASSES) {
      if (skipReason(c, ctx.shape, ctx.secret !== null) !== null) {
        events.emit('counter', EDGE_METRICS.skipped, 1);
        events.emit('counter', `edge.class.${c.name}.skipped`, 1);
        continue;
      }
      const answer = await sendRaw(target, c.build(ctx), { timeoutMs, ...(c.halfClose ? { halfClose: true } : {}) });
      const reason = reasonOf(answer.body);
      const verdict = judgeAnswer(c, { status: answer.status, reason, dropped: answer.dropped, timedOut: answer.timedOut }, expectedFor(c, ctx.shape));
      events.emit('counter', EDGE_METRICS.sent, 1);
      events.emit('histogram', EDGE_METRICS.responseTime, answer.ms);
      if (verdict === 'expected') {
        events.emit('counter', EDGE_METRICS.expected, 1);
        events.emit('counter', `edge.class.${c.name}.expected`, 1);
        continue;
      }
      events.emit('counter', EDGE_METRICS.offContract, 1);
      events.emit('counter', `edge.class.${c.name}.off`, 1);
      events.emit('counter', gotMetric(c.name, answer.status, reason), 1);
      if (verdict === 'server_error') events.emit('counter', EDGE_METRICS.serverErrors, 1);
      if (verdict === 'dropped') events.emit('counter', EDGE_METRICS.dropped, 1);
    }
  };
  run().then(
    () => done(),
    (err: Error) => done(err),
  );
}
