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
