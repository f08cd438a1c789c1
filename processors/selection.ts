/**
 * Pure choices a virtual user makes: which authorization, which token, which wave. No I/O, no
 * clock of its own (time is passed in), so unit tests pin every decision.
 */
import type { Fixture, FixtureAuthorization } from '../seed/fixture';

/**
 * Groups arrivals into waves: an arrival more than `gapMs` after the previous one starts a new
 * wave. Each Artillery worker sees every phase (arrivals are split across workers, pauses are
 * not), so every worker counts the same waves without talking to the others.
 */
export class WaveTracker {
  private wave = -1;
  private last = -Infinity;
  private start = 0;

  constructor(private readonly gapMs: number) {}

  arrive(now: number): { wave: number; waveStart: number } {
    if (now - this.last > this.gapMs) {
      this.wave++;
      this.start = now;
    }
    this.last = now;
    return { wave: this.wave, waveStart: this.start };
  }
}

export function contentionTargets(f: Fixture): FixtureAuthorization[] {
  return f.authorizations.filter((a) => a.tier === 'contention');
}

/** The authorization wave n fires at: the targets in turn. */
export function targetForWave(targets: readonly FixtureAuthorization[], wave: number): FixtureAuthorization {
  if (targets.length === 0) throw new Error('the fixture has no contention targets');
  return targets[wave % targets.length]!;
}

/** A token that may act on the authorization (same organization), rotating over practitioners. */
export function tokenFor(f: Fixture, a: FixtureAuthorization, n: number): string {
  const tokens = f.tokensByOrganization[a.organizationId];
  if (!tokens || tokens.length === 0) throw new Error(`the fixture has no token for organization ${a.organizationId}`);
  return tokens[n % tokens.length]!;
}

/** How long a VU waits so that every VU of its wave fires at the same instant. */
export function barrierDelay(now: number, waveStart: number, barrierMs: number): number {
  return Math.max(0, waveStart + barrierMs - now);
}

/** Authorizations outside the contention targets and the shared hot spot, with room (scenario 2). */
export function spreadTargets(f: Fixture): FixtureAuthorization[] {
  return f.authorizations.filter((a) => a.tier === 'standard' || a.tier === 'bulk');
}

/** The spread authorizations of scenario 3: those with room and those waitlisted (full on purpose). */
export function mixedSpreadTargets(f: Fixture): FixtureAuthorization[] {
  return f.authorizations.filter((a) => a.tier === 'standard' || a.tier === 'bulk' || a.tier === 'waitlisted');
}

export function sharedTarget(f: Fixture): FixtureAuthorization | null {
  return f.authorizations.find((a) => a.tier === 'shared') ?? null;
}

export function pickUniform<T>(items: readonly T[], rng: () => number): T {
  if (items.length === 0) throw new Error('nothing to pick from');
  return items[Math.min(items.length - 1, Math.floor(rng() * items.length))]!;
}

export type MixedOperation = 'reserve' | 'release' | 'consume';

export interface MixWeights {
  /** Share of requests aimed at the one shared authorization (the plan: 0.2). */
  readonly sharedShare: number;
  /** Operation weights (the plan: 70 / 20 / 10). */
  readonly reserve: number;
  readonly release: number;
  readonly consume: number;
  /** Units per operation (the plan: reserve 5, release 5, consume 3). */
  readonly reserveUnits: number;
  readonly releaseUnits: number;
  readonly consumeUnits: number;
}

export const PLAN_MIX: MixWeights = { sharedShare: 0.2, reserve: 70, release: 20, consume: 10, reserveUnits: 5, releaseUnits: 5, consumeUnits: 3 };

/** Scenario 3: one request of the 70/20/10 mix, 80 % spread and 20 % on the shared authorization. */
export function pickMixed(f: Fixture, mix: MixWeights, rng: () => number): { target: FixtureAuthorization; operation: MixedOperation; units: number } {
  const shared = sharedTarget(f);
  const target = shared && rng() < mix.sharedShare ? shared : pickUniform(mixedSpreadTargets(f), rng);
  const total = mix.reserve + mix.release + mix.consume;
  const r = rng() * total;
  const operation: MixedOperation = r < mix.reserve ? 'reserve' : r < mix.reserve + mix.release ? 'release' : 'consume';
  const units = operation === 'reserve' ? mix.reserveUnits : operation === 'release' ? mix.releaseUnits : mix.consumeUnits;
  return { target, operation, units };
}

/**
 * Whether a request is sent a second time with the same Idempotency-Key, as a client does after a
 * timeout: a share `share` (0..1) of requests. The API must answer the resend with the first
 * outcome (a replay), never apply it twice.
 */
export function shouldResend(share: number, rng: () => number): boolean {
  return share > 0 && rng() < share;
}
