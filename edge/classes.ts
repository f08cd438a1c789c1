/**
 * The bad-input classes of `load-test:edge`: one entry each, with the request it sends (as raw
 * bytes, malformed ones included) and the answer the API contract requires (docs/guides/bad-input-and-faults.md).
 * Pure: the catalog, the request builder and the judge. Add a class here; the scenario, the
 * counters, the report and the README table all follow from this list.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { OperationKind } from 'artillery-plugin-isolation';
import type { RequestShape } from './shape';

export const GROUPS = ['token', 'body', 'route', 'key', 'transport', 'impossible'] as const;
export type Group = (typeof GROUPS)[number];

/** What one VU knows when it sends the classes. */
export interface EdgeContext {
  readonly host: string;
  /** How the API under test spells a good request (its contract): the classes change one part of it. */
  readonly shape: RequestShape;
  /** The VU's authorization, on which `primedKey` reserved 1 unit (a 200) before the classes. */
  readonly authorizationId: string;
  /** Another authorization of the same organization. */
  readonly sameOrgAuthorizationId: string;
  /** A token of the authorization's organization, and one of another organization. */
  readonly token: string;
  readonly otherOrgToken: string;
  /** The HS256 signing secret, when known (the reference API's; JWT_SECRET_FILE): classes that need a validly signed bad token are skipped without it. */
  readonly secret: string | null;
  readonly primedKey: string;
  readonly primedUnits: number;
  /** The API's body limit (bytes): "over" is one byte more, "far over" a thousand times more (at least 8 MiB). */
  readonly bodyLimitBytes: number;
}

export interface Expected {
  readonly status: readonly number[];
  /** The `reason` of the JSON body; null: not checked (an answer from the HTTP layer, before the API's code). */
  readonly reason: readonly string[] | null;
}

/** What a class needs of the API under test; without it the class is skipped, and the row says why. */
export type Need = 'bearer' | 'keys' | 'units' | 'release-by-units' | 'consume-by-units' | 'reused';

export interface EdgeClass {
  readonly name: string;
  readonly group: Group;
  readonly what: string;
  /** The reference API's answer (docs/guides/bad-input-and-faults.md); another API is judged by its contract's statuses (expectedFor). */
  readonly expect: Expected;
  readonly needsSecret?: boolean;
  readonly needs?: readonly Need[];
  /** A strictness of the reference contract (its key format, its token claims, unknown fields refused) that other APIs need not share. */
  readonly referenceOnly?: boolean;
  /** End the writing side after the request (a client that sends nothing more). */
  readonly halfClose?: boolean;
  build(ctx: EdgeContext): Buffer;
}

// --- building requests ----------------------------------------------------------------------

interface Req {
  method?: string;
  path: string;
  headers?: readonly (readonly [string, string])[];
  /** The body; Content-Length is added unless `headers` has one or a Transfer-Encoding. */
  body?: string | Buffer;
}

/** Pure: the bytes of an HTTP/1.1 request, exactly as given (no header is checked or repaired). */
export function rawRequest(host: string, r: Req): Buffer {
  const headers = [['Host', host] as const, ['Connection', 'close'] as const, ...(r.headers ?? [])];
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
  const named = (n: string) => headers.some(([k]) => k.toLowerCase() === n);
  if (r.body !== undefined && !named('content-length') && !named('transfer-encoding')) headers.push(['Content-Length', String(body.length)]);
  const head = `${r.method ?? 'POST'} ${r.path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

/** Pure: a JWT from its parts; `key` null leaves the signature empty (alg none). */
export function jwtOf(header: object, claims: object, key: string | null): string {
  const signing = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${signing}.${key === null ? '' : createHmac('sha256', key).update(signing).digest('base64url')}`;
}

/** The claims of a token (unverified), to forge variants of a valid one. */
export function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const now = (): number => Math.floor(Date.now() / 1000);
/** The path of an operation on a resource, as the API under test spells it. */
const unitPath = (c: EdgeContext, id: string, op: OperationKind = 'reserve'): string => c.shape.path(op, id);
const fresh = (): string => `lt-edge-${randomUUID()}`;
/** A good request's headers: the token where the API takes one, JSON, a fresh key where it takes keys; then `extra`. */
const json = (c: EdgeContext, extra: readonly (readonly [string, string])[] = [], token = c.token): (readonly [string, string])[] => [
  ...(c.shape.authHeader ? [[c.shape.authHeader, c.shape.authValue(token)] as const] : []),
  ['Content-Type', 'application/json'],
  ...(c.shape.keyHeader ? [[c.shape.keyHeader, fresh()] as const] : []),
  ...extra,
];
/** A good reserve's body (units 1), or with these units (a raw JSON literal) and extra members. */
const good = (c: EdgeContext, units = '1', extra?: string): string => c.shape.body('reserve', units, extra) ?? '';
const unitsBody =
  (units: string) =>
  (c: EdgeContext): string =>
    good(c, units);

/** A unit request on the VU's authorization with a valid token and this body. */
const withBody =
  (body: string | ((ctx: EdgeContext) => string | Buffer), headers?: (ctx: EdgeContext) => (readonly [string, string])[]) =>
  (ctx: EdgeContext): Buffer =>
    rawRequest(ctx.host, {
      method: ctx.shape.method('reserve'),
      path: unitPath(ctx, ctx.authorizationId),
      headers: headers ? headers(ctx) : json(ctx),
      body: typeof body === 'string' ? body : body(ctx),
    });

/** A unit request on the VU's authorization with this value in the authentication header (or none). */
const withAuthorization =
  (value: (ctx: EdgeContext) => string | null) =>
  (ctx: EdgeContext): Buffer => {
    const v = value(ctx);
    return rawRequest(ctx.host, {
      method: ctx.shape.method('reserve'),
      path: unitPath(ctx, ctx.authorizationId),
      headers: [
        ...(v === null || !ctx.shape.authHeader ? [] : [[ctx.shape.authHeader, v] as const]),
        ['Content-Type', 'application/json'],
        ...(ctx.shape.keyHeader ? [[ctx.shape.keyHeader, fresh()] as const] : []),
      ],
      body: good(ctx),
    });
  };

/** The headers of a request under the primed key (sent by `token`). */
const primedHeaders = (c: EdgeContext, token = c.token): (readonly [string, string])[] => [
  ...(c.shape.authHeader ? [[c.shape.authHeader, c.shape.authValue(token)] as const] : []),
  ['Content-Type', 'application/json'],
  [c.shape.keyHeader!, c.primedKey],
];

/** A validly signed token whose claims are the VU's, changed. */
const signed = (ctx: EdgeContext, change: (c: Record<string, unknown>) => Record<string, unknown>): string =>
  `Bearer ${jwtOf({ alg: 'HS256', typ: 'JWT' }, change({ ...claimsOf(ctx.token) }), ctx.secret ?? 'no-secret')}`;

const without = (c: Record<string, unknown>, k: string): Record<string, unknown> => {
  const { [k]: _gone, ...rest } = c;
  return rest;
};

const E = (status: number | number[], reason: string | string[] | null): Expected => ({
  status: Array.isArray(status) ? status : [status],
  reason: reason === null ? null : Array.isArray(reason) ? reason : [reason],
});

// --- the catalog ----------------------------------------------------------------------------

export const EDGE_CLASSES: readonly EdgeClass[] = [
  // Tokens
  {
    name: 'token_missing',
    needs: ['bearer'],
    group: 'token',
    what: 'no Authorization header',
    expect: E(401, 'missing_token'),
    build: withAuthorization(() => null),
  },
  {
    name: 'token_empty',
    needs: ['bearer'],
    group: 'token',
    what: 'an empty Authorization header',
    expect: E(401, 'missing_token'),
    build: withAuthorization(() => ''),
  },
  {
    name: 'token_other_scheme',
    needs: ['bearer'],
    group: 'token',
    what: 'Basic instead of Bearer',
    expect: E(401, 'missing_token'),
    build: withAuthorization(() => 'Basic dXNlcjpwYXNz'),
  },
  {
    name: 'token_garbage',
    needs: ['bearer'],
    group: 'token',
    what: 'a Bearer value that is not a JWT',
    expect: E(401, 'invalid_token'),
    build: withAuthorization(() => 'Bearer not.a-jwt'),
  },
  {
    name: 'token_alg_none',
    needs: ['bearer'],
    group: 'token',
    what: 'alg "none", no signature',
    expect: E(401, 'invalid_token'),
    build: withAuthorization((c) => `Bearer ${jwtOf({ alg: 'none', typ: 'JWT' }, claimsOf(c.token), null)}`),
  },
  {
    name: 'token_rs256_header',
    needs: ['bearer'],
    group: 'token',
    what: 'an RS256 header on an HS256 signature',
    expect: E(401, 'invalid_token'),
    build: withAuthorization((c) => `Bearer ${jwtOf({ alg: 'RS256', typ: 'JWT' }, claimsOf(c.token), c.secret ?? 'x')}`),
  },
  {
    name: 'token_wrong_secret',
    needs: ['bearer'],
    group: 'token',
    what: 'signed with another secret',
    expect: E(401, 'invalid_token'),
    build: withAuthorization((c) => `Bearer ${jwtOf({ alg: 'HS256', typ: 'JWT' }, claimsOf(c.token), 'not-the-secret-' + randomUUID())}`),
  },
  {
    name: 'token_tampered',
    needs: ['bearer'],
    group: 'token',
    what: "a valid token's claims changed, its signature kept",
    expect: E(401, 'invalid_token'),
    build: withAuthorization((c) => {
      const [h, , s] = c.token.split('.');
      return `Bearer ${h}.${b64url(JSON.stringify({ ...claimsOf(c.token), org: randomUUID() }))}.${s}`;
    }),
  },
  {
    name: 'token_expired',
    needs: ['bearer'],
    group: 'token',
    what: 'exp an hour ago',
    expect: E(401, 'token_expired'),
    needsSecret: true,
    build: withAuthorization((c) => signed(c, (x) => ({ ...x, iat: now() - 7200, exp: now() - 3600 }))),
  },
  {
    name: 'token_not_yet_valid',
    needs: ['bearer'],
    group: 'token',
    what: 'nbf an hour ahead',
    expect: E(401, 'invalid_token'),
    needsSecret: true,
    build: withAuthorization((c) => signed(c, (x) => ({ ...x, nbf: now() + 3600 }))),
  },
  {
    name: 'token_without_exp',
    needs: ['bearer'],
    referenceOnly: true,
    group: 'token',
    what: 'no exp claim (valid forever)',
    expect: E(401, 'invalid_token'),
    needsSecret: true,
    build: withAuthorization((c) => signed(c, (x) => without(x, 'exp'))),
  },
  {
    name: 'token_without_org',
    needs: ['bearer'],
    referenceOnly: true,
    group: 'token',
    what: 'no org claim',
    expect: E(401, 'invalid_token'),
    needsSecret: true,
    build: withAuthorization((c) => signed(c, (x) => without(x, 'org'))),
  },
  {
    name: 'token_org_wrong_type',
    needs: ['bearer'],
    referenceOnly: true,
    group: 'token',
    what: 'org is a number',
    expect: E(401, 'invalid_token'),
    needsSecret: true,
    build: withAuthorization((c) => signed(c, (x) => ({ ...x, org: 12345 }))),
  },
  {
    name: 'token_sub_not_an_id',
    needs: ['bearer'],
    referenceOnly: true,
    group: 'token',
    what: 'sub is not a UUID',
    expect: E(401, 'invalid_token'),
    needsSecret: true,
    build: withAuthorization((c) => signed(c, (x) => ({ ...x, sub: "1' OR '1'='1" }))),
  },
  {
    name: 'token_other_organization',
    needs: ['bearer'],
    referenceOnly: true,
    group: 'token',
    what: "another organization's valid token on this authorization",
    expect: E(403, 'other_organization'),
    build: withAuthorization((c) => `Bearer ${c.otherOrgToken}`),
  },
  {
    name: 'token_oversized_header',
    needs: ['bearer'],
    group: 'token',
    what: 'a 20 KiB Authorization header',
    expect: E([431, 400], null),
    build: withAuthorization(() => `Bearer ${'a'.repeat(20 * 1024)}`),
  },

  // Bodies
  {
    name: 'body_malformed_json',
    group: 'body',
    what: 'JSON cut short',
    expect: E(400, 'invalid_json'),
    build: withBody((c) => {
      const g = good(c) || '{"units":1}';
      return g.slice(0, Math.max(1, g.length - 2));
    }),
  },
  {
    name: 'body_wrong_content_type',
    group: 'body',
    what: 'Content-Type text/plain',
    expect: E(415, 'unsupported_media_type'),
    build: withBody(
      (c) => good(c),
      (c) => json(c).map(([k, v]) => (k === 'Content-Type' ? ([k, 'text/plain'] as const) : ([k, v] as const))),
    ),
  },
  {
    name: 'body_empty',
    group: 'body',
    what: 'Content-Type JSON, no body',
    expect: E(400, ['empty_body', 'invalid_json', 'invalid_body']),
    build: withBody(''),
  },
  { name: 'body_not_an_object', group: 'body', what: 'a JSON array', expect: E(400, 'invalid_body'), build: withBody('[1]') },
  { name: 'body_null', group: 'body', what: 'JSON null', expect: E(400, ['invalid_body', 'invalid_json']), build: withBody('null') },
  {
    name: 'body_invalid_utf8',
    group: 'body',
    what: 'bytes that are not UTF-8',
    expect: E(400, ['invalid_json', 'invalid_body']),
    build: withBody(() => Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
  },
  { name: 'units_zero', needs: ['units'], group: 'body', what: 'units 0', expect: E(400, 'invalid_body'), build: withBody(unitsBody('0')) },
  { name: 'units_negative', needs: ['units'], group: 'body', what: 'units -5', expect: E(400, 'invalid_body'), build: withBody(unitsBody('-5')) },
  { name: 'units_fractional', needs: ['units'], group: 'body', what: 'units 1.5', expect: E(400, 'invalid_body'), build: withBody(unitsBody('1.5')) },
  { name: 'units_string', needs: ['units'], group: 'body', what: 'units "5"', expect: E(400, 'invalid_body'), build: withBody(unitsBody('"5"')) },
  { name: 'units_boolean', needs: ['units'], group: 'body', what: 'units true', expect: E(400, 'invalid_body'), build: withBody(unitsBody('true')) },
  { name: 'units_array', needs: ['units'], group: 'body', what: 'units [5]', expect: E(400, 'invalid_body'), build: withBody(unitsBody('[5]')) },
  { name: 'units_null', needs: ['units'], group: 'body', what: 'units null', expect: E(400, 'invalid_body'), build: withBody(unitsBody('null')) },
  {
    name: 'units_1e309',
    needs: ['units'],
    group: 'body',
    what: 'units 1e309 (Infinity once parsed)',
    expect: E(400, ['invalid_body', 'invalid_json']),
    build: withBody(unitsBody('1e309')),
  },
  {
    name: 'units_2_pow_53_plus_1',
    needs: ['units'],
    referenceOnly: true,
    group: 'body',
    what: 'units 9007199254740993',
    expect: E(400, 'invalid_body'),
    build: withBody(unitsBody('9007199254740993')),
  },
  {
    name: 'units_above_max',
    needs: ['units'],
    referenceOnly: true,
    group: 'body',
    what: 'units 100001 (the maximum is 100000)',
    expect: E(400, 'invalid_body'),
    build: withBody(unitsBody('100001')),
  },
  { name: 'units_missing', needs: ['units'], group: 'body', what: 'an empty object', expect: E(400, 'invalid_body'), build: withBody('{}') },
  {
    name: 'body_unknown_field',
    referenceOnly: true,
    group: 'body',
    what: 'units and an unknown field',
    expect: E(400, 'invalid_body'),
    build: withBody((c) => good(c, '1', '"admin":true')),
  },
  {
    name: 'body_proto_key',
    referenceOnly: true,
    group: 'body',
    what: 'a __proto__ key',
    expect: E(400, ['invalid_json', 'invalid_body']),
    build: withBody((c) => good(c, '1', '"__proto__":{"units":100000}')),
  },
  {
    name: 'body_constructor_key',
    referenceOnly: true,
    group: 'body',
    what: 'a constructor.prototype key',
    expect: E(400, ['invalid_json', 'invalid_body']),
    build: withBody((c) => good(c, '1', '"constructor":{"prototype":{"units":100000}}')),
  },
  {
    name: 'body_deep_nesting',
    referenceOnly: true,
    group: 'body',
    what: '1000 nested arrays beside units',
    expect: E([400, 413], ['invalid_body', 'invalid_json', 'body_too_large']),
    build: withBody((c) => good(c, '1', `"a":${'['.repeat(1000)}${']'.repeat(1000)}`)),
  },
  {
    name: 'body_over_limit',
    group: 'body',
    what: 'one byte over the body limit',
    expect: E(413, 'body_too_large'),
    build: withBody((c) => {
      const base = good(c, '1', '"pad":""');
      return base.replace('"pad":""', `"pad":"${'x'.repeat(Math.max(0, c.bodyLimitBytes + 1 - base.length))}"`);
    }),
  },
  {
    name: 'body_far_over_limit',
    group: 'body',
    what: '8 MiB or more (1000 × the limit)',
    expect: E(413, null),
    build: withBody((c) => Buffer.alloc(Math.max(8 * 1024 * 1024, c.bodyLimitBytes * 1000), 0x20)),
  },

  // Ids and routes
  {
    name: 'id_not_a_uuid',
    group: 'route',
    what: 'id "12345"',
    expect: E(404, 'authorization_not_found'),
    build: (c) => rawRequest(c.host, { method: c.shape.method('reserve'), path: unitPath(c, '12345'), headers: json(c), body: good(c) }),
  },
  {
    name: 'id_injection',
    group: 'route',
    what: "id 1' OR '1'='1 (URL-encoded)",
    expect: E(404, 'authorization_not_found'),
    build: (c) => rawRequest(c.host, { method: c.shape.method('reserve'), path: unitPath(c, "1' OR '1'='1"), headers: json(c), body: good(c) }),
  },
  {
    name: 'id_path_traversal_encoded',
    group: 'route',
    what: 'id ..%2F..%2Fetc%2Fpasswd',
    expect: E(404, ['authorization_not_found', 'route_not_found']),
    build: (c) =>
      rawRequest(c.host, { method: c.shape.method('reserve'), path: c.shape.rawPath('reserve', '..%2F..%2Fetc%2Fpasswd'), headers: json(c), body: good(c) }),
  },
  {
    name: 'path_traversal_raw',
    group: 'route',
    what: '/api/authorizations/../../etc/passwd/reserve',
    expect: E([404, 400], null),
    build: (c) =>
      rawRequest(c.host, { method: c.shape.method('reserve'), path: c.shape.rawPath('reserve', '../../etc/passwd'), headers: json(c), body: good(c) }),
  },
  {
    name: 'id_10k_characters',
    group: 'route',
    what: 'an id of 10,000 characters',
    expect: E([404, 414, 400], null),
    build: (c) => rawRequest(c.host, { method: c.shape.method('reserve'), path: unitPath(c, 'a'.repeat(10_000)), headers: json(c), body: good(c) }),
  },
  {
    name: 'id_unknown_uuid',
    group: 'route',
    what: 'a UUID that names no authorization',
    expect: E(404, 'authorization_not_found'),
    build: (c) => rawRequest(c.host, { method: c.shape.method('reserve'), path: unitPath(c, randomUUID()), headers: json(c), body: good(c) }),
  },
  {
    name: 'operation_unknown',
    group: 'route',
    what: 'POST …/steal',
    expect: E([404, 405], null),
    build: (c) =>
      rawRequest(c.host, {
        method: c.shape.method('reserve'),
        path: unitPath(c, c.authorizationId).replace(/\/[^/?]*(\?.*)?$/, '/steal'),
        headers: json(c),
        body: good(c),
      }),
  },
  {
    name: 'method_wrong',
    referenceOnly: true,
    group: 'route',
    what: 'GET …/reserve',
    expect: E([404, 405], null),
    build: (c) => rawRequest(c.host, { method: 'GET', path: unitPath(c, c.authorizationId), headers: json(c) }),
  },
  {
    name: 'method_delete',
    referenceOnly: true,
    group: 'route',
    what: 'DELETE /api/authorizations/:id',
    expect: E([404, 405], null),
    build: (c) =>
      rawRequest(c.host, {
        method: 'DELETE',
        path: c.shape.path('read', c.authorizationId),
        headers: c.shape.authHeader ? [[c.shape.authHeader, c.shape.authValue(c.token)]] : [],
      }),
  },

  // Idempotency keys
  {
    name: 'key_too_long',
    needs: ['keys'],
    referenceOnly: true,
    group: 'key',
    what: 'a 201-character key',
    expect: E(400, 'invalid_idempotency_key'),
    build: withBody(
      (c) => good(c),
      (c) => [
        ...(c.shape.authHeader ? [[c.shape.authHeader, c.shape.authValue(c.token)] as const] : []),
        ['Content-Type', 'application/json'],
        [c.shape.keyHeader!, 'k'.repeat(201)],
      ],
    ),
  },
  {
    name: 'key_bad_characters',
    needs: ['keys'],
    referenceOnly: true,
    group: 'key',
    what: 'a key with spaces and <>;',
    expect: E(400, 'invalid_idempotency_key'),
    build: withBody(
      (c) => good(c),
      (c) => [
        ...(c.shape.authHeader ? [[c.shape.authHeader, c.shape.authValue(c.token)] as const] : []),
        ['Content-Type', 'application/json'],
        [c.shape.keyHeader!, 'a key <with> bad;chars'],
      ],
    ),
  },
  {
    name: 'key_empty',
    needs: ['keys'],
    referenceOnly: true,
    group: 'key',
    what: 'an empty key',
    expect: E(400, 'invalid_idempotency_key'),
    build: withBody(
      (c) => good(c),
      (c) => [
        ...(c.shape.authHeader ? [[c.shape.authHeader, c.shape.authValue(c.token)] as const] : []),
        ['Content-Type', 'application/json'],
        [c.shape.keyHeader!, ''],
      ],
    ),
  },
  {
    name: 'key_two_headers',
    needs: ['keys'],
    referenceOnly: true,
    group: 'key',
    what: 'two Idempotency-Key headers',
    expect: E(400, 'invalid_idempotency_key'),
    build: withBody(
      (c) => good(c),
      (c) => [
        ...(c.shape.authHeader ? [[c.shape.authHeader, c.shape.authValue(c.token)] as const] : []),
        ['Content-Type', 'application/json'],
        [c.shape.keyHeader!, fresh()],
        [c.shape.keyHeader!, fresh()],
      ],
    ),
  },
  {
    name: 'key_reused_other_units',
    needs: ['keys', 'reused', 'units'],
    group: 'key',
    what: 'the primed key with other units',
    expect: E(422, 'idempotency_key_reused'),
    build: (c) =>
      rawRequest(c.host, {
        method: c.shape.method('reserve'),
        path: unitPath(c, c.authorizationId),
        headers: primedHeaders(c),
        body: good(c, String(c.primedUnits + 1)),
      }),
  },
  {
    name: 'key_reused_other_operation',
    needs: ['keys', 'reused', 'release-by-units'],
    group: 'key',
    what: 'the primed key on release',
    expect: E(422, 'idempotency_key_reused'),
    build: (c) =>
      rawRequest(c.host, {
        method: c.shape.method('release'),
        path: unitPath(c, c.authorizationId, 'release'),
        headers: primedHeaders(c),
        body: c.shape.body('release', String(c.primedUnits)) ?? '',
      }),
  },
  {
    name: 'key_reused_other_authorization',
    needs: ['keys', 'reused'],
    group: 'key',
    what: 'the primed key on another authorization of the organization',
    expect: E(422, 'idempotency_key_reused'),
    build: (c) =>
      rawRequest(c.host, {
        method: c.shape.method('reserve'),
        path: unitPath(c, c.sameOrgAuthorizationId),
        headers: primedHeaders(c),
        body: good(c, String(c.primedUnits)),
      }),
  },
  {
    name: 'key_of_other_organization',
    needs: ['keys', 'bearer'],
    referenceOnly: true,
    group: 'key',
    what: "the primed key, sent by another organization at the primed authorization (no replay of the other's outcome)",
    expect: E(403, 'other_organization'),
    build: (c) =>
      rawRequest(c.host, {
        method: c.shape.method('reserve'),
        path: unitPath(c, c.authorizationId),
        headers: primedHeaders(c, c.otherOrgToken),
        body: good(c, String(c.primedUnits)),
      }),
  },

  // Transport: malformed HTTP, answered by the HTTP layer
  {
    name: 'http_bad_chunked_encoding',
    group: 'transport',
    what: 'a chunk size that is not hexadecimal',
    expect: E(400, null),
    build: withBody(
      (c) => `zz\r\n${good(c)}\r\n0\r\n\r\n`,
      (c) => json(c, [['Transfer-Encoding', 'chunked']]),
    ),
  },
  {
    name: 'http_two_content_lengths',
    group: 'transport',
    what: 'two different Content-Length headers',
    expect: E(400, null),
    build: withBody(
      (c) => good(c),
      (c) =>
        json(c, [
          ['Content-Length', String(good(c).length)],
          ['Content-Length', '5'],
        ]),
    ),
  },
  {
    name: 'http_content_length_and_chunked',
    group: 'transport',
    what: 'Content-Length and Transfer-Encoding: chunked together (request smuggling)',
    expect: E(400, null),
    build: withBody('0\r\n\r\n', (c) =>
      json(c, [
        ['Content-Length', '5'],
        ['Transfer-Encoding', 'chunked'],
      ]),
    ),
  },
  {
    name: 'http_content_length_too_long',
    group: 'transport',
    what: 'Content-Length 100 with an 11-byte body, then the client stops sending',
    expect: E([400, 408], null),
    halfClose: true,
    build: withBody(
      (c) => good(c),
      (c) => json(c, [['Content-Length', String(good(c).length + 89)]]),
    ),
  },
  {
    name: 'http_bad_header_name',
    group: 'transport',
    what: 'a header name with a space',
    expect: E(400, null),
    build: withBody(
      (c) => good(c),
      (c) => json(c, [['Bad Header', 'x']]),
    ),
  },
  {
    name: 'http_control_character_in_path',
    group: 'transport',
    what: 'a control character in the request target',
    expect: E(400, null),
    build: (c) => rawRequest(c.host, { method: c.shape.method('reserve'), path: c.shape.rawPath('reserve', '\u0001'), headers: json(c), body: good(c) }),
  },

  // Impossible operations: well-formed, refused by the rules
  {
    name: 'release_more_than_reserved',
    needs: ['release-by-units', 'units'],
    group: 'impossible',
    what: 'release 100000 units',
    expect: E(409, 'insufficient_units'),
    build: (c) =>
      rawRequest(c.host, {
        method: c.shape.method('release'),
        path: unitPath(c, c.authorizationId, 'release'),
        headers: json(c),
        body: c.shape.body('release', '100000') ?? '',
      }),
  },
  {
    name: 'consume_more_than_reserved',
    needs: ['consume-by-units', 'units'],
    group: 'impossible',
    what: 'consume 100000 units',
    expect: E(409, 'insufficient_units'),
    build: (c) =>
      rawRequest(c.host, {
        method: c.shape.method('consume'),
        path: unitPath(c, c.authorizationId, 'consume'),
        headers: json(c),
        body: c.shape.body('consume', '100000') ?? '',
      }),
  },
];

/** What came back, as the judge sees it. */
export interface Answer {
  readonly status: number | null;
  readonly reason: string | null;
  readonly dropped: boolean;
  readonly timedOut: boolean;
}

export type Verdict = 'expected' | 'off_contract' | 'server_error' | 'dropped';

/** Pure: why a class is not sent to this API (it lacks what the class needs), or null. */
export function skipReason(c: EdgeClass, shape: RequestShape, hasSecret: boolean): string | null {
  if (c.referenceOnly && !shape.reference) return "a strictness of the reference API's contract";
  for (const need of c.needs ?? []) {
    if (need === 'bearer' && !shape.bearer) return 'the API takes no bearer token';
    if (need === 'keys' && shape.keyHeader === null) return 'the API has no idempotency keys';
    if (need === 'reused' && shape.reused === null) return 'the target description does not say how a reused key is refused';
    if (need === 'units' && !shape.carriesUnits('reserve')) return "the API's requests carry no units";
    if (need === 'release-by-units' && !(shape.has('release') && shape.by('release') === 'units')) return 'the API releases by reservation id, or not at all';
    if (need === 'consume-by-units' && !(shape.has('consume') && shape.by('consume') === 'units')) return 'the API consumes by reservation id, or not at all';
  }
  if (c.needsSecret && !hasSecret) return "no signing secret for the fixture's tokens";
  return null;
}

/**
 * Pure: the answer a class expects from this API. The reference API's is the class's own; another
 * API is judged by status (its reasons are its own), with 422 as good as 400 for a malformed
 * body, its contract's refusal for a reused key, and its capacity refusal for an impossible one.
 */
export function expectedFor(c: EdgeClass, shape: RequestShape): Expected {
  if (shape.reference) return c.expect;
  if (c.group === 'key' && c.name.startsWith('key_reused') && shape.reused) return { status: [shape.reused.status], reason: null };
  if (c.group === 'impossible') {
    const kind = c.name.startsWith('release') ? 'release' : 'consume';
    return { status: shape.capacityStatuses(kind).length ? shape.capacityStatuses(kind) : c.expect.status, reason: null };
  }
  const status = c.expect.status.includes(400) ? [...new Set([...c.expect.status, 422])] : c.expect.status;
  return { status, reason: null };
}

/** Pure: how an answer measures up to what the class expects of this API. */
export function judgeAnswer(c: EdgeClass, a: Answer, expect: Expected = c.expect): Verdict {
  if (a.status === null) return 'dropped';
  if (a.status >= 500) return 'server_error';
  if (!expect.status.includes(a.status)) return 'off_contract';
  if (expect.reason !== null && !(a.reason !== null && expect.reason.includes(a.reason))) return 'off_contract';
  return 'expected';
}

/** Pure: the `reason` of a JSON error body, or null. */
export function reasonOf(body: string): string | null {
  try {
    const r = (JSON.parse(body) as { reason?: unknown }).reason;
    return typeof r === 'string' ? r : null;
  } catch {
    return null;
  }
}

/** Pure: "401 invalid_token" / "401 (any reason)". */
export function describeExpected(e: Expected): string {
  return `${e.status.join(' or ')} ${e.reason === null ? '(any reason)' : e.reason.join(' or ')}`;
}
