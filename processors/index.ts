/**
 * Artillery processor functions: thin adapters with Artillery's signatures over the pure choices
 * in ./selection. Scenarios name them in `flow: - function: <name>` (and `ifTrue: <name>`).
 *
 * They choose what a virtual user does, never how it is sent: the request steps name an operation
 * (`isolation: { op: reserve }`) and the plugin renders it with the contract of the API under test
 * (target description). Variables set for the steps that follow: resource, organization, token,
 * operation, units, and the flags retrySend (a client retry: the same request, same key) and
 * reuseKey with probe (the same key, another request: the API must refuse it).
 */
import { METRICS, heldAcquisitions, lastOutcome, lastRequest } from 'artillery-plugin-isolation';
import type { FixtureAuthorization } from '../seed/fixture';
import {
  WaveTracker,
  barrierDelay,
  contentionTargets,
  effectiveMix,
  pickMixed,
  pickUniform,
  probeVariant,
  shouldResend,
  spreadTargets,
  targetForWave,
  tokenFor,
} from './selection';
import { capabilitiesOf, getContract, getFixture, num } from './shared';

interface Context {
  vars: Record<string, unknown>;
}
interface Events {
  emit(event: 'counter', name: string, value: number): void;
}

let counter = 0;
let probes = 0;
let waves: WaveTracker | null = null;
let byId: Map<string, FixtureAuthorization> | null = null;

const api = () => capabilitiesOf(getContract());

/** The fixture's authorizations by id (once per worker): a reservation names its resource. */
function authorization(id: string): FixtureAuthorization | undefined {
  byId ??= new Map(getFixture().authorizations.map((a) => [a.id, a]));
  return byId.get(id);
}

/** The variables of one request on `target`: the resource, its organization and a token that may act on it. */
function aim(vars: Record<string, unknown>, target: FixtureAuthorization): void {
  vars.resource = target.id;
  vars.organization = target.organizationId;
  vars.token = tokenFor(getFixture(), target, counter++);
}

/**
 * The flags of a keyed request: sent again with the same key (retryShare: a client retry, answered
 * with the first outcome), and its key reused for another request (reuseShare: a probe the API
 * must refuse). An API without keys gets neither: a resend would book twice, legitimately.
 */
function keyFlags(vars: Record<string, unknown>, target: FixtureAuthorization, kind: string, units: number | null): void {
  const a = api();
  vars.retrySend = a.keyed && shouldResend(num(vars, 'retryShare', 0), Math.random);
  vars.reuseKey = a.keyReuse && shouldResend(num(vars, 'reuseShare', 0), Math.random);
  if (vars.reuseKey) {
    const others = getFixture()
      .authorizations.filter((x) => x.organizationId === target.organizationId && x.id !== target.id)
      .slice(0, 8)
      .map((x) => x.id);
    vars.probe = probeVariant({ kind, resource: target.id, units }, a, others, probes++);
  }
}

/**
 * Scenario 1. Joins the current wave of arrivals, aims at that wave's contention target, and
 * waits at a barrier so that all VUs of the wave fire their reserve at the same moment.
 * Variables: units, waveGapMs (a silence longer than this starts a new wave), waveBarrierMs.
 */
export async function joinContentionWave(context: Context): Promise<void> {
  const f = getFixture();
  waves ??= new WaveTracker(num(context.vars, 'waveGapMs', 400));
  const now = Date.now();
  const { wave, waveStart } = waves.arrive(now);
  const target = targetForWave(contentionTargets(f), wave);
  aim(context.vars, target);
  keyFlags(context.vars, target, 'reserve', num(context.vars, 'units', 10));
  context.vars.wave = wave;
  const delay = barrierDelay(now, waveStart, num(context.vars, 'waveBarrierMs', 1100));
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
}

/**
 * Scenario 2. Picks an authorization outside the contention targets (uniformly over all of
 * them, in all organizations) for one journey: reserve, think, then undo it with the operation the
 * API has for that (undoOp: release, else consume).
 */
export function pickThroughputTarget(context: Context, _events: unknown, done: () => void): void {
  const f = getFixture();
  const a = api();
  const target = pickUniform(spreadTargets(f), Math.random);
  aim(context.vars, target);
  keyFlags(context.vars, target, 'reserve', num(context.vars, 'units', 5));
  context.vars.retryUndo = a.keyed && shouldResend(num(context.vars, 'retryShare', 0), Math.random);
  context.vars.undoOp = a.has('release') ? 'release' : a.has('consume') ? 'consume' : null;
  done();
}

/** ifTrue of scenario 2's undo: the reserve was acknowledged, and the API has an operation to undo it with. */
export function undoAfterReserve(vars: Record<string, unknown>): boolean {
  return vars.releaseAfterReserve !== false && typeof vars.undoOp === 'string' && lastOutcome(vars) === 'ok';
}

/** ifTrue of the undo's client retry: the undo was sent, and this journey retries it. */
export function retryUndo(vars: Record<string, unknown>): boolean {
  return vars.retryUndo === true && lastRequest(vars)?.kind === vars.undoOp;
}

/**
 * Scenario 3. Draws one request of the mix (the scenario's variables; docs/guides/scenarios.md):
 * by default 70/20/10 reserve 5, release 5, consume 3, 80 % spread, 20 % on the shared
 * authorization. An operation the API releases by id takes one of this virtual user's own
 * reservations; with none held, a reserve goes instead (counted in isolation.mix.substituted).
 */
export function pickMixedOperation(context: Context, events: Events, done: () => void): void {
  const f = getFixture();
  const a = api();
  const { mix } = effectiveMix(context.vars, a);
  let { target, operation, units } = pickMixed(f, mix, Math.random);
  context.vars.acquisition = null;
  if ((operation === 'release' || operation === 'consume') && a.by(operation) === 'acquisition') {
    const held = heldAcquisitions(context.vars);
    const pick = held.length > 0 ? held[Math.floor(Math.random() * held.length)]! : null;
    const owner = pick ? authorization(pick.resource) : undefined;
    if (pick && owner) {
      target = owner;
      units = pick.units;
      context.vars.acquisition = pick.ref;
    } else {
      events.emit('counter', METRICS.substituted, 1);
      operation = 'reserve';
      units = mix.reserveUnits;
    }
  }
  aim(context.vars, target);
  context.vars.operation = operation;
  context.vars.units = units;
  keyFlags(context.vars, target, operation, units);
  done();
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
  aim(context.vars, target);
  keyFlags(context.vars, target, 'reserve', num(context.vars, 'units', 1));
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
