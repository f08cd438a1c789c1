/**
 * Artillery adapters of the swarm and pressure (scenarios/swarm-pressure.yml) and the breakpoint
 * mix (scenarios/breakpoint.yml), over the pure choices of ./swarm-plan.
 *
 * Swarm variables: pressureUsers (per Artillery worker), runSeconds, pressureAfterSeconds,
 * pressureEveryMs, jitterMinMs, jitterMaxMs, writeUnits, balancesLimit, usagePeriod,
 * usageWindowMinutes.
 * Breakpoint variables: readShare.
 */
import type { Fixture, FixtureAuthorization } from '../seed/fixture';
import { tokenFor } from './selection';
import { WriterState, breakpointRequest, jitterMs, pressureRead, roomyTargets, startWriter, swarmRole, writerRequest } from './swarm-plan';
import { capabilitiesOf, getContract, getFixture, num } from './shared';

interface Context {
  vars: Record<string, unknown>;
}
type Done = (err?: Error) => void;

let targets: { fixture: Fixture; list: FixtureAuthorization[] } | null = null;
/** The roomy authorizations, filtered once per worker (100,000 of them in the swarm profile). */
function roomy(): { fixture: Fixture; list: FixtureAuthorization[] } {
  const f = getFixture();
  if (targets?.fixture !== f) targets = { fixture: f, list: roomyTargets(f) };
  return targets;
}

let arrivals = 0;
let tokens = 0;
let reads = 0;

/** First step of every swarm VU: its role, its deadline and, for a writer, its run of authorizations. */
export function takeSwarmRole(context: Context, _events: unknown, done: Done): void {
  const v = context.vars;
  const role = swarmRole(arrivals++, num(v, 'pressureUsers', 1));
  const now = Date.now();
  v.role = role;
  v.isWriter = role === 'writer';
  v.isPressure = role === 'pressure';
  v.deadline = now + num(v, 'runSeconds', 30) * 1000;
  v.pressureFrom = now + num(v, 'pressureAfterSeconds', 10) * 1000;
  if (role === 'writer') v.writer = startWriter(roomy().list.length, Math.random);
  done();
}

/*
 * Artillery runs a loop's body once before it asks whileTrue, so every step of a role's loop is
 * a no-op (function) or skipped (ifTrue: isWriter / isPressure) for the other role.
 */

/** whileTrue of the writer's loop: until the deadline. */
export function writerContinues(context: Context, done: (more: boolean) => void): void {
  done(context.vars.isWriter === true && Date.now() < Number(context.vars.deadline));
}

/** whileTrue of the pressure's loop: until the deadline. */
export function pressureContinues(context: Context, done: (more: boolean) => void): void {
  done(context.vars.isPressure === true && Date.now() < Number(context.vars.deadline));
}

/**
 * The writer's next unit operation: resource, organization, token, operation, units. Where the API
 * has no consume, the writer only reserves; a consume by id takes the reservation just made.
 */
export function nextSwarmWrite(context: Context, _events: unknown, done: Done): void {
  const v = context.vars;
  if (v.isWriter !== true) return done();
  const { fixture, list } = roomy();
  const consumes = getContract().has('consume');
  const r = writerRequest(v.writer as WriterState, list.length, consumes);
  v.writer = r.after;
  const target = list[r.index]!;
  v.resource = target.id;
  v.organization = target.organizationId;
  v.token = tokenFor(fixture, target, tokens++);
  v.operation = r.operation;
  v.units = num(v, 'writeUnits', 2);
  done();
}

/** Seed 000's jitter between a writer's requests: a pause drawn from [jitterMinMs, jitterMaxMs]. */
export function swarmJitter(context: Context, _events: unknown, done: Done): void {
  if (context.vars.isWriter !== true) return done();
  setTimeout(() => done(), jitterMs(num(context.vars, 'jitterMinMs', 100), num(context.vars, 'jitterMaxMs', 500), Math.random));
}

/**
 * The pressure's next expensive read (readUrl, and a token of the organization it reads): it
 * waits until pressureFrom first, so the writers run alone until then. A pressure user that
 * reaches the deadline while waiting sends nothing (isPressure false).
 */
export function nextPressureRead(context: Context, _events: unknown, done: Done): void {
  const v = context.vars;
  if (v.isPressure !== true) return done();
  const wait = Math.max(0, Number(v.pressureFrom) - Date.now());
  setTimeout(() => {
    if (Date.now() >= Number(v.deadline)) {
      v.isPressure = false;
      return done();
    }
    const f = getFixture();
    const r = pressureRead(f, reads++, Date.now(), {
      balancesLimit: num(v, 'balancesLimit', 1000),
      usagePeriod: String(v.usagePeriod ?? 'minute'),
      usageWindowMs: num(v, 'usageWindowMinutes', 60) * 60_000,
    });
    const tokensOf = f.tokensByOrganization[r.organizationId];
    if (!tokensOf || tokensOf.length === 0) return done(new Error(`the fixture has no token for organization ${r.organizationId}`));
    v.readUrl = r.url;
    v.token = tokensOf[reads % tokensOf.length];
    done();
  }, wait);
}

/** The pressure's pause between reads (seed 000: every 2 s). */
export function pressurePause(context: Context, _events: unknown, done: Done): void {
  if (context.vars.isPressure !== true) return done();
  setTimeout(() => done(), num(context.vars, 'pressureEveryMs', 2000));
}

/**
 * One request of the breakpoint mix: isRead, or a write (operation) of 1 unit, on a roomy
 * authorization. A virtual user sends one request, so it holds no reservation to release by id:
 * where the API releases that way (or has no release, or no read), a reserve goes instead.
 */
export function pickBreakpointRequest(context: Context, _events: unknown, done: Done): void {
  const { fixture, list } = roomy();
  const v = context.vars;
  const api = capabilitiesOf(getContract());
  let kind = breakpointRequest(num(v, 'readShare', 0.75), Math.random);
  if (kind === 'read' && !api.has('read')) kind = 'reserve';
  if (kind === 'release' && (!api.has('release') || api.by('release') === 'acquisition')) kind = 'reserve';
  const target = list[Math.floor(Math.random() * list.length)]!;
  v.resource = target.id;
  v.organization = target.organizationId;
  v.token = tokenFor(fixture, target, tokens++);
  v.isRead = kind === 'read';
  v.isWrite = kind !== 'read';
  v.operation = kind === 'read' ? 'reserve' : kind;
  v.units = 1;
  done();
}
