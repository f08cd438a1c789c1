/**
 * Where a run's fixture (the resources the scenarios aim at, and the tokens that may act on them)
 * comes from, and what its tokens are worth:
 *
 *   seeded   the pack seeds its own database before each scenario and writes the fixture;
 *   given    FIXTURE_PATH names a fixture the user wrote;
 *   query    the target description's `fixture.query`, read from the user's database (READ ONLY),
 *            so nobody has to write JSON by hand; tokens from `auth.tokens`, or a login.
 *
 * Every JWT the pack is given is read for its `exp`: a token that would expire during the run is
 * refused before the load (a run whose tail is all 401s proves nothing).
 */
import * as path from 'node:path';
import { pick, fieldPath } from 'artillery-plugin-isolation';
import type { PackConfig } from '../lib/config';
import { PackError } from '../lib/errors';
import { withReadOnly } from '../db/connect';
import { Fixture, FixtureAuthorization, NO_ORGANIZATION, TIERS, Tier, loadFixture, organizationsWithoutTokens, writeFixtureAtomic } from '../seed/fixture';
import type { Target } from '../target/load';

export type FixtureSource = 'seeded' | 'given' | 'query';

/** Which source a run uses: seeding when it may, else the user's fixture, else the target's query, else the last fixture the pack wrote. */
export function fixtureSourceOf(config: Pick<PackConfig, 'fixtureGiven'>, target: Pick<Target, 'description'>, seed: boolean): FixtureSource {
  if (seed) return 'seeded';
  if (config.fixtureGiven || !target.description.fixture) return 'given';
  return 'query';
}

/** The `exp` of a JWT (seconds since the epoch), or null when the token is not a JWT or has none. */
export function jwtExp(token: string): number | null {
  const parts = token.replace(/^Bearer\s+/i, '').split('.');
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : null;
  } catch {
    return null;
  }
}

/** Pure: the earliest moment any token of the run expires (ms), reading each JWT's own exp and the fixture's tokensExpireAt. */
export function tokensExpireAt(
  fixture: Pick<Fixture, 'tokensByOrganization' | 'tokensExpireAt'>,
  extra: readonly string[] = [],
): { at: number; tokens: number } {
  let at = fixture.tokensExpireAt ? Date.parse(fixture.tokensExpireAt) : Infinity;
  let tokens = 0;
  for (const t of [...Object.values(fixture.tokensByOrganization).flat(), ...extra]) {
    const exp = jwtExp(t);
    if (exp === null) continue;
    tokens++;
    at = Math.min(at, exp * 1000);
  }
  return { at, tokens };
}

/** Refuses (LT_TOKEN_EXPIRES) when a token expires before the run would end. */
export function assertTokensLast(
  fixture: Pick<Fixture, 'tokensByOrganization' | 'tokensExpireAt'>,
  extra: readonly string[],
  needsSeconds: number,
  now: number,
): string {
  const { at, tokens } = tokensExpireAt(fixture, extra);
  const left = (at - now) / 1000;
  if (left < needsSeconds)
    throw new PackError(
      'LT_TOKEN_EXPIRES',
      `a token expires in ${Math.round(left)} s, before the run would end (about ${Math.round(needsSeconds)} s): the tail of the run would be answered 401`,
    );
  return Number.isFinite(left)
    ? `tokens: ${tokens} JWT(s) read, the first expires in ${Math.round(left)} s; the run needs about ${Math.round(needsSeconds)} s`
    : `tokens: no expiry known (${tokens} JWT(s) with an exp); the run needs about ${Math.round(needsSeconds)} s`;
}

/** Pure: the fixture of a target's query rows (resource, capacity, and optionally organization, tier, reserved). */
export function fixtureFromRows(
  rows: readonly Record<string, unknown>[],
  tokens: Readonly<Record<string, readonly string[]>>,
  now: Date,
  origin: string,
): Fixture {
  const problems: string[] = [];
  const authorizations: FixtureAuthorization[] = [];
  rows.forEach((r, i) => {
    const id = r.resource === null || r.resource === undefined ? '' : String(r.resource);
    const capacity = Number(r.capacity);
    const tier = (r.tier === undefined || r.tier === null ? 'standard' : String(r.tier)) as Tier;
    const reserved = r.reserved === undefined || r.reserved === null ? 0 : Number(r.reserved);
    if (id === '') problems.push(`row ${i + 1} has no resource`);
    else if (!Number.isInteger(capacity) || capacity <= 0) problems.push(`resource ${id}: capacity ${String(r.capacity)} is not a positive integer`);
    else if (!(TIERS as readonly string[]).includes(tier)) problems.push(`resource ${id}: tier ${tier} is not one of ${TIERS.join(', ')}`);
    else
      authorizations.push({
        id,
        organizationId: r.organization === undefined || r.organization === null ? NO_ORGANIZATION : String(r.organization),
        capacityUnits: capacity,
        tier,
        ...(reserved > 0 ? { preReservedUnits: reserved } : {}),
      });
  });
  if (authorizations.length === 0) problems.push('it returned no resource');
  if (problems.length > 0) throw new PackError('LT_FIXTURE_INVALID', `the fixture query of ${origin}: ${problems.slice(0, 5).join('; ')}`);
  const orgs = [...new Set(authorizations.map((a) => a.organizationId))];
  return {
    version: 1,
    generatedAt: now.toISOString(),
    seed: null,
    seedProfile: null,
    tokensExpireAt: null,
    organizations: orgs.map((id) => ({ id, code: id })),
    authorizations,
    authorizationIds: authorizations.map((a) => a.id),
    highContentionAuthIds: authorizations.filter((a) => a.tier === 'contention').map((a) => a.id),
    practitionerTokens: Object.values(tokens).flat(),
    tokensByOrganization: tokens,
  };
}

/** The target's login request, made once before the load: the token its answer holds. */
export async function login(target: Target, baseUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const a = target.description.auth;
  if (a?.kind !== 'login') throw new Error('the target does not log in');
  const fill = (v: unknown): unknown =>
    typeof v === 'string'
      ? v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => {
          if (env[n] === undefined) throw new PackError('LT_TARGET_INVALID', `${target.file}: auth.request names \${${n}}, which is not set`);
          return env[n]!;
        })
      : Array.isArray(v)
        ? v.map(fill)
        : typeof v === 'object' && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]))
          : v;
  const body = a.request.body === undefined ? undefined : JSON.stringify(fill(a.request.body));
  const res = await fetch(`${baseUrl}${a.request.path}`, {
    method: a.request.method.toUpperCase(),
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...((fill(a.request.headers ?? {}) as Record<string, string>) ?? {}) },
    ...(body ? { body } : {}),
    signal: AbortSignal.timeout(10_000),
  }).catch((err: Error) => {
    throw new PackError('LT_TARGET_UNREACHABLE', `the login request ${a.request.method} ${baseUrl}${a.request.path} got no answer (${err.message})`);
  });
  const text = await res.text();
  if (res.status < 200 || res.status >= 300)
    throw new PackError('LT_TARGET_INVALID', `the login request ${a.request.method} ${a.request.path} answered ${res.status}: ${text.slice(0, 200)}`, {
      hint: 'check the credentials it sends (auth.request in the target description) and their environment variables',
    });
  let token: unknown;
  try {
    token = pick(JSON.parse(text), fieldPath(a.token));
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || token === '')
    throw new PackError('LT_TARGET_INVALID', `the login answer holds no token at ${a.token} (it answered ${text.slice(0, 200)})`);
  return token;
}

/** The tokens the target description gives (auth.tokens, ${ENV} read now), by organization ('*': any). */
export function describedTokens(target: Target, env: NodeJS.ProcessEnv = process.env): Record<string, string[]> {
  const a = target.description.auth;
  if (a?.kind !== 'bearer' || !a.tokens) return {};
  return Object.fromEntries(
    Object.entries(a.tokens).map(([org, list]) => [
      org,
      list.map((t) =>
        t.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => {
          if (env[n] === undefined) throw new PackError('LT_TARGET_INVALID', `${target.file}: auth.tokens names \${${n}}, which is not set`);
          return env[n]!;
        }),
      ),
    ]),
  );
}

/** Reads the target's fixture query from the user's database (READ ONLY). */
export async function fixtureFromQuery(databaseUrl: string, target: Target, tokens: Readonly<Record<string, readonly string[]>>): Promise<Fixture> {
  const query = target.description.fixture!.query;
  const rows = await withReadOnly(databaseUrl, async (c) => {
    try {
      return (await c.query<Record<string, unknown>>(query)).rows;
    } catch (err) {
      throw new PackError('LT_TARGET_INVALID', `the fixture query of ${target.file} failed: ${(err as Error).message}`, { cause: err });
    }
  });
  return fixtureFromRows(rows, tokens, new Date(), target.file);
}

/** A fixture with tokens added (a login's, the description's). */
export function withTokens(f: Fixture, tokens: Readonly<Record<string, readonly string[]>>): Fixture {
  return Object.keys(tokens).length === 0 ? f : { ...f, tokensByOrganization: { ...f.tokensByOrganization, ...tokens } };
}

/** The run's own copy of a fixture the pack built or changed (the user's file stays as it is). */
export function writeRunFixture(runDir: string, f: Fixture): string {
  const file = path.join(runDir, 'fixture.json');
  writeFixtureAtomic(file, f);
  return file;
}

/**
 * The fixture of a run on data the pack does not seed (the user's fixture, or the target's query),
 * with the tokens of a login or of the description; every JWT's exp checked against the run's
 * length (`needsSeconds`). `changed`: it is not the user's file as it is (write the run's own copy).
 */
export async function takeRunFixture(
  config: PackConfig,
  target: Target,
  baseUrl: string,
  databaseUrl: string,
  needsSeconds: number,
): Promise<{ fixture: Fixture; tokens: string; changed: boolean }> {
  const tokens: Record<string, string[]> = describedTokens(target);
  if (target.description.auth?.kind === 'login') tokens['*'] = [await login(target, baseUrl)];
  const source = fixtureSourceOf(config, target, false);
  const fixture = withTokens(source === 'query' ? await fixtureFromQuery(databaseUrl, target, tokens) : loadFixture(config.fixturePath), tokens);
  const missing = target.needsTokens ? organizationsWithoutTokens(fixture) : [];
  if (missing.length > 0)
    throw new PackError(
      'LT_FIXTURE_INVALID',
      `the API takes a token per request, but the fixture has none for organization(s) ${missing.slice(0, 3).join(', ')}`,
      {
        hint: 'add them to tokensByOrganization, or to auth.tokens in the target description ("*" for any organization)',
      },
    );
  return { fixture, tokens: assertTokensLast(fixture, [], needsSeconds, Date.now()), changed: source === 'query' || Object.keys(tokens).length > 0 };
}
