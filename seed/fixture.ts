/**
 * fixtures/test-data.json: what the scenarios need to address the API under test. Written by the
 * seeder (atomically), read by processors and the runner. A user aiming the pack at their own API
 * writes the same format by hand (docs/reference/file-formats.md).
 */
import * as fs from 'node:fs';
import { PackError } from '../lib/errors';
import { writeJsonAtomic } from '../lib/atomic';

/**
 * What an authorization is for: `contention` (scenario 1's 50-unit targets), `standard` and `bulk`
 * (the spread authorizations of scenarios 2 and 3), `waitlisted` (spread authorizations that start
 * full on purpose: scenario 3's steady refusals, kept out of scenario 2), `shared` (scenario 3's
 * hot spot), `ladder` (the ladder's stocks).
 */
export const TIERS = ['contention', 'standard', 'bulk', 'waitlisted', 'shared', 'ladder'] as const;
export type Tier = (typeof TIERS)[number];

/** The organization of every resource of an API that has none (a fixture query without an organization column). */
export const NO_ORGANIZATION = 'default';

export interface FixtureAuthorization {
  readonly id: string;
  readonly organizationId: string;
  readonly capacityUnits: number;
  readonly tier: Tier;
  /** Units already reserved when the scenario starts (0 when absent). */
  readonly preReservedUnits?: number;
}

export interface Fixture {
  readonly version: 1;
  readonly generatedAt: string;
  readonly seed: number | null;
  /** Which seed profile built the data (seed/plan.ts), or null for a hand-written fixture. */
  readonly seedProfile?: string | null;
  readonly tokensExpireAt: string | null;
  readonly organizations: readonly { id: string; code: string }[];
  readonly authorizations: readonly FixtureAuthorization[];
  /** Every authorization ID (the plan's field). */
  readonly authorizationIds: readonly string[];
  /** The 50-unit contention targets (the plan's field). */
  readonly highContentionAuthIds: readonly string[];
  /** Every practitioner token (the plan's field). */
  readonly practitionerTokens: readonly string[];
  /** Tokens that may act on an organization's authorizations ("*": on any organization's). */
  readonly tokensByOrganization: Readonly<Record<string, readonly string[]>>;
}

export function writeFixtureAtomic(file: string, fixture: Fixture): void {
  writeJsonAtomic(file, fixture, { mode: 0o600 });
}

/** Every problem of a fixture, or an empty list. */
export function fixtureProblems(value: unknown): string[] {
  const p: string[] = [];
  const f = value as Partial<Fixture>;
  if (typeof f !== 'object' || f === null) return ['it is not a JSON object'];
  if (f.version !== 1) p.push('version must be 1');
  if (!Array.isArray(f.authorizations) || f.authorizations.length === 0) p.push('authorizations must be a non-empty array');
  if (typeof f.tokensByOrganization !== 'object' || f.tokensByOrganization === null) p.push('tokensByOrganization must be an object');
  if (p.length > 0) return p;
  const tiers = new Set<string>(TIERS);
  f.authorizations!.forEach((a, i) => {
    if (typeof a?.id !== 'string' || typeof a.organizationId !== 'string') p.push(`authorizations[${i}] needs string id and organizationId`);
    else if (!Number.isInteger(a.capacityUnits) || a.capacityUnits <= 0) p.push(`authorizations[${i}].capacityUnits must be a positive integer`);
    else if (!tiers.has(a.tier)) p.push(`authorizations[${i}].tier must be one of ${TIERS.join(', ')}`);
  });
  return p.slice(0, 5);
}

/**
 * Every organization of the fixture with no token (its own or one for every organization under
 * "*"): where the API under test takes a per-user token, its requests would go unauthenticated.
 */
export function organizationsWithoutTokens(f: Pick<Fixture, 'authorizations' | 'tokensByOrganization'>): string[] {
  if (f.tokensByOrganization['*']?.length) return [];
  return [...new Set(f.authorizations.map((a) => a.organizationId))].filter((org) => !f.tokensByOrganization[org]?.length);
}

export function loadFixture(file: string): Fixture {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new PackError('LT_FIXTURE_MISSING', `no fixture at ${file}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PackError('LT_FIXTURE_INVALID', `${file} is not valid JSON (${(err as Error).message})`);
  }
  const problems = fixtureProblems(value);
  if (problems.length > 0) throw new PackError('LT_FIXTURE_INVALID', `${file}: ${problems.join('; ')}`);
  return value as Fixture;
}

/** Seconds until the fixture's tokens expire (Infinity when unknown). */
export function secondsUntilTokensExpire(f: Fixture, now: number = Date.now()): number {
  return f.tokensExpireAt ? (Date.parse(f.tokensExpireAt) - now) / 1000 : Infinity;
}
