/**
 * A target description: one YAML file that says everything the pack needs to know about an API
 * under test and its database (docs/guides/your-api.md; target/schema.json for editors).
 *
 *   version: 1
 *   name: Booking API
 *   baseUrl: http://127.0.0.1:4000     # LOADTEST_TARGET overrides it
 *   health: /healthz                   # GET, 200 when ready; null: none
 *   auth: { kind: header, header: X-Api-Key, value: "${BOOKING_API_KEY}" }
 *   api: { operations: {...}, ... }    # the contract (plugin/src/contract.ts)
 *   database:
 *     capacity: SELECT id AS resource, seats AS capacity FROM events
 *     ledger:   SELECT ... AS resource, ... AS kind, ... AS units, ... AS ref, ... AS key, ... AS at
 *   fixture:
 *     query: SELECT id AS resource, org_id AS organization, seats AS capacity, tier FROM events
 *
 * This file is the one declaration of its shape, and validates it with every problem named at
 * once. Pure: target/load.ts reads the file.
 */
import { ContractSpec, OperationKind, WRITE_KINDS, contractProblems } from 'artillery-plugin-isolation';
import { TIERS } from '../seed/fixture';

export const AUTH_KINDS = ['none', 'header', 'bearer', 'login'] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

/**
 * How requests are authenticated:
 *   none    nothing is sent;
 *   header  a static header (its value may name ${ENV_VAR}, read when the run starts);
 *   bearer  per-organization tokens (the fixture's tokensByOrganization, or `tokens` here),
 *           sent as `<header>: <scheme> <token>`;
 *   login   a request made once before the load, whose answer holds the token.
 */
export type AuthSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'header'; readonly header: string; readonly value: string }
  | { readonly kind: 'bearer'; readonly header?: string; readonly scheme?: string; readonly tokens?: Readonly<Record<string, readonly string[]>> }
  | {
      readonly kind: 'login';
      readonly request: { readonly method: string; readonly path: string; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> };
      /** Where the answer holds the token. */
      readonly token: string;
      readonly header?: string;
      readonly scheme?: string;
    };

/** The ledger kinds the `ledger` query names, one per unit operation (contract.ts WRITE_KINDS). */
export const LEDGER_KINDS = WRITE_KINDS;

/**
 * The database side: a few read-only SELECTs against the API's own schema, from which the pack
 * builds the integrity check, the ledger replay and the reconciliation; or, for schemas these
 * cannot express, `sql:` a folder with the four adapted SQL files (verify/*.sql).
 */
export interface DatabaseSpec {
  /** Escape hatch: a folder (relative to the target file) with verify-integrity.sql, ledger-keys.sql, balances.sql and ledger-order.sql. */
  readonly sql?: string;
  /** One row per resource: resource, capacity (its capacity now). */
  readonly capacity?: string;
  /** One row per ledger entry: resource, kind (reserve | release | consume | take_out), units, ref, key, at. */
  readonly ledger?: string;
  /** Optional: the balance the API stores per resource (resource, reserved, consumed), checked against the ledger's sums. */
  readonly balances?: string;
  /**
   * `at` (the default): the ledger's `at` column is the order the database applied the rows.
   * `none`: the ledger has no such order; every moment is then judged by the clients' real-time
   * order (verify/realtime.ts), which finds violations but cannot rule out a short one, so a run
   * with releases is UNKNOWN. `realtime`: the same check, accepted as enough for a GO.
   */
  readonly order?: 'at' | 'none' | 'realtime';
}

/** Where the scenarios' fixture comes from when the pack does not seed: a read-only query. */
export interface FixtureSpec {
  /** resource, capacity, and optionally organization, tier, reserved. */
  readonly query: string;
}

export interface TargetDescription {
  readonly version: 1;
  readonly name: string;
  readonly baseUrl?: string;
  readonly health?: string | null;
  readonly auth?: AuthSpec;
  readonly api: ContractSpec;
  readonly database?: DatabaseSpec;
  readonly fixture?: FixtureSpec;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKeys(o: Record<string, unknown>, known: readonly string[], where: string, p: string[]): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) p.push(`${where}.${k} is not a known field (known: ${known.join(', ')})`);
}

const isSelect = (v: unknown): boolean => typeof v === 'string' && /^\s*(with|select|table|values|\()/i.test(v) && !/;\s*\S/.test(v.replace(/;\s*$/, ''));

function authProblems(a: unknown, p: string[]): void {
  if (!isObject(a) || !(AUTH_KINDS as readonly unknown[]).includes(a.kind)) {
    p.push(`auth.kind must be one of ${AUTH_KINDS.join(', ')}`);
    return;
  }
  const header = (v: unknown, at: string): void => {
    if (v !== undefined && (typeof v !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(v))) p.push(`${at} must be a header name`);
  };
  switch (a.kind) {
    case 'none':
      unknownKeys(a, ['kind'], 'auth', p);
      break;
    case 'header':
      unknownKeys(a, ['kind', 'header', 'value'], 'auth', p);
      header(a.header, 'auth.header');
      if (typeof a.header !== 'string') p.push('auth.header must name the header (e.g. X-Api-Key)');
      if (typeof a.value !== 'string' || a.value === '') p.push('auth.value must be the header\'s value (e.g. "${MY_API_KEY}", read from the environment)');
      break;
    case 'bearer':
      unknownKeys(a, ['kind', 'header', 'scheme', 'tokens'], 'auth', p);
      header(a.header, 'auth.header');
      if (a.scheme !== undefined && typeof a.scheme !== 'string') p.push('auth.scheme must be a text such as Bearer');
      if (a.tokens !== undefined) {
        if (!isObject(a.tokens)) p.push('auth.tokens must map organization ids (or "*") to lists of tokens');
        else
          for (const [org, list] of Object.entries(a.tokens))
            if (!Array.isArray(list) || list.length === 0 || !list.every((t) => typeof t === 'string' && t !== ''))
              p.push(`auth.tokens.${org} must be a non-empty list of tokens`);
      }
      break;
    case 'login': {
      unknownKeys(a, ['kind', 'request', 'token', 'header', 'scheme'], 'auth', p);
      header(a.header, 'auth.header');
      const r = a.request;
      if (!isObject(r) || typeof r.method !== 'string' || typeof r.path !== 'string' || !r.path.startsWith('/'))
        p.push('auth.request must be { method, path, body? }: the login request');
      else unknownKeys(r, ['method', 'path', 'body', 'headers'], 'auth.request', p);
      if (typeof a.token !== 'string' || a.token === '') p.push('auth.token must say where the login answer holds the token (e.g. accessToken)');
      break;
    }
  }
}

function databaseProblems(d: unknown, p: string[]): void {
  if (!isObject(d)) {
    p.push('database must be a mapping: capacity and ledger queries, or sql: a folder of adapted SQL files');
    return;
  }
  unknownKeys(d, ['sql', 'capacity', 'ledger', 'balances', 'order'], 'database', p);
  if (d.sql !== undefined) {
    if (typeof d.sql !== 'string' || d.sql === '') p.push('database.sql must be a folder (relative to this file)');
    for (const k of ['capacity', 'ledger', 'balances'])
      if (d[k] !== undefined) p.push(`database.${k} and database.sql exclude each other: the folder's SQL files say everything`);
  } else {
    for (const k of ['capacity', 'ledger'] as const)
      if (!isSelect(d[k]))
        p.push(
          `database.${k} must be one read-only SELECT${k === 'capacity' ? ' (columns: resource, capacity)' : ' (columns: resource, kind, units, ref, key, at)'}`,
        );
    if (d.balances !== undefined && !isSelect(d.balances)) p.push('database.balances must be one read-only SELECT (columns: resource, reserved, consumed)');
  }
  if (d.order !== undefined && d.order !== 'at' && d.order !== 'none' && d.order !== 'realtime')
    p.push(
      "database.order must be at (the ledger's at column is its commit order), none, or realtime (no order: judge moments by the clients' real time, and accept it)",
    );
}

/** Every problem of a parsed target description, each naming its field; an empty list when it is valid. */
export function targetProblems(raw: unknown): string[] {
  const p: string[] = [];
  if (!isObject(raw)) return ['it is not a mapping (version, name, api, …)'];
  unknownKeys(raw, ['version', 'name', 'baseUrl', 'health', 'auth', 'api', 'database', 'fixture', '$schema'], '(top level)', p);
  if (raw.version !== 1) p.push('version must be 1');
  if (typeof raw.name !== 'string' || raw.name.trim() === '') p.push('name must be a text naming the API');
  if (raw.baseUrl !== undefined) {
    try {
      const u = new URL(String(raw.baseUrl));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    } catch {
      p.push('baseUrl must be an http:// or https:// URL');
    }
  }
  if (raw.health !== undefined && raw.health !== null && (typeof raw.health !== 'string' || !raw.health.startsWith('/')))
    p.push('health must be a path (GET, answered 200 when the API is ready), or null for none');
  if (raw.auth !== undefined) authProblems(raw.auth, p);
  p.push(...contractProblems(raw.api, 'api'));
  if (isObject(raw.api) && isObject(raw.api.headers) && isObject(raw.auth))
    for (const h of Object.keys(raw.api.headers))
      if (['bearer', 'login', 'header'].includes(String(raw.auth.kind)) && h.toLowerCase() === authHeader(raw.auth as AuthSpec)?.toLowerCase())
        p.push(`api.headers.${h} is the authentication header: say it once, in auth`);
  if (raw.database !== undefined) databaseProblems(raw.database, p);
  if (raw.fixture !== undefined) {
    if (!isObject(raw.fixture) || !isSelect(raw.fixture.query))
      p.push(`fixture.query must be one read-only SELECT (columns: resource, capacity; optional organization, tier (${TIERS.join(', ')}), reserved)`);
    else unknownKeys(raw.fixture, ['query'], 'fixture', p);
  }
  return p;
}

/** The header authentication travels in, or null. */
export function authHeader(a: AuthSpec | undefined): string | null {
  if (!a || a.kind === 'none') return null;
  if (a.kind === 'header') return a.header;
  return a.header ?? 'Authorization';
}

/**
 * The contract the plugin receives: the `api:` block with authentication added as a header of
 * every request (`{token}` is filled per virtual user from the fixture's tokens).
 */
export function wireContract(t: Pick<TargetDescription, 'api' | 'auth'>): ContractSpec {
  const a = t.auth ?? { kind: 'bearer' as const };
  const headers: Record<string, string> = { ...(t.api.headers ?? {}) };
  if (a.kind === 'header') headers[a.header] = a.value;
  else if (a.kind === 'bearer' || a.kind === 'login') headers[authHeader(a)!] = `${a.scheme ?? 'Bearer'} {token}`;
  return { ...t.api, headers };
}

/** Whether requests carry a per-virtual-user token (bearer or login), so the fixture must hold tokens. */
export function needsTokens(t: Pick<TargetDescription, 'auth'>): boolean {
  const kind = t.auth?.kind ?? 'bearer';
  return kind === 'bearer' || kind === 'login';
}

/** The operations of the API under test, in the pack's order. */
export function operationsOf(t: Pick<TargetDescription, 'api'>): OperationKind[] {
  return Object.keys(t.api.operations) as OperationKind[];
}
