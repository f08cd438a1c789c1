/**
 * Pure choices of the swarm and pressure (load-test:swarm) and of the breakpoint mix
 * (load-test:breakpoint): who is a writer, which authorization a writer works on next, the reads
 * the pressure sends, and one request of the breakpoint mix. No I/O and no clock of their own.
 */
import type { Fixture, FixtureAuthorization } from '../seed/fixture';

export type SwarmRole = 'writer' | 'pressure';

/** The first `pressureUsers` arrivals of an Artillery worker read under pressure; the rest write. */
export function swarmRole(arrival: number, pressureUsers: number): SwarmRole {
  return arrival < pressureUsers ? 'pressure' : 'writer';
}

/**
 * A writer's next request. It works through its own run of authorizations from a random start:
 * on each, it reserves `units` and then consumes them, and moves to the next.
 */
export interface WriterState {
  readonly next: number;
  readonly step: 'reserve' | 'consume';
}

export function startWriter(targets: number, rng: () => number): WriterState {
  if (targets === 0) throw new Error('the fixture has no authorizations with room (seed profile "swarm")');
  return { next: Math.floor(rng() * targets), step: 'reserve' };
}

export function writerRequest(s: WriterState, targets: number, consumes = true): { index: number; operation: 'reserve' | 'consume'; after: WriterState } {
  const index = s.next % targets;
  if (!consumes) return { index, operation: 'reserve', after: { next: (s.next + 1) % targets, step: 'reserve' } };
  return s.step === 'reserve'
    ? { index, operation: 'reserve', after: { next: s.next, step: 'consume' } }
    : { index, operation: 'consume', after: { next: (s.next + 1) % targets, step: 'reserve' } };
}

/** A pause drawn uniformly from [minMs, maxMs] (seed 000: 100-500 ms of jitter). */
export function jitterMs(minMs: number, maxMs: number, rng: () => number): number {
  return Math.round(minMs + rng() * Math.max(0, maxMs - minMs));
}

/** The pressure's n-th read: balances and the usage aggregate in turn, over the organizations in turn. */
export function pressureRead(
  f: Fixture,
  n: number,
  now: number,
  opts: { balancesLimit: number; usagePeriod: string; usageWindowMs: number },
): {
  url: string;
  organizationId: string;
  read: 'balances' | 'usage';
} {
  if (f.organizations.length === 0) throw new Error('the fixture has no organizations');
  const org = f.organizations[Math.floor(n / 2) % f.organizations.length]!;
  const base = `/api/organizations/${encodeURIComponent(org.id)}`;
  if (n % 2 === 0) return { url: `${base}/balances?limit=${opts.balancesLimit}`, organizationId: org.id, read: 'balances' };
  const from = new Date(now - opts.usageWindowMs).toISOString();
  const to = new Date(now + 60_000).toISOString();
  return { url: `${base}/usage?period=${encodeURIComponent(opts.usagePeriod)}&from=${from}&to=${to}`, organizationId: org.id, read: 'usage' };
}

/** Authorizations with room for the swarm's and the breakpoint's writes (the bulk tier). */
export function roomyTargets(f: Fixture): FixtureAuthorization[] {
  return f.authorizations.filter((a) => a.tier === 'bulk' || a.tier === 'standard');
}

export type BreakpointRequest = 'read' | 'reserve' | 'release';

/**
 * One request of the breakpoint mix (seed 001's 75 % reads): a read with probability readShare,
 * else a write, reserve and release in equal parts (each of 1 unit, on authorizations that start
 * with units reserved, so a release never lacks units to release).
 */
export function breakpointRequest(readShare: number, rng: () => number): BreakpointRequest {
  const r = rng();
  if (r < readShare) return 'read';
  return r < readShare + (1 - readShare) / 2 ? 'reserve' : 'release';
}
