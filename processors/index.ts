/**
 * Artillery processor functions: thin adapters with Artillery's signatures over the pure choices
 * in ./selection. Scenarios name them in `flow: - function: <name>`.
 *
 * Variables set for the request that follows: authorizationId, token, idempotencyKey.
 */
import {
  PLAN_MIX,
  WaveTracker,
  barrierDelay,
  contentionTargets,
  pickMixed,
  pickUniform,
  shouldResend,
  spreadTargets,
  targetForWave,
  tokenFor,
} from './selection';
import { getFixture, newIdempotencyKey, num } from './shared';

export { newIdempotencyKey };

interface Context {
  vars: Record<string, unknown>;
}

let counter = 0;
let waves: WaveTracker | null = null;

/**
 * Scenario 1. Joins the current wave of arrivals, aims at that wave's contention target, and
 * waits at a barrier so that all VUs of the wave fire their reserve at the same moment.
 * Variables: waveGapMs (a silence longer than this starts a new wave), waveBarrierMs.
 */
export async function joinContentionWave(context: Context): Promise<void> {
  const f = getFixture();
  waves ??= new WaveTracker(num(context.vars, 'waveGapMs', 400));
  const now = Date.now();
  const { wave, waveStart } = waves.arrive(now);
  const target = targetForWave(contentionTargets(f), wave);
  context.vars.authorizationId = target.id;
  context.vars.token = tokenFor(f, target, counter++);
  context.vars.idempotencyKey = newIdempotencyKey();
  context.vars.retrySend = shouldResend(num(context.vars, 'retryShare', 0), Math.random);
  context.vars.wave = wave;
  const delay = barrierDelay(now, waveStart, num(context.vars, 'waveBarrierMs', 1100));
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
}

/**
 * Scenario 2. Picks an authorization outside the contention targets (uniformly over all of
 * them, in all organizations) for one reserve-then-release journey, with one key per request.
 */
export function pickThroughputTarget(context: Context, _events: unknown, done: () => void): void {
  const f = getFixture();
  const target = pickUniform(spreadTargets(f), Math.random);
  context.vars.authorizationId = target.id;
  context.vars.token = tokenFor(f, target, counter++);
  context.vars.reserveKey = newIdempotencyKey();
  context.vars.releaseKey = newIdempotencyKey();
  context.vars.retryReserve = shouldResend(num(context.vars, 'retryShare', 0), Math.random);
  context.vars.retryRelease = shouldResend(num(context.vars, 'retryShare', 0), Math.random);
  done();
}

/**
 * Scenario 3. Draws one request of the mix: operation 70/20/10 (reserve 5, release 5,
 * consume 3), target 80 % spread / 20 % the shared authorization. Variables: sharedShare,
 * retryShare (the share of requests sent twice with the same key, as a client retry).
 */
export function pickMixedOperation(context: Context, _events: unknown, done: () => void): void {
  const f = getFixture();
  const mix = { ...PLAN_MIX, sharedShare: num(context.vars, 'sharedShare', PLAN_MIX.sharedShare) };
  const { target, operation, units } = pickMixed(f, mix, Math.random);
  context.vars.authorizationId = target.id;
  context.vars.token = tokenFor(f, target, counter++);
  context.vars.operation = operation;
  context.vars.units = units;
  context.vars.idempotencyKey = newIdempotencyKey();
  context.vars.retrySend = shouldResend(num(context.vars, 'retryShare', 0), Math.random);
  done();
}

/** beforeRequest hook: sends {"units": <units>} as a JSON number (a template would send a string); a request without a body (a GET) is left alone. */
export function setUnitsBody(requestParams: { json?: unknown }, context: Context, _events: unknown, next: () => void): void {
  if (requestParams.json !== undefined) requestParams.json = { units: Number(context.vars.units) };
  next();
}

/**
 * The exact-count ladder. Every VU claims 1 unit of the ladder authorization whose stock is the
 * `stock` variable (10, 20 or 50), all at the same moment (a barrier, as in scenario 1).
 */
export async function joinLadderWave(context: Context): Promise<void> {
  const f = getFixture();
  const stock = num(context.vars, 'stock', 10);
  const target = f.authorizations.find((a) => a.tier === 'ladder' && a.capacityUnits === stock);
  if (!target) throw new Error(`the fixture has no ladder authorization with stock ${stock} (seed profile "ladder")`);
  waves ??= new WaveTracker(num(context.vars, 'waveGapMs', 400));
  const now = Date.now();
  const { waveStart } = waves.arrive(now);
  context.vars.authorizationId = target.id;
  context.vars.token = tokenFor(f, target, counter++);
  context.vars.idempotencyKey = newIdempotencyKey();
  context.vars.retrySend = shouldResend(num(context.vars, 'retryShare', 0), Math.random);
  const delay = barrierDelay(now, waveStart, num(context.vars, 'waveBarrierMs', 1100));
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
}

export { prepareEdge, sendEdgeClasses } from './edge';
export {
  takeSwarmRole,
  writerContinues,
  pressureContinues,
  nextSwarmWrite,
  swarmJitter,
  nextPressureRead,
  pressurePause,
  pickBreakpointRequest,
} from './swarm';
